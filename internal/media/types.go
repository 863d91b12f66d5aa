package media

import (
	"bytes"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"

	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/whatsapp"
)

// sniffBytes is how much of a file the type is detected from (mimetype's own default).
const sniffBytes = 3072

// MIMEVoiceNote is OGG audio with the Opus codec, the only format WhatsApp plays as a voice note.
const MIMEVoiceNote = "audio/ogg; codecs=opus"

// allowed are the types a tenant may upload or fetch, as detected from the content, mapped to the
// MIME type stored (one spelling per format) and the message kind it makes. Everything else is 415:
// WhatsApp either refuses it or shows it as a file nobody can open, and some types (HTML, SVG) would
// be dangerous to serve back from our own origin.
var allowed = map[string]struct {
	mime string
	kind whatsapp.Kind
}{
	"image/jpeg": {"image/jpeg", whatsapp.KindImage},
	"image/png":  {"image/png", whatsapp.KindImage},
	"image/webp": {"image/webp", whatsapp.KindImage},
	"image/gif":  {"image/gif", whatsapp.KindImage},

	"video/mp4":  {"video/mp4", whatsapp.KindVideo},
	"video/3gpp": {"video/3gpp", whatsapp.KindVideo},

	"audio/mpeg":  {"audio/mpeg", whatsapp.KindAudio},
	"audio/mp4":   {"audio/mp4", whatsapp.KindAudio},
	"audio/x-m4a": {"audio/mp4", whatsapp.KindAudio},
	"audio/aac":   {"audio/aac", whatsapp.KindAudio},
	"audio/amr":   {"audio/amr", whatsapp.KindAudio},
	// OGG is accepted only with Opus inside (sniff checks the codec): see MIMEVoiceNote.

	"application/pdf":               {"application/pdf", whatsapp.KindDocument},
	"application/msword":            {"application/msword", whatsapp.KindDocument},
	"application/vnd.ms-excel":      {"application/vnd.ms-excel", whatsapp.KindDocument},
	"application/vnd.ms-powerpoint": {"application/vnd.ms-powerpoint", whatsapp.KindDocument},
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", whatsapp.KindDocument},
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", whatsapp.KindDocument},
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": {"application/vnd.openxmlformats-officedocument.presentationml.presentation", whatsapp.KindDocument},
	"application/vnd.oasis.opendocument.text":                                   {"application/vnd.oasis.opendocument.text", whatsapp.KindDocument},
	"application/vnd.oasis.opendocument.spreadsheet":                            {"application/vnd.oasis.opendocument.spreadsheet", whatsapp.KindDocument},
	"application/vnd.oasis.opendocument.presentation":                           {"application/vnd.oasis.opendocument.presentation", whatsapp.KindDocument},
	"application/zip": {"application/zip", whatsapp.KindDocument},
	"text/plain":      {"text/plain", whatsapp.KindDocument},
	"text/csv":        {"text/csv", whatsapp.KindDocument},
}

// extensions name files that arrive without a name.
var extensions = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
	"video/mp4": ".mp4", "video/3gpp": ".3gp",
	"audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/amr": ".amr", "audio/ogg": ".ogg",
	"application/pdf": ".pdf", "application/msword": ".doc", "application/vnd.ms-excel": ".xls",
	"application/vnd.ms-powerpoint":                                             ".ppt",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/vnd.oasis.opendocument.text":                                   ".odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            ".ods",
	"application/vnd.oasis.opendocument.presentation":                           ".odp",
	"application/zip": ".zip", "text/plain": ".txt", "text/csv": ".csv",
}

// AllowedTypes says in words what sniff accepts, for error messages and documentation.
const AllowedTypes = "an image (JPEG, PNG, WebP, GIF), a video (MP4, 3GP), audio (OGG/Opus, MP3, M4A/AAC, AMR) " +
	"or a document (PDF, Word, Excel, PowerPoint, OpenDocument, ZIP, plain text, CSV)"

// sniff detects the type of a file from its first bytes. It returns the MIME type to store and the
// kind, or a *RefusedError (ErrUnsupportedType) naming what was found.
func sniff(head []byte) (string, whatsapp.Kind, error) {
	detected := mimetype.Detect(head)
	base := baseType(detected.String())
	if base == "audio/ogg" || base == "application/ogg" {
		if isOpus(head) {
			return MIMEVoiceNote, whatsapp.KindAudio, nil
		}
		return "", "", &RefusedError{Reason: ErrUnsupportedType,
			Detail: "OGG audio must use the Opus codec (as WhatsApp voice notes do); convert it, or send " + AllowedTypes}
	}
	if t, ok := allowed[base]; ok {
		return t.mime, t.kind, nil
	}
	return "", "", &RefusedError{Reason: ErrUnsupportedType,
		Detail: "files of type " + base + " cannot be sent: send " + AllowedTypes}
}

// isOpus reports whether an OGG stream's first page carries an Opus identification header: the
// page header is 27 bytes plus one lacing byte per segment, and the first packet starts "OpusHead".
func isOpus(head []byte) bool {
	if len(head) < 28 || !bytes.HasPrefix(head, []byte("OggS")) {
		return false
	}
	start := 27 + int(head[26])
	return len(head) >= start+8 && string(head[start:start+8]) == "OpusHead"
}

// baseType drops parameters: "text/plain; charset=utf-8" → "text/plain".
func baseType(t string) string {
	base, _, _ := strings.Cut(t, ";")
	return strings.ToLower(strings.TrimSpace(base))
}

// KindOf is the message kind a MIME type makes: image, video, audio or document (anything else,
// inbound media included, goes as a document).
func KindOf(mimeType string) whatsapp.Kind {
	base := baseType(mimeType)
	if t, ok := allowed[base]; ok {
		return t.kind
	}
	switch {
	case strings.HasPrefix(base, "image/"):
		return whatsapp.KindImage
	case strings.HasPrefix(base, "video/"):
		return whatsapp.KindVideo
	case strings.HasPrefix(base, "audio/"):
		return whatsapp.KindAudio
	}
	return whatsapp.KindDocument
}

// IsVoiceNote reports whether mimeType is OGG/Opus, which WhatsApp can play as a voice note.
func IsVoiceNote(mimeType string) bool {
	base, params, err := mime.ParseMediaType(mimeType)
	return err == nil && base == "audio/ogg" && strings.Contains(strings.ToLower(params["codecs"]), "opus")
}

// maxFileName is the longest file name kept, in bytes (most file systems' limit).
const maxFileName = 255

// checkFileName refuses a file name a user typed or sent that is not a plain name: it is never
// cleaned silently, so the sender learns that "../x.png" is not what will arrive.
func checkFileName(field, name string) error {
	switch {
	case name == "":
		return nil
	case !utf8.ValidString(name):
		return validate.Field(field, "The file name is not valid text (UTF-8).")
	case len(name) > maxFileName:
		return validate.Field(field, "The file name must be at most 255 bytes long.")
	case strings.ContainsAny(name, `/\`):
		return validate.Field(field, `The file name must not contain / or \: send the name alone, without folders.`)
	case strings.Contains(name, ".."):
		return validate.Field(field, `The file name must not contain "..".`)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return validate.Field(field, "The file name must not contain control characters.")
	}
	return nil
}

// CleanFileName makes a plain file name of one that came from elsewhere (a URL, a Content-Disposition
// header, WhatsApp): the last path element, without control characters or invalid text, at most 255
// bytes. It returns "" when nothing usable is left.
func CleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if strings.Trim(name, ".") == "" {
		return ""
	}
	for len(name) > maxFileName {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// defaultName names a file that came without one.
func defaultName(mimeType string) string {
	return "file" + extensions[baseType(mimeType)]
}
