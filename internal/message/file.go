package message

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/whatsapp"
)

// File is a file to send that is not stored yet: sent with the request (Open), or to be fetched from
// URL. Send stores it only once the rest of the request is right, so that a request refused for its
// other fields stores nothing, and removes it again when the send is refused after all.
type File struct {
	// Name, Size and Open describe a file sent with the request: its name as sent, its size as
	// declared (0 when unknown), and how to read it (called once, and only when it is stored).
	Name string
	Size int64
	Open func() (io.ReadCloser, error)
	// URL, instead, is an http(s) URL to fetch the file from.
	URL string
	// Keep keeps the stored file when the send is refused after it was stored, for a caller that
	// shows it and offers it again (a form): Accepted.File names it. Otherwise a refused send keeps
	// no file: nothing the caller can name was stored.
	Keep bool
}

// KindError is a send whose Type does not match its file. It is the field "type" of a
// *validate.Errors too (errors.As finds it), worded as Error words it; a form can word it its own
// way from the kinds.
type KindError struct {
	Type whatsapp.Kind // what the request asked to send
	File whatsapp.Kind // the file's kind
	MIME string        // the file's type
}

func (e *KindError) Error() string { return typeProblem(e.Type, e.File, true, e.MIME) }

// Unwrap is the error as a field of the request, which is how the web layer answers it (422).
func (e *KindError) Unwrap() error { return validate.Field("type", e.Error()) }

// Article puts "a" or "an" before a kind, for sentences about kinds of message: "an image", "a video".
func Article(k whatsapp.Kind) string {
	if k != "" && strings.ContainsAny(string(k[:1]), "aeiou") {
		return "an " + string(k)
	}
	return "a " + string(k)
}

// typeProblem says why a request of type typ does not agree with what it carries, or "" when it
// does. carries is the file's kind (of type mime) when hasFile, else location, contact or text.
// Document goes with any file: an image, video or audio file is then sent as a document.
func typeProblem(typ, carries whatsapp.Kind, hasFile bool, mime string) string {
	if typ == carries || (typ == whatsapp.KindDocument && hasFile) {
		return ""
	}
	switch typ {
	case whatsapp.KindImage, whatsapp.KindVideo, whatsapp.KindAudio, whatsapp.KindDocument:
		if !hasFile {
			return "Type " + string(typ) + " needs a file: give media_id or media_url."
		}
		return "Type " + string(typ) + " does not match the file, which is " + Article(carries) + " (" + mime + "). Omit type, or send a matching file."
	case whatsapp.KindLocation:
		return "Type location needs a location."
	case whatsapp.KindContact:
		return "Type contact needs a contact."
	case whatsapp.KindText:
		return "Type text carries no " + string(carries) + ": omit type, or send text only."
	}
	return "Must be text, image, video, audio, document, location or contact."
}

// sendFile is Send for a request with a File. The request is checked without it first, so that a
// request refused for its other fields, or a retry under an Idempotency-Key, stores nothing (and a
// retry replays the first answer even when the URL has gone since); then the file is stored and the
// request sent with it, where the file's own checks (its kind) are made.
func (s *Service) sendFile(ctx context.Context, tenantID uuid.UUID, req SendRequest, idem *Idempotency) (Accepted, error) {
	f := req.File
	if _, _, replay, err := s.check(ctx, store.New(s.db), tenantID, req, idem); err != nil || replay != nil {
		return Accepted{Replay: replay}, err
	}
	file, err := s.storeFile(ctx, tenantID, f)
	if err != nil {
		return Accepted{}, err
	}
	req.File, req.MediaID = nil, &file.ID
	acc, err := s.Send(ctx, tenantID, req, idem)
	if err == nil && acc.Replay == nil {
		return acc, nil
	}
	if f.Keep {
		acc.File = &file
		return acc, err
	}
	// The answer is the refusal (or the replay of another request's message): a file that could not
	// be deleted stays behind as a row the tenant sees among its media, which is logged, not answered.
	if derr := s.media.Delete(context.WithoutCancel(ctx), tenantID, file.ID); derr != nil {
		s.log.WarnContext(ctx, "file of a refused send not deleted", "media_id", file.ID, "err", derr)
	}
	acc.File = nil
	return acc, err
}

// storeFile stores f in the tenant's media.
func (s *Service) storeFile(ctx context.Context, tenantID uuid.UUID, f *File) (MediaInfo, error) {
	switch {
	case f.URL != "":
		return s.media.Fetch(ctx, tenantID, f.URL)
	case f.Open == nil:
		return MediaInfo{}, errors.New("send: a file with neither URL nor Open")
	}
	r, err := f.Open()
	if err != nil {
		return MediaInfo{}, fmt.Errorf("open upload: %w", err)
	}
	defer r.Close()
	return s.media.Upload(ctx, tenantID, f.Name, r, f.Size)
}
