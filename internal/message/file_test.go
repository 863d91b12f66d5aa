package message_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/whatsapp"
)

// fileBundle is the message service on the test's own database, without the web app: the real media
// service on a temporary directory, a tenant with a paired session, and a server of files to fetch.
type fileBundle struct {
	ctx      context.Context
	db       *pgxpool.Pool
	media    *media.Service
	tenantID uuid.UUID
	session  uuid.UUID
	files    *httptest.Server // /invoice.pdf; anything else is 404
	fetches  atomic.Int32
}

var filesPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func setupFiles(t *testing.T) (*message.Service, *fileBundle) {
	t.Helper()
	b := &fileBundle{ctx: context.Background(), db: dbtest.Pool(t)}
	local, err := media.NewLocal(media.LocalConfig{Dir: t.TempDir(), BaseURL: "http://media.test",
		Keys: secret.New([]byte("message-test-secret-key-0123456789abcdef"))})
	require.NoError(t, err)
	t.Cleanup(func() { _ = local.Close() })
	b.media = media.NewService(b.db, local, media.Config{EgressAllow: []string{"127.0.0.1"}, TempDir: t.TempDir()})
	deps, _ := newDeps(t, b.db, message.MediaStore(b.media))
	svc := message.NewService(b.db, deps, message.Config{}, nil)

	tn, err := tenant.Create(b.ctx, store.New(b.db), tenant.CreateInput{Name: "Acme", Status: "active"})
	require.NoError(t, err)
	b.tenantID = tn.ID
	s, err := store.New(b.db).SessionInsert(b.ctx, store.SessionInsertParams{ID: uuid.Must(uuid.NewV7()), TenantID: tn.ID, Name: "Main"})
	require.NoError(t, err)
	_, err = b.db.Exec(b.ctx, "UPDATE wa_sessions SET device_jid = '4915100001111:1@s.whatsapp.net', phone = '4915100001111' WHERE id = $1", s.ID)
	require.NoError(t, err)
	b.session = s.ID

	b.files = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.fetches.Add(1)
		if r.URL.Path != "/invoice.pdf" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write(filesPDF)
	}))
	t.Cleanup(b.files.Close)
	return svc, b
}

// req is a valid request from the bundle's session, scheduled an hour ahead (nothing needs a worker).
func (b *fileBundle) req(mod func(*message.SendRequest)) message.SendRequest {
	at := time.Now().Add(time.Hour)
	r := message.SendRequest{SessionID: b.session, To: "+49 151 23456789", SendAt: &at}
	if mod != nil {
		mod(&r)
	}
	return r
}

func (b *fileBundle) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.QueryRow(b.ctx, "SELECT count(*) FROM "+table+" WHERE tenant_id = $1", b.tenantID).Scan(&n))
	return n
}

// upload is a file sent with the request; opened counts how often it was read.
func upload(name string, data []byte, opened *atomic.Int32) *message.File {
	return &message.File{Name: name, Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
		if opened != nil {
			opened.Add(1)
		}
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

func pngFile(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8))))
	return buf.Bytes()
}

func TestService_SendFile(t *testing.T) {
	t.Parallel()
	logo := pngFile(t)

	t.Run("Upload", func(t *testing.T) {
		t.Parallel()
		svc, b := setupFiles(t)
		acc, err := svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) {
			r.Text, r.Type, r.File = "Our logo", whatsapp.KindImage, upload("logo.png", logo, nil)
		}), nil)
		require.NoError(t, err)
		require.Equal(t, whatsapp.KindImage, acc.Message.Kind)
		require.Equal(t, "Our logo", acc.Message.Text)
		require.NotNil(t, acc.File)
		require.Equal(t, "image/png", acc.File.MIME)
		require.Equal(t, acc.File.ID, *acc.Message.MediaID)
		md, err := b.media.Get(b.ctx, b.tenantID, acc.File.ID)
		require.NoError(t, err)
		require.Equal(t, media.SourceUpload, md.Source)
		require.Equal(t, "logo.png", md.FileName)
	})

	t.Run("URL", func(t *testing.T) {
		t.Parallel()
		svc, b := setupFiles(t)
		acc, err := svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) {
			r.File = &message.File{URL: b.files.URL + "/invoice.pdf"}
		}), nil)
		require.NoError(t, err)
		require.Equal(t, whatsapp.KindDocument, acc.Message.Kind)
		require.Equal(t, "invoice.pdf", acc.Message.FileName)
		require.Equal(t, "application/pdf", acc.File.MIME)
		md, err := b.media.Get(b.ctx, b.tenantID, acc.File.ID)
		require.NoError(t, err)
		require.Equal(t, media.SourceURL, md.Source)

		_, err = svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) {
			r.File = &message.File{URL: b.files.URL + "/nothing.pdf"}
		}), nil)
		fieldErr(t, err, "media_url")
		require.Equal(t, 1, b.count(t, "media"), "a URL that does not answer the file stores nothing")
	})

	t.Run("RefusedBeforeStoring", func(t *testing.T) {
		t.Parallel()
		svc, b := setupFiles(t)
		var opened atomic.Int32
		_, err := svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) {
			r.To, r.ReplyTo, r.File = "12", "nothing", upload("logo.png", logo, &opened)
		}), nil)
		var ve *validate.Errors
		require.ErrorAs(t, err, &ve)
		require.Contains(t, ve.Fields, "to")
		require.Contains(t, ve.Fields, "reply_to")
		require.Len(t, ve.Fields, 2, "the file it could not know of is no error")
		_, err = svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) {
			r.FileName, r.File = "../etc/passwd", &message.File{URL: b.files.URL + "/invoice.pdf"}
		}), nil)
		fieldErr(t, err, "file_name")

		unpaired, err := store.New(b.db).SessionInsert(b.ctx, store.SessionInsertParams{ID: uuid.Must(uuid.NewV7()), TenantID: b.tenantID, Name: "Spare"})
		require.NoError(t, err)
		_, err = svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) {
			r.SessionID, r.File = unpaired.ID, upload("logo.png", logo, &opened)
		}), nil)
		require.ErrorIs(t, err, message.ErrSessionNotPaired)

		require.Zero(t, opened.Load(), "the upload was not even read")
		require.Zero(t, b.fetches.Load(), "nothing fetched")
		require.Zero(t, b.count(t, "media"))
		require.Zero(t, b.count(t, "messages"))
	})

	t.Run("KindMismatch", func(t *testing.T) {
		t.Parallel()
		svc, b := setupFiles(t)
		acc, err := svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) {
			r.Type, r.File = whatsapp.KindVideo, &message.File{URL: b.files.URL + "/invoice.pdf"}
		}), nil)
		var ke *message.KindError
		require.ErrorAs(t, err, &ke)
		require.Equal(t, message.KindError{Type: whatsapp.KindVideo, File: whatsapp.KindDocument, MIME: "application/pdf"}, *ke)
		require.Equal(t, "Type video does not match the file, which is a document (application/pdf). Omit type, or send a matching file.",
			fieldErr(t, err, "type"), "the API's words, as a field of the request")
		require.Nil(t, acc.File)
		require.Equal(t, int32(1), b.fetches.Load(), "fetched")
		require.Zero(t, b.count(t, "media"), "and not kept")

		// A form keeps the upload, so that the next try need not choose it again.
		f := upload("clip.png", logo, nil)
		f.Keep = true
		acc, err = svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) { r.Type, r.File = whatsapp.KindVideo, f }), nil)
		require.ErrorAs(t, err, &ke)
		require.Equal(t, whatsapp.KindImage, ke.File)
		require.NotNil(t, acc.File)
		require.Equal(t, "clip.png", acc.File.FileName)
		acc, err = svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) { r.Type, r.MediaID = whatsapp.KindImage, &acc.File.ID }), nil)
		require.NoError(t, err)
		require.Equal(t, 1, b.count(t, "media"))
		require.Equal(t, 1, b.count(t, "messages"))
	})

	t.Run("RefusedAfterStoring", func(t *testing.T) {
		t.Parallel()
		svc, b := setupFiles(t)
		_, err := b.db.Exec(b.ctx, "UPDATE plans SET messages_per_day = 0")
		require.NoError(t, err)
		_, err = svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) { r.File = upload("logo.png", logo, nil) }), nil)
		var qe *message.QuotaError
		require.ErrorAs(t, err, &qe)
		require.Zero(t, b.count(t, "media"), "the file of a refused send is not kept")
	})

	t.Run("Refusals", func(t *testing.T) {
		t.Parallel()
		svc, b := setupFiles(t)
		_, err := svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) {
			r.File = upload("page.png", []byte("<!DOCTYPE html><html><body>no</body></html>"), nil)
		}), nil)
		require.ErrorIs(t, err, media.ErrUnsupportedType, "the media store's refusal, as it is")
		_, err = svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) { r.File = upload("empty.png", nil, nil) }), nil)
		fieldErr(t, err, "file")
		_, err = svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) {
			r.File = &message.File{URL: "http://169.254.169.254/latest/meta-data"}
		}), nil)
		fieldErr(t, err, "media_url")
		require.Zero(t, b.count(t, "media"))
		require.Zero(t, b.count(t, "messages"))
	})

	t.Run("IdempotentRetry", func(t *testing.T) {
		t.Parallel()
		svc, b := setupFiles(t)
		var rendered *message.MediaInfo
		idem := func(hash string) *message.Idempotency {
			return &message.Idempotency{Key: "invoice", Hash: []byte(hash), Render: func(m message.Message, f *message.MediaInfo) (int, []byte, error) {
				rendered = f
				return 202, []byte(`{"id":"` + m.ID.String() + `"}`), nil
			}}
		}
		req := b.req(func(r *message.SendRequest) { r.File = &message.File{URL: b.files.URL + "/invoice.pdf"} })
		first, err := svc.Send(b.ctx, b.tenantID, req, idem("a"))
		require.NoError(t, err)
		require.NotNil(t, rendered)
		require.Equal(t, "application/pdf", rendered.MIME, "the stored answer knows the file")
		again, err := svc.Send(b.ctx, b.tenantID, req, idem("a"))
		require.NoError(t, err)
		require.NotNil(t, again.Replay)
		require.Equal(t, `{"id":"`+first.Message.ID.String()+`"}`, string(again.Replay.Body))
		_, err = svc.Send(b.ctx, b.tenantID, req, idem("b"))
		require.ErrorIs(t, err, message.ErrIdempotencyMismatch)
		require.Equal(t, int32(1), b.fetches.Load(), "a retry fetches nothing")
		require.Equal(t, 1, b.count(t, "media"))
	})
}

// TestService_SendType checks a request's type against what it carries, a stored file's kind included.
func TestService_SendType(t *testing.T) {
	t.Parallel()
	svc, b := setupFiles(t)
	logo := pngFile(t)
	img, err := b.media.Upload(b.ctx, b.tenantID, "logo.png", bytes.NewReader(logo), int64(len(logo)))
	require.NoError(t, err)
	pdf, err := b.media.Upload(b.ctx, b.tenantID, "invoice.pdf", bytes.NewReader(filesPDF), int64(len(filesPDF)))
	require.NoError(t, err)
	loc := &whatsapp.Location{Latitude: 1, Longitude: 2}
	card := &whatsapp.Contact{DisplayName: "A", VCard: message.VCard("A", "+4915123456789")}
	unknown := uuid.New()
	for _, c := range []struct {
		name string
		req  message.SendRequest
		kind whatsapp.Kind // sent as; "" when refused
		kerr bool          // refused as a *KindError (the file is of another kind)
	}{
		{"NoType", message.SendRequest{MediaID: &img.ID}, whatsapp.KindImage, false},
		{"Text", message.SendRequest{Type: "text", Text: "hi"}, whatsapp.KindText, false},
		{"Image", message.SendRequest{Type: "image", MediaID: &img.ID}, whatsapp.KindImage, false},
		{"ImageAsDocument", message.SendRequest{Type: "document", MediaID: &img.ID}, whatsapp.KindDocument, false},
		{"Document", message.SendRequest{Type: "document", MediaID: &pdf.ID}, whatsapp.KindDocument, false},
		{"PDFAsImage", message.SendRequest{Type: "image", MediaID: &pdf.ID}, "", true},
		{"VideoWithoutFile", message.SendRequest{Type: "video", Text: "hi"}, "", false},
		{"TextWithImage", message.SendRequest{Type: "text", MediaID: &img.ID}, "", true},
		{"Location", message.SendRequest{Type: "location", Location: loc}, whatsapp.KindLocation, false},
		{"LocationWithout", message.SendRequest{Type: "location", Text: "hi"}, "", false},
		{"Contact", message.SendRequest{Type: "contact", Contact: card}, whatsapp.KindContact, false},
		{"ContactAsLocation", message.SendRequest{Type: "location", Contact: card}, "", false},
		{"Sticker", message.SendRequest{Type: "sticker", Text: "hi"}, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := c.req
			req.SessionID, req.To = b.session, "+49 151 23456789"
			acc, err := svc.Send(b.ctx, b.tenantID, req, nil)
			if c.kind != "" {
				require.NoError(t, err)
				require.Equal(t, c.kind, acc.Message.Kind)
				return
			}
			fieldErr(t, err, "type")
			var ke *message.KindError
			require.Equal(t, c.kerr, errors.As(err, &ke), "%v", err)
		})
	}
	// An unknown file is named as such, on media_id, whatever the type.
	_, err = svc.Send(b.ctx, b.tenantID, b.req(func(r *message.SendRequest) { r.Type, r.MediaID = "video", &unknown }), nil)
	require.Equal(t, "No media with this id in your workspace.", fieldErr(t, err, "media_id"))
}

func TestArticle(t *testing.T) {
	t.Parallel()
	for k, want := range map[whatsapp.Kind]string{"image": "an image", "video": "a video", "audio": "an audio", "document": "a document", "": "a "} {
		require.Equal(t, want, message.Article(k))
	}
}
