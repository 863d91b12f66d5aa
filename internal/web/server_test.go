package web_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestServer_Health(t *testing.T) {
	t.Parallel()

	t.Run("ReadyWhenBothAnswer", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		r := e.NewBrowser().Get("/readyz")
		require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
		var got struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.Body), &got))
		require.Equal(t, "ok", got.Status)
		require.Equal(t, map[string]string{"postgres": "ok", "redis": "ok"}, got.Checks)
	})

	t.Run("NotReadyWithoutRedisButAlive", func(t *testing.T) {
		t.Parallel()
		rs := dbtest.PrivateRedis(t)
		e := webtest.New(t, &webtest.Opts{RedisURL: rs.URL()})
		b := e.NewBrowser()
		rs.Stop(t)
		r := b.Get("/readyz")
		require.Equal(t, http.StatusServiceUnavailable, r.StatusCode)
		require.JSONEq(t, `{"status":"unavailable","checks":{"postgres":"ok","redis":"unavailable"}}`, r.Body)

		require.Equal(t, http.StatusOK, b.Get("/healthz").StatusCode, "liveness does not depend on Redis")

		rs.Restart(t)
		require.Equal(t, http.StatusOK, b.Get("/readyz").StatusCode, "ready again once Redis is back")
	})
}

func TestServer_Pages(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	b := e.NewBrowser()

	t.Run("Landing", func(t *testing.T) {
		r := b.Get("/")
		require.Equal(t, http.StatusOK, r.StatusCode)
		require.Equal(t, "text/html; charset=utf-8", r.Header.Get("Content-Type"))
		doc := r.Doc(t)
		require.NotEmpty(t, r.TestID(t, "hero-title"))
		require.Equal(t, 6, doc.Find(`[data-testid="feature-card"]`).Length())
		require.Contains(t, r.TestID(t, "footer-version"), "webtest")
		require.NotZero(t, doc.Find(`a[href="/signup"]`).Length(), "sign-up is open by default")
		// Every asset the page links is served from the binary, cached for a year.
		var assets []string
		doc.Find(`link[rel="stylesheet"], script[src]`).Each(func(_ int, s *goquery.Selection) {
			src, ok := s.Attr("href")
			if !ok {
				src, _ = s.Attr("src")
			}
			assets = append(assets, src)
		})
		require.NotEmpty(t, assets)
		for _, src := range assets {
			a := b.Get(src)
			require.Equal(t, http.StatusOK, a.StatusCode, src)
			require.Equal(t, "public, max-age=31536000, immutable", a.Header.Get("Cache-Control"), src)
		}
	})

	t.Run("NotFoundPage", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.URL()+"/no/such/page", nil)
		req.Header.Set("X-Request-ID", "req-12345678")
		r := b.Do(req)
		require.Equal(t, http.StatusNotFound, r.StatusCode)
		require.Equal(t, "req-12345678", r.Header.Get("X-Request-ID"))
		require.Equal(t, "404", r.TestID(t, "error-status"))
		require.Equal(t, "req-12345678", r.TestID(t, "error-request-id"))
	})

	t.Run("NotFoundAsProblemForAPI", func(t *testing.T) {
		r := b.Get("/api/v1/nothing")
		require.Equal(t, http.StatusNotFound, r.StatusCode)
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
		var p map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.Body), &p))
		require.Equal(t, float64(404), p["status"])
		require.Equal(t, "Not Found", p["title"])
	})

	t.Run("BogusRequestIDReplaced", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.URL()+"/healthz", nil)
		req.Header.Set("X-Request-ID", "<script>")
		require.Len(t, b.Do(req).Header.Get("X-Request-ID"), 36)
	})
}
