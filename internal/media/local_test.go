package media_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/media/storetest"
	"github.com/wagate/wagate/internal/secret"
)

func newLocal(t *testing.T, dir, baseURL string, now func() time.Time) *media.Local {
	t.Helper()
	l, err := media.NewLocal(media.LocalConfig{Dir: dir, BaseURL: baseURL, Keys: testKeys, Now: now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func TestLocal_Conformance(t *testing.T) {
	t.Parallel()
	var l *media.Local
	srv := linkServer(t, func(r *http.Request, token string) (media.Download, error) { return l.OpenLink(r.Context(), token) })
	l = newLocal(t, t.TempDir(), srv.URL, nil)
	storetest.Run(t, l)
}

func TestLocal_RefusesKeysOutsideItsDirectory(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "media")
	l := newLocal(t, dir, "http://media.test", nil)
	ctx := t.Context()
	for _, key := range []string{"", "../escaped", "/etc/passwd", "a/../../escaped", "a/../b", "a//b", "./a", "a/.", `a\..\b`,
		"a/\x00b", ".tmp-x", "a/.tmp-y"} {
		t.Run(strings.ReplaceAll(key, "/", "|"), func(t *testing.T) {
			require.ErrorIs(t, l.Put(ctx, key, strings.NewReader("x"), 1, "text/plain"), media.ErrInvalidKey)
			_, err := l.Open(ctx, key)
			require.ErrorIs(t, err, media.ErrInvalidKey)
			require.ErrorIs(t, l.Delete(ctx, key), media.ErrInvalidKey)
			_, err = l.URL(ctx, key, "", "", time.Minute)
			require.ErrorIs(t, err, media.ErrInvalidKey)
		})
	}
	require.NoFileExists(t, filepath.Join(parent, "escaped"))
	require.Empty(t, filesIn(t, dir))
}

// TestLocal_SymlinkCannotEscape: a symbolic link planted in the directory does not lead out of it.
func TestLocal_SymlinkCannotEscape(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600))
	dir := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "tenants")))
	l := newLocal(t, dir, "http://media.test", nil)
	_, err := l.Open(t.Context(), "tenants/secret")
	require.Error(t, err)
	require.Error(t, l.Put(t.Context(), "tenants/new", strings.NewReader("x"), 1, "text/plain"))
	require.NoFileExists(t, filepath.Join(outside, "new"))
}

// failingReader gives n bytes, then fails.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("connection reset")
	}
	k := min(r.n, len(p))
	r.n -= k
	return k, nil
}

func (r *failingReader) Seek(int64, int) (int64, error) { return 0, nil }

// TestLocal_PutIsAtomic: a write that fails half-way leaves neither a partial file at the key nor a
// temporary file, and does not replace what was there.
func TestLocal_PutIsAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := newLocal(t, dir, "http://media.test", nil)
	ctx := t.Context()
	const key = "tenants/t/media/m"
	require.NoError(t, l.Put(ctx, key, strings.NewReader("first"), 5, "text/plain"))

	require.Error(t, l.Put(ctx, key, &failingReader{n: 3000}, 6000, "text/plain"))
	require.Error(t, l.Put(ctx, key, strings.NewReader("short"), 10, "text/plain"), "fewer bytes than announced")

	rc, err := l.Open(ctx, key)
	require.NoError(t, err)
	got, _ := io.ReadAll(rc)
	rc.Close()
	require.Equal(t, "first", string(got))
	require.Equal(t, []string{filepath.Join(dir, key)}, filesIn(t, dir), "no temporary file is left")
}

func TestLocal_Links(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2025, 5, 1, 9, 30, 0, 0, time.UTC)}
	l := newLocal(t, t.TempDir(), "https://wagate.example.com/", clk.now)
	ctx := t.Context()
	const key = "tenants/t/media/m"
	require.NoError(t, l.Put(ctx, key, strings.NewReader("%PDF-1.4"), 8, "application/pdf"))
	u, err := l.URL(ctx, key, "invoice.pdf", "application/pdf", 15*time.Minute)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(u, "https://wagate.example.com"+media.FilesPath), u)
	token := strings.TrimPrefix(u, "https://wagate.example.com"+media.FilesPath)

	t.Run("Valid", func(t *testing.T) {
		d, err := l.OpenLink(ctx, token)
		require.NoError(t, err)
		defer d.Body.Close()
		b, _ := io.ReadAll(d.Body)
		require.Equal(t, "%PDF-1.4", string(b))
		require.Equal(t, int64(8), d.Size)
		require.Equal(t, "invoice.pdf", d.FileName)
		require.Equal(t, "application/pdf", d.MIME)
		require.True(t, clk.t.Add(15*time.Minute).Equal(d.Expires), "%s", d.Expires)
	})
	t.Run("Tampered", func(t *testing.T) {
		payload, sig, _ := strings.Cut(token, ".")
		for _, bad := range []string{"", "x", payload, payload + ".", "." + sig, payload + "x." + sig,
			strings.ToUpper(payload) + "." + sig, payload + "." + sig[:len(sig)-2]} {
			_, err := l.OpenLink(ctx, bad)
			require.ErrorIs(t, err, media.ErrNotFound, "token %q", bad)
		}
	})
	t.Run("OtherSecretKey", func(t *testing.T) {
		other, err := media.NewLocal(media.LocalConfig{Dir: t.TempDir(), BaseURL: "https://wagate.example.com",
			Keys: secret.New([]byte("another-secret-key-0123456789abcdef-xyz")), Now: clk.now})
		require.NoError(t, err)
		defer other.Close()
		forged, err := other.URL(ctx, key, "x.pdf", "application/pdf", time.Hour)
		require.NoError(t, err)
		_, err = l.OpenLink(ctx, strings.TrimPrefix(forged, "https://wagate.example.com"+media.FilesPath))
		require.ErrorIs(t, err, media.ErrNotFound)
	})
	t.Run("Expired", func(t *testing.T) {
		c := &clock{t: clk.t}
		l2 := newLocal(t, t.TempDir(), "http://x", c.now)
		require.NoError(t, l2.Put(ctx, key, bytes.NewReader([]byte("abc")), 3, "text/plain"))
		u, err := l2.URL(ctx, key, "", "text/plain", time.Minute)
		require.NoError(t, err)
		tok := strings.TrimPrefix(u, "http://x"+media.FilesPath)
		c.t = c.t.Add(59 * time.Second)
		d, err := l2.OpenLink(ctx, tok)
		require.NoError(t, err)
		d.Body.Close()
		c.t = c.t.Add(time.Second)
		_, err = l2.OpenLink(ctx, tok)
		require.ErrorIs(t, err, media.ErrLinkExpired)
	})
	t.Run("FileGone", func(t *testing.T) {
		u, err := l.URL(ctx, "tenants/t/media/gone", "", "", time.Minute)
		require.NoError(t, err)
		_, err = l.OpenLink(ctx, strings.TrimPrefix(u, "https://wagate.example.com"+media.FilesPath))
		require.ErrorIs(t, err, media.ErrNotFound)
	})
}
