package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/web/webtest"
)

func mediaPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8))))
	return buf.Bytes()
}

func mediaPDF(n int) []byte {
	doc := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
	if n > len(doc) {
		doc = append(doc, bytes.Repeat([]byte(" "), n-len(doc))...)
	}
	return doc
}

// mediaRequest sends body with contentType to POST /api/v1/media.
func mediaRequest(t *testing.T, e *webtest.Env, secret, contentType string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL()+"/api/v1/media", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// mediaUpload posts data as the multipart field "file" named fileName.
func mediaUpload(t *testing.T, e *webtest.Env, secret, fileName string, data []byte) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", fileName)
	require.NoError(t, err)
	_, _ = fw.Write(data)
	require.NoError(t, mw.Close())
	return mediaRequest(t, e, secret, mw.FormDataContentType(), buf.Bytes())
}

func mediaSetPlan(t *testing.T, e *webtest.Env, maxBytes, quota int64) {
	t.Helper()
	_, err := e.Pool.Exec(t.Context(), "UPDATE plans SET max_media_bytes = $1, storage_quota_bytes = $2", maxBytes, quota)
	require.NoError(t, err)
}

// requireNoMedia checks that the tenant has no media rows and the media directory no files.
func requireNoMedia(t *testing.T, e *webtest.Env, tenantID uuid.UUID) {
	t.Helper()
	var n int
	require.NoError(t, e.Pool.QueryRow(t.Context(), "SELECT count(*) FROM media WHERE tenant_id = $1", tenantID).Scan(&n))
	require.Zero(t, n, "media rows")
	var files []string
	require.NoError(t, filepath.WalkDir(e.MediaDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}))
	require.Empty(t, files, "files stored")
}

func fieldLocations(t *testing.T, p map[string]any) []string {
	t.Helper()
	var out []string
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["location"].(string))
	}
	return out
}

func TestMedia_Upload(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	alpha := signup(t, e, "Alpha")
	key := newKey(t, e, alpha, "uploader", auth.ScopeRead, auth.ScopeSend)
	mediaSetPlan(t, e, 4000, 1<<20)
	data := mediaPNG(t)

	r := mediaUpload(t, e, key.Secret, "photo 1.png", data)
	require.Equal(t, http.StatusCreated, r.Status, r.Body)
	m := r.json(t)
	require.ElementsMatch(t, []string{"id", "mime", "kind", "voice_note", "size", "sha256", "file_name", "state", "created_at",
		"url", "url_expires_at"}, keys(m))
	sum := sha256.Sum256(data)
	require.Equal(t, "image/png", m["mime"])
	require.Equal(t, "image", m["kind"])
	require.Equal(t, false, m["voice_note"])
	require.Equal(t, float64(len(data)), m["size"])
	require.Equal(t, hex.EncodeToString(sum[:]), m["sha256"])
	require.Equal(t, "photo 1.png", m["file_name"])
	require.Equal(t, "stored", m["state"])
	id := m["id"].(string)
	require.Equal(t, "/api/v1/media/"+id, r.Header.Get("Location"))
	exp, err := time.Parse(time.RFC3339, m["url_expires_at"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(15*time.Minute), exp, 5*time.Second)

	t.Run("DownloadLink", func(t *testing.T) {
		link := m["url"].(string)
		require.True(t, strings.HasPrefix(link, e.URL()+"/media/files/"), link)
		resp, err := http.Get(link) // no key: the link is the credential
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		require.Equal(t, data, body)
		require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
		disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		require.NoError(t, err)
		require.Equal(t, "attachment", disp)
		require.Equal(t, "photo 1.png", params["filename"])
		require.True(t, strings.HasPrefix(resp.Header.Get("Cache-Control"), "private"), resp.Header.Get("Cache-Control"))
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))

		// A link signed an hour ago for ten minutes (same key and directory as the app's store).
		past, err := media.NewLocal(media.LocalConfig{Dir: e.MediaDir, BaseURL: e.URL(), Keys: e.Keys,
			Now: func() time.Time { return time.Now().Add(-time.Hour) }})
		require.NoError(t, err)
		defer past.Close()
		old, err := past.URL(t.Context(), media.Key(alpha.tenant, uuid.MustParse(id)), "x.png", "image/png", 10*time.Minute)
		require.NoError(t, err)
		resp3, err := http.Get(old)
		require.NoError(t, err)
		resp3.Body.Close()
		require.Equal(t, http.StatusGone, resp3.StatusCode)

		tampered := link[:len(link)-3] + "AAA"
		resp2, err := http.Get(tampered)
		require.NoError(t, err)
		resp2.Body.Close()
		require.Equal(t, http.StatusNotFound, resp2.StatusCode)
	})
	t.Run("Get", func(t *testing.T) {
		g := call(t, e.URL(), http.MethodGet, "/api/v1/media/"+id, bearer(key.Secret)...)
		require.Equal(t, http.StatusOK, g.Status, g.Body)
		got := g.json(t)
		require.Equal(t, id, got["id"])
		require.Equal(t, m["sha256"], got["sha256"])
		require.NotEmpty(t, got["url"])
		require.Empty(t, g.Header.Get("Location"))
	})
	t.Run("FromURL", func(t *testing.T) {
		origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(mediaPDF(0)) }))
		defer origin.Close()
		r := mediaRequest(t, e, key.Secret, "application/json", []byte(`{"url": "`+origin.URL+`/docs/Invoice%201042.pdf"}`))
		require.Equal(t, http.StatusCreated, r.Status, r.Body)
		got := r.json(t)
		require.Equal(t, "application/pdf", got["mime"])
		require.Equal(t, "document", got["kind"])
		require.Equal(t, "Invoice 1042.pdf", got["file_name"])

		for body, want := range map[string]string{
			`{"url": "ftp://example.com/a.pdf"}`: "http:// or https://",
			`{"url": ""}`:                        "required",
			`not json`:                           "must be JSON",
		} {
			r := mediaRequest(t, e, key.Secret, "application/json", []byte(body))
			p := r.requireProblem(t, http.StatusUnprocessableEntity)
			require.Equal(t, []string{"body.url"}, fieldLocations(t, p), r.Body)
			require.Contains(t, r.Body, want)
		}
	})
	t.Run("ReadOnlyKey", func(t *testing.T) {
		ro := newKey(t, e, alpha, "reader", auth.ScopeRead)
		r := mediaUpload(t, e, ro.Secret, "x.png", data)
		r.requireProblem(t, http.StatusForbidden)
	})
}

func TestMedia_Refusals(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	alpha := signup(t, e, "Alpha")
	key := newKey(t, e, alpha, "uploader", auth.ScopeRead, auth.ScopeSend)
	mediaSetPlan(t, e, 2000, 1<<20)

	t.Run("TooLarge", func(t *testing.T) {
		r := mediaUpload(t, e, key.Secret, "big.pdf", mediaPDF(2001))
		p := r.requireProblem(t, http.StatusRequestEntityTooLarge)
		require.Contains(t, p["detail"], "1.95 KiB")
	})
	t.Run("TooLargeByLength", func(t *testing.T) {
		// Far over the plan: refused from its length, before the body is parsed (this one is not
		// even valid multipart).
		body := bytes.Repeat([]byte("x"), 200<<10)
		r := mediaRequest(t, e, key.Secret, "multipart/form-data; boundary=zzz", body)
		r.requireProblem(t, http.StatusRequestEntityTooLarge)
	})
	t.Run("UnsupportedType", func(t *testing.T) {
		elf := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00"), make([]byte, 64)...)
		r := mediaUpload(t, e, key.Secret, "photo.png", elf)
		p := r.requireProblem(t, http.StatusUnsupportedMediaType)
		require.Contains(t, p["detail"], "Files of type application/x-")
		exe := make([]byte, 256)
		copy(exe, "MZ\x90\x00")
		exe[0x3c] = 0x80
		copy(exe[0x80:], "PE\x00\x00")
		mediaUpload(t, e, key.Secret, "setup.exe", exe).requireProblem(t, http.StatusUnsupportedMediaType)
	})
	t.Run("UnsupportedBody", func(t *testing.T) {
		r := mediaRequest(t, e, key.Secret, "text/plain", []byte("hello"))
		r.requireProblem(t, http.StatusUnsupportedMediaType)
	})
	t.Run("BadName", func(t *testing.T) {
		for _, name := range []string{"../evil.png", "a/b.png", `..\evil.png`, "..", strings.Repeat("n", 256)} {
			r := mediaUpload(t, e, key.Secret, name, mediaPNG(t))
			p := r.requireProblem(t, http.StatusUnprocessableEntity)
			require.Equal(t, []string{"body.file"}, fieldLocations(t, p), "name %q: %s", name, r.Body)
		}
		// Control characters cannot stand in a header as they are, but RFC 5987 encoding carries them.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`form-data; name="file"; filename*=UTF-8''bad%01.png`}})
		require.NoError(t, err)
		_, _ = pw.Write(mediaPNG(t))
		require.NoError(t, mw.Close())
		r := mediaRequest(t, e, key.Secret, mw.FormDataContentType(), buf.Bytes())
		p := r.requireProblem(t, http.StatusUnprocessableEntity)
		require.Contains(t, r.Body, "control characters")
		require.Equal(t, []string{"body.file"}, fieldLocations(t, p))
	})
	t.Run("TruncatedBody", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("file", "a.pdf")
		require.NoError(t, err)
		_, _ = fw.Write(mediaPDF(500))
		// no closing boundary: the part never ends
		r := mediaRequest(t, e, key.Secret, mw.FormDataContentType(), buf.Bytes())
		r.requireProblem(t, http.StatusBadRequest)
	})
	t.Run("NoFileField", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		require.NoError(t, mw.WriteField("caption", "hello"))
		require.NoError(t, mw.Close())
		r := mediaRequest(t, e, key.Secret, mw.FormDataContentType(), buf.Bytes())
		p := r.requireProblem(t, http.StatusUnprocessableEntity)
		require.Equal(t, []string{"body.file"}, fieldLocations(t, p))
	})
	requireNoMedia(t, e, alpha.tenant)

	t.Run("StorageQuota", func(t *testing.T) {
		mediaSetPlan(t, e, 2000, 2500)
		r := mediaUpload(t, e, key.Secret, "a.pdf", mediaPDF(2000))
		require.Equal(t, http.StatusCreated, r.Status, r.Body)
		r = mediaUpload(t, e, key.Secret, "b.pdf", mediaPDF(2000))
		p := r.requireProblem(t, http.StatusRequestEntityTooLarge)
		require.Contains(t, p["detail"], "media storage")
	})
}

func TestMedia_TenantIsolation(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	alpha := signup(t, e, "Alpha")
	bravo := signup(t, e, "Bravo")
	keyA := newKey(t, e, alpha, "a", auth.ScopeRead, auth.ScopeSend)
	keyB := newKey(t, e, bravo, "b", auth.ScopeRead, auth.ScopeSend)
	r := mediaUpload(t, e, keyB.Secret, "bravo-secret.png", mediaPNG(t))
	require.Equal(t, http.StatusCreated, r.Status, r.Body)
	bravoID := r.json(t)["id"].(string)

	g := call(t, e.URL(), http.MethodGet, "/api/v1/media/"+bravoID, bearer(keyA.Secret)...)
	p := g.requireProblem(t, http.StatusNotFound)
	missing := call(t, e.URL(), http.MethodGet, "/api/v1/media/"+uuid.Must(uuid.NewV7()).String(), bearer(keyA.Secret)...)
	require.Equal(t, p["detail"], missing.requireProblem(t, http.StatusNotFound)["detail"], "worded as for an id that does not exist")
	require.NotContains(t, g.Body, "bravo-secret")

	g = call(t, e.URL(), http.MethodGet, "/api/v1/media/"+bravoID, bearer(keyB.Secret)...)
	require.Equal(t, http.StatusOK, g.Status, g.Body)
}
