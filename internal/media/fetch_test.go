package media_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/whatsapp"
)

// origin is a file server on a loopback address, counting the requests it gets.
type origin struct {
	*httptest.Server
	hits atomic.Int32
}

func newOrigin(t *testing.T, addr string, h http.HandlerFunc) *origin {
	t.Helper()
	o := &origin{}
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	o.Server = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		h(w, r)
	})}}
	o.Start()
	t.Cleanup(o.Close)
	return o
}

// requireURLRefused checks that err is a 422 on media_url whose message contains want.
func requireURLRefused(t *testing.T, err error, want string) {
	t.Helper()
	var ve *validate.Errors
	require.ErrorAs(t, err, &ve)
	require.Contains(t, ve.Fields["media_url"], want)
}

func TestService_Fetch(t *testing.T) {
	t.Parallel()
	png := pngBytes(t, 4)
	files := func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/named":
			w.Header().Set("Content-Disposition", `attachment; filename="../../Quarterly report.pdf"`)
			_, _ = w.Write(pdfBytes())
		case r.URL.Path == "/big":
			_, _ = w.Write(padded(pdfBytes(), 1001))
		case r.URL.Path == "/big-chunked":
			w.(http.Flusher).Flush() // no Content-Length: the limit is found while reading
			_, _ = w.Write(padded(pdfBytes(), 1001))
		case r.URL.Path == "/elf":
			_, _ = w.Write(elfBytes())
		case r.URL.Path == "/missing":
			http.NotFound(w, r)
		case strings.HasPrefix(r.URL.Path, "/hop/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
			if n == 0 {
				_, _ = w.Write(png)
				return
			}
			http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusFound)
		case r.URL.Path == "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case r.URL.Path == "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		default:
			_, _ = w.Write(png)
		}
	}
	ok := newOrigin(t, "127.0.0.1:0", files)

	t.Run("LoopbackRefusedByDefault", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		o := newOrigin(t, "127.0.0.1:0", files)
		_, err := b.svc.Fetch(t.Context(), b.tenant, o.URL+"/photo.png")
		requireURLRefused(t, err, "private, loopback or link-local")
		require.Zero(t, o.hits.Load(), "no request reached the address")
		b.requireNothingStored(t)
		_, err = b.svc.Fetch(t.Context(), b.tenant, strings.Replace(o.URL, "127.0.0.1", "localhost", 1)+"/photo.png")
		requireURLRefused(t, err, "private, loopback or link-local")
		_, err = b.svc.Fetch(t.Context(), b.tenant, "http://169.254.169.254/latest/meta-data/")
		requireURLRefused(t, err, "private, loopback or link-local")
		_, err = b.svc.Fetch(t.Context(), b.tenant, "http://[::ffff:127.0.0.1]:"+o.URL[strings.LastIndex(o.URL, ":")+1:]+"/x")
		requireURLRefused(t, err, "private, loopback or link-local")
		require.Zero(t, o.hits.Load())
	})
	t.Run("Allowed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{egressAllow: []string{"127.0.0.1"}})
		m, err := b.svc.Fetch(t.Context(), b.tenant, ok.URL+"/pics/photo.png?size=large")
		require.NoError(t, err)
		require.Equal(t, "image/png", m.MIME)
		require.Equal(t, whatsapp.KindImage, m.Kind)
		require.Equal(t, "photo.png", m.FileName)
		require.Equal(t, media.SourceURL, m.Source)
		require.Equal(t, int64(len(png)), m.Size)

		m, err = b.svc.Fetch(t.Context(), b.tenant, ok.URL+"/named")
		require.NoError(t, err)
		require.Equal(t, "Quarterly report.pdf", m.FileName, "the server's name, without its folders")

		m, err = b.svc.Fetch(t.Context(), b.tenant, ok.URL+"/")
		require.NoError(t, err)
		require.Equal(t, "file.png", m.FileName)
	})
	t.Run("AllowedByCIDRAndHostName", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{egressAllow: []string{"127.0.0.0/8"}})
		_, err := b.svc.Fetch(t.Context(), b.tenant, ok.URL+"/a.png")
		require.NoError(t, err)
		b2 := setup(t, &setupOpts{egressAllow: []string{"LOCALHOST"}})
		_, err = b2.svc.Fetch(t.Context(), b2.tenant, strings.Replace(ok.URL, "127.0.0.1", "localhost", 1)+"/a.png")
		require.NoError(t, err)
		_, err = b2.svc.Fetch(t.Context(), b2.tenant, ok.URL+"/a.png")
		requireURLRefused(t, err, "private, loopback")
	})
	t.Run("RedirectToRefusedAddress", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{egressAllow: []string{"127.0.0.1"}})
		// Another loopback address, listening, but not allowed: the redirect must not reach it.
		hidden := newOrigin(t, "127.0.0.2:0", files)
		o := newOrigin(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, hidden.URL+"/secret.png", http.StatusFound)
		})
		_, err := b.svc.Fetch(t.Context(), b.tenant, o.URL+"/x")
		requireURLRefused(t, err, "private, loopback or link-local")
		require.Equal(t, int32(1), o.hits.Load())
		require.Zero(t, hidden.hits.Load())

		_, err = b.svc.Fetch(t.Context(), b.tenant, ok.URL+"/to-metadata")
		requireURLRefused(t, err, "private, loopback or link-local")
		_, err = b.svc.Fetch(t.Context(), b.tenant, ok.URL+"/to-file")
		requireURLRefused(t, err, "not http:// or https://")
		b.requireNothingStored(t)
	})
	t.Run("Redirects", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{egressAllow: []string{"127.0.0.1"}})
		m, err := b.svc.Fetch(t.Context(), b.tenant, ok.URL+"/hop/3")
		require.NoError(t, err, "3 redirects are followed")
		require.Equal(t, "0", m.FileName[:1], "named after the final URL")
		_, err = b.svc.Fetch(t.Context(), b.tenant, ok.URL+"/hop/4")
		requireURLRefused(t, err, "redirected more than 3 times")
	})
	t.Run("Refusals", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{egressAllow: []string{"127.0.0.1"}})
		ctx := t.Context()
		_, err := b.svc.Fetch(ctx, b.tenant, ok.URL+"/big")
		require.ErrorIs(t, err, media.ErrTooLarge)
		_, err = b.svc.Fetch(ctx, b.tenant, ok.URL+"/big-chunked")
		require.ErrorIs(t, err, media.ErrTooLarge)
		_, err = b.svc.Fetch(ctx, b.tenant, ok.URL+"/elf")
		require.ErrorIs(t, err, media.ErrUnsupportedType)
		_, err = b.svc.Fetch(ctx, b.tenant, ok.URL+"/missing")
		requireURLRefused(t, err, "answered 404 Not Found")
		for _, bad := range []string{"", "not a url", "ftp://example.com/a.png", "file:///etc/passwd", "http://", "//example.com/a.png"} {
			_, err = b.svc.Fetch(ctx, b.tenant, bad)
			requireURLRefused(t, err, "http:// or https://")
		}
		_, err = b.svc.Fetch(ctx, b.tenant, "http://no-such-host.invalid/a.png")
		requireURLRefused(t, err, "could not be found")
		b.requireNothingStored(t)
	})
	t.Run("Timeout", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{egressAllow: []string{"127.0.0.1"}, cfg: func(c *media.Config) { c.FetchTimeout = 300 * time.Millisecond }})
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		slow := newOrigin(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
			select { // answer only once the client gave up (or the test ends)
			case <-r.Context().Done():
			case <-release:
			}
		})
		start := time.Now()
		_, err := b.svc.Fetch(t.Context(), b.tenant, slow.URL+"/a.png")
		requireURLRefused(t, err, "took too long")
		require.Less(t, time.Since(start), 10*time.Second)
	})
}
