package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/web"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type testBundle struct {
	pool  *pgxpool.Pool
	redis *dbtest.RedisServer
}

func setup(t *testing.T) (*web.Server, *testBundle) {
	t.Helper()
	b := &testBundle{pool: dbtest.Pool(t), redis: dbtest.PrivateRedis(t)}
	opt, err := redis.ParseURL(b.redis.URL())
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	srv := web.New(web.Deps{
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Version: "v-test",
		Checks: map[string]web.Check{
			"postgres": b.pool.Ping,
			"redis":    func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
		},
	})
	return srv, b
}

func do(t *testing.T, srv *web.Server, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := srv.App.Test(req, 10_000)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	return resp, body
}

func TestServer_Health(t *testing.T) {
	t.Parallel()

	t.Run("ReadyWhenBothAnswer", func(t *testing.T) {
		t.Parallel()
		srv, _ := setup(t)
		resp, body := do(t, srv, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		var got struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		require.NoError(t, json.Unmarshal(body, &got))
		require.Equal(t, "ok", got.Status)
		require.Equal(t, map[string]string{"postgres": "ok", "redis": "ok"}, got.Checks)
	})

	t.Run("NotReadyWithoutRedisButAlive", func(t *testing.T) {
		t.Parallel()
		srv, b := setup(t)
		b.redis.Stop(t)
		resp, body := do(t, srv, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.JSONEq(t, `{"status":"unavailable","checks":{"postgres":"ok","redis":"unavailable"}}`, string(body))

		resp, _ = do(t, srv, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		require.Equal(t, http.StatusOK, resp.StatusCode, "liveness does not depend on Redis")

		b.redis.Restart(t)
		resp, _ = do(t, srv, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusOK, resp.StatusCode, "ready again once Redis is back")
	})
}

func TestServer_Pages(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t)

	t.Run("Landing", func(t *testing.T) {
		resp, body := do(t, srv, httptest.NewRequest(http.MethodGet, "/", nil))
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
		require.NoError(t, err)
		require.NotEmpty(t, doc.Find(`[data-testid="hero-title"]`).Text())
		require.Equal(t, 6, doc.Find(`[data-testid="feature-card"]`).Length())
		require.Contains(t, doc.Find(`[data-testid="footer-version"]`).Text(), "v-test")
		require.Zero(t, doc.Find(`a[href="/signup"]`).Length(), "no link to pages that do not exist yet")
		// Every asset the page links must be served from the binary.
		doc.Find(`link[rel="stylesheet"], script[src]`).Each(func(_ int, s *goquery.Selection) {
			src, ok := s.Attr("href")
			if !ok {
				src, _ = s.Attr("src")
			}
			r, _ := do(t, srv, httptest.NewRequest(http.MethodGet, src, nil))
			require.Equal(t, http.StatusOK, r.StatusCode, src)
			require.Equal(t, "public, max-age=31536000, immutable", r.Header.Get("Cache-Control"), src)
		})
	})

	t.Run("NotFoundPage", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/no/such/page", nil)
		req.Header.Set("X-Request-ID", "req-12345678")
		resp, body := do(t, srv, req)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		require.Equal(t, "req-12345678", resp.Header.Get("X-Request-ID"))
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
		require.NoError(t, err)
		require.Equal(t, "404", doc.Find(`[data-testid="error-status"]`).Text())
		require.Equal(t, "req-12345678", doc.Find(`[data-testid="error-request-id"]`).Text())
	})

	t.Run("NotFoundAsProblemForAPI", func(t *testing.T) {
		resp, body := do(t, srv, httptest.NewRequest(http.MethodGet, "/api/v1/nothing", nil))
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
		require.JSONEq(t, `{"status":404,"title":"Not Found","detail":""}`, string(body))
	})

	t.Run("BogusRequestIDReplaced", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header.Set("X-Request-ID", "<script>")
		resp, _ := do(t, srv, req)
		require.Len(t, resp.Header.Get("X-Request-ID"), 36)
	})
}
