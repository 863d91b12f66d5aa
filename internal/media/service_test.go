package media_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/whatsapp"
)

func TestService_Upload(t *testing.T) {
	t.Parallel()
	t.Run("Stored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		ctx := t.Context()
		data := pngBytes(t, 8)
		m, err := b.svc.Upload(ctx, b.tenant, "photo.png", bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		require.Equal(t, b.tenant, m.TenantID)
		require.Equal(t, "image/png", m.MIME)
		require.Equal(t, whatsapp.KindImage, m.Kind)
		require.Equal(t, int64(len(data)), m.Size)
		require.Equal(t, sum[:], m.SHA256)
		require.Equal(t, "photo.png", m.FileName)
		require.Equal(t, media.StateStored, m.State)
		require.Equal(t, media.SourceUpload, m.Source)
		require.Equal(t, byte(7), m.ID[6]>>4, "ids are UUIDv7")

		got, err := b.svc.Get(ctx, b.tenant, m.ID)
		require.NoError(t, err)
		require.Equal(t, m.SHA256, got.SHA256)
		require.Equal(t, m.FileName, got.FileName)

		rc, opened, err := b.svc.Open(ctx, b.tenant, m.ID)
		require.NoError(t, err)
		body, _ := io.ReadAll(rc)
		rc.Close()
		require.Equal(t, data, body)
		require.Equal(t, m.ID, opened.ID)
		require.FileExists(t, b.dir+"/"+media.Key(b.tenant, m.ID))

		u, exp, err := b.svc.DownloadURL(ctx, b.tenant, m.ID)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(u, "http://media.test"+media.FilesPath), u)
		require.True(t, b.clock.t.Add(media.LinkTTL).Equal(exp), "%s", exp)
		d, err := b.svc.OpenLink(ctx, strings.TrimPrefix(u, "http://media.test"+media.FilesPath))
		require.NoError(t, err)
		d.Body.Close()
		require.Equal(t, "photo.png", d.FileName)
		require.Equal(t, "image/png", d.MIME)
	})
	t.Run("WithoutName", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		m, err := b.svc.Upload(t.Context(), b.tenant, "", bytes.NewReader(pdfBytes()), 0)
		require.NoError(t, err)
		require.Equal(t, "file.pdf", m.FileName)
	})
	t.Run("DeclaredTypeIgnored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		// A PDF named like a picture is a PDF.
		m, err := b.svc.Upload(t.Context(), b.tenant, "holiday.jpg", bytes.NewReader(pdfBytes()), 0)
		require.NoError(t, err)
		require.Equal(t, "application/pdf", m.MIME)
		require.Equal(t, whatsapp.KindDocument, m.Kind)
	})
	t.Run("ExactlyTheLimit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		data := padded(pdfBytes(), 1000)
		_, err := b.svc.Upload(t.Context(), b.tenant, "a.pdf", bytes.NewReader(data), 1000)
		require.NoError(t, err)
	})
}

// padded is doc followed by spaces up to n bytes (still the same type).
func padded(doc []byte, n int) []byte {
	return append(append([]byte(nil), doc...), bytes.Repeat([]byte(" "), n-len(doc))...)
}

// neverRead fails the test when read: the upload must be refused before.
type neverRead struct{ t *testing.T }

func (r neverRead) Read([]byte) (int, error) {
	r.t.Error("the body was read")
	return 0, io.EOF
}

func TestService_Upload_Refusals(t *testing.T) {
	t.Parallel()
	t.Run("TooLarge", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		_, err := b.svc.Upload(t.Context(), b.tenant, "a.pdf", bytes.NewReader(padded(pdfBytes(), 1001)), 0)
		require.ErrorIs(t, err, media.ErrTooLarge)
		require.Contains(t, err.Error(), "1000 bytes")
		b.requireNothingStored(t)
	})
	t.Run("DeclaredTooLarge", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		_, err := b.svc.Upload(t.Context(), b.tenant, "a.pdf", neverRead{t}, 5000)
		require.ErrorIs(t, err, media.ErrTooLarge)
		b.requireNothingStored(t)
	})
	for name, data := range map[string][]byte{
		"ELF": elfBytes(), "EXE": exeBytes(), "HTML": []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"),
		"SVG":    []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		"Vorbis": vorbisBytes(),
	} {
		t.Run("UnsupportedType"+name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			_, err := b.svc.Upload(t.Context(), b.tenant, "cat.png", bytes.NewReader(data), 0)
			require.ErrorIs(t, err, media.ErrUnsupportedType)
			b.requireNothingStored(t)
		})
	}
	for _, name := range []string{"../evil.png", "a/b.png", `a\b.png`, "..", "x..png", "bad\x00.png", "bad\n.png",
		"bad\u0085.png", "\xff\xfe.png", strings.Repeat("a", 252) + ".png"} {
		t.Run("BadName", func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			_, err := b.svc.Upload(t.Context(), b.tenant, name, neverRead{t}, 0)
			var ve *validate.Errors
			require.ErrorAs(t, err, &ve, "name %q", name)
			require.Contains(t, ve.Fields, "file")
			b.requireNothingStored(t)
		})
	}
	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		_, err := b.svc.Upload(t.Context(), b.tenant, "a.pdf", bytes.NewReader(nil), 0)
		var ve *validate.Errors
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "The file is empty.", ve.Fields["file"])
		b.requireNothingStored(t)
	})
	t.Run("LongestName", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		name := strings.Repeat("é", 125) + "x.pdf" // 255 bytes
		m, err := b.svc.Upload(t.Context(), b.tenant, name, bytes.NewReader(pdfBytes()), 0)
		require.NoError(t, err)
		require.Equal(t, name, m.FileName)
	})
}

func TestService_StorageQuota(t *testing.T) {
	t.Parallel()
	t.Run("Full", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.setPlan(t, 1000, 2500)
		ctx := t.Context()
		doc := padded(pdfBytes(), 1000)
		for range 2 {
			_, err := b.svc.Upload(ctx, b.tenant, "a.pdf", bytes.NewReader(doc), 0)
			require.NoError(t, err)
		}
		_, err := b.svc.Upload(ctx, b.tenant, "a.pdf", bytes.NewReader(doc), 0)
		require.ErrorIs(t, err, media.ErrStorageQuota)
		require.Contains(t, err.Error(), "(1.95 KiB in use)")
		require.Len(t, filesIn(t, b.dir), 2, "the refused file is not kept")
		_, err = b.svc.Upload(ctx, b.tenant, "a.pdf", bytes.NewReader(doc[:500]), 0)
		require.NoError(t, err, "what still fits is taken")

		other := b.newTenant(t, "Other")
		_, err = b.svc.Upload(ctx, other, "a.pdf", bytes.NewReader(doc), 0)
		require.NoError(t, err, "each tenant has its own quota")
	})
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.setPlan(t, 1000, 2500)
		doc := padded(pdfBytes(), 1000)
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Go(func() {
				_, err := b.svc.Upload(context.Background(), b.tenant, "a.pdf", bytes.NewReader(doc), 0)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			if err == nil {
				ok++
			} else {
				require.ErrorIs(t, err, media.ErrStorageQuota)
			}
		}
		require.Equal(t, 2, ok, "uploads at once never share the same free space")
		require.Len(t, filesIn(t, b.dir), 2)
	})
	t.Run("DecidedAfterStoring", func(t *testing.T) {
		t.Parallel()
		// The quota shrinks while the file goes to storage: the decisive check refuses it, and the
		// object already written is removed.
		var b *testBundle
		hook := &hookStore{}
		b = setup(t, &setupOpts{store: hook})
		hook.Store = b.local
		hook.afterPut = func() {
			_, err := b.db.Exec(context.Background(), "UPDATE plans SET storage_quota_bytes = 10")
			require.NoError(t, err)
		}
		_, err := b.svc.Upload(t.Context(), b.tenant, "a.pdf", bytes.NewReader(pdfBytes()), 0)
		require.ErrorIs(t, err, media.ErrStorageQuota)
		b.requireNothingStored(t)
	})
}

// hookStore runs afterPut once a Put succeeded.
type hookStore struct {
	media.Store
	afterPut func()
}

func (h *hookStore) Put(ctx context.Context, key string, body io.ReadSeeker, size int64, mimeType string) error {
	if err := h.Store.Put(ctx, key, body, size, mimeType); err != nil {
		return err
	}
	h.afterPut()
	return nil
}

func TestService_Types(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.setPlan(t, 1<<20, 1<<30)
	cases := []struct {
		name  string
		data  []byte
		mime  string
		kind  whatsapp.Kind
		voice bool
	}{
		{"PNG", pngBytes(t, 4), "image/png", whatsapp.KindImage, false},
		{"JPEG", jpegBytes(t), "image/jpeg", whatsapp.KindImage, false},
		{"GIF", gifBytes(t), "image/gif", whatsapp.KindImage, false},
		{"WebP", append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 64)...), "image/webp", whatsapp.KindImage, false},
		{"MP4", mp4Bytes(), "video/mp4", whatsapp.KindVideo, false},
		{"MP3", mp3Bytes(), "audio/mpeg", whatsapp.KindAudio, false},
		{"Opus", opusBytes(), media.MIMEVoiceNote, whatsapp.KindAudio, true},
		{"PDF", pdfBytes(), "application/pdf", whatsapp.KindDocument, false},
		{"DOCX", docxBytes(t), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", whatsapp.KindDocument, false},
		{"ZIP", zipBytes(t), "application/zip", whatsapp.KindDocument, false},
		{"Text", []byte("Hello,\nthis is a plain text file.\n"), "text/plain", whatsapp.KindDocument, false},
		{"CSV", []byte("name,phone\nAda,+4915123456789\nBob,+4915123456780\n"), "text/csv", whatsapp.KindDocument, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := b.svc.Upload(t.Context(), b.tenant, "", bytes.NewReader(c.data), 0)
			require.NoError(t, err)
			require.Equal(t, c.mime, m.MIME)
			require.Equal(t, c.kind, m.Kind)
			require.Equal(t, c.voice, m.VoiceNote)
		})
	}
}

func TestService_TenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	m, err := b.svc.Upload(ctx, b.tenant, "a.pdf", bytes.NewReader(pdfBytes()), 0)
	require.NoError(t, err)
	other := b.newTenant(t, "Other")
	_, err = b.svc.Get(ctx, other, m.ID)
	require.ErrorIs(t, err, media.ErrNotFound)
	_, _, err = b.svc.Open(ctx, other, m.ID)
	require.ErrorIs(t, err, media.ErrNotFound)
	_, _, err = b.svc.DownloadURL(ctx, other, m.ID)
	require.ErrorIs(t, err, media.ErrNotFound)
	_, err = b.svc.Get(ctx, b.tenant, uuid.Must(uuid.NewV7()))
	require.ErrorIs(t, err, media.ErrNotFound, "an id that does not exist is the same answer")
}

// TestService_LinksFollowable: a link from the service downloads the file with a plain client.
func TestService_LinksFollowable(t *testing.T) {
	t.Parallel()
	var svc *media.Service
	srv := linkServer(t, func(r *http.Request, token string) (media.Download, error) { return svc.OpenLink(r.Context(), token) })
	db := setup(t, nil).db
	local := newLocal(t, t.TempDir(), srv.URL, nil)
	svc = media.NewService(db, local, media.Config{})
	tn := (&testBundle{db: db}).newTenant(t, "Links")
	data := pngBytes(t, 4)
	m, err := svc.Upload(t.Context(), tn, "p.png", bytes.NewReader(data), 0)
	require.NoError(t, err)
	u, exp, err := svc.URL(t.Context(), m)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(media.LinkTTL), exp, 2*time.Second)
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, data, body)
	require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
}

func TestService_OpenLinkWithS3IsNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t, &setupOpts{store: &hookStore{}}) // any store that is not the local disk
	_, err := b.svc.OpenLink(t.Context(), "anything.at-all")
	require.True(t, errors.Is(err, media.ErrNotFound))
}
