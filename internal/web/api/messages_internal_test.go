package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/httpx"
)

// TestMessageErrors answers the message service's errors from a Huma operation and from a Fiber
// route alike: statuses, Retry-After, and the quota as members of the problem.
func TestMessageErrors(t *testing.T) {
	t.Parallel()
	installErrors()
	log := slog.New(slog.DiscardHandler)
	errs := map[string]error{
		"quota":      &message.QuotaError{Limit: 1000, Used: 1000, RetryAfter: 90*time.Minute + 200*time.Millisecond},
		"paced":      &message.PacedError{RetryAfter: 2300 * time.Millisecond},
		"running":    message.ErrIdempotencyRunning,
		"mismatch":   message.ErrIdempotencyMismatch,
		"cancel":     message.ErrNotCancelable,
		"notpaired":  message.ErrSessionNotPaired,
		"down":       message.ErrSessionUnavailable,
		"notfound":   message.ErrNotFound,
		"validation": validate.Field("to", "Not a valid phone number."),
	}
	statuses := map[string]int{"quota": 429, "paced": 429, "running": 409, "mismatch": 422, "cancel": 409, "notpaired": 409,
		"down": 409, "notfound": 404, "validation": 422}
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		return httpx.WriteProblem(c, httpx.ProblemFor(c.UserContext(), log, err))
	}})
	a := newAPI(app, Deps{Version: "test"})
	a.UseMiddleware(func(ctx huma.Context, next func(huma.Context)) { next(huma.WithValue(ctx, logKey{}, log)) })
	huma.Register(a, huma.Operation{OperationID: "fail", Method: http.MethodGet, Path: "/fail/{kind}"},
		func(_ context.Context, in *struct {
			Kind string `path:"kind"`
		}) (*struct{}, error) {
			return nil, errs[in.Kind]
		})
	app.Get("/fiber/:kind", func(c *fiber.Ctx) error { return errs[c.Params("kind")] })
	do := func(path string) (*http.Response, map[string]any) {
		resp, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil), -1)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m), string(b))
		return resp, m
	}
	for kind, status := range statuses {
		t.Run(kind, func(t *testing.T) {
			hr, hb := do(Prefix + "/fail/" + kind)
			fr, fb := do("/fiber/" + kind)
			require.Equal(t, status, hr.StatusCode)
			require.Equal(t, status, fr.StatusCode)
			require.Equal(t, "application/problem+json", hr.Header.Get("Content-Type"))
			require.Equal(t, fr.Header.Get("Retry-After"), hr.Header.Get("Retry-After"))
			require.Equal(t, fb, hb)
			require.NotEmpty(t, hb["detail"])
			if status == 429 {
				secs, err := strconv.Atoi(hr.Header.Get("Retry-After"))
				require.NoError(t, err)
				require.Positive(t, secs)
			} else {
				require.Empty(t, hr.Header.Get("Retry-After"))
			}
		})
	}
	t.Run("QuotaMembers", func(t *testing.T) {
		r, b := do(Prefix + "/fail/quota")
		require.Equal(t, "5401", r.Header.Get("Retry-After"), "90 min and a bit, rounded up")
		require.Equal(t, float64(1000), b["limit"])
		require.Equal(t, float64(1000), b["used"])
		resets, err := time.Parse(time.RFC3339, b["resets_at"].(string))
		require.NoError(t, err)
		require.WithinDuration(t, time.Now().Add(90*time.Minute), resets, 2*time.Second)
		require.Equal(t, "Daily message quota of 1000 reached; it resets in 1h30m1s.", b["detail"])
		require.Equal(t, "about:blank", b["type"])
		require.Equal(t, "Too Many Requests", b["title"])
		require.Equal(t, float64(429), b["status"])
	})
	t.Run("NoExtraMembersElsewhere", func(t *testing.T) {
		_, b := do(Prefix + "/fail/paced")
		for k := range b {
			require.Contains(t, []string{"type", "title", "status", "detail"}, k)
		}
	})
}

func TestProblemBody_Extensions(t *testing.T) {
	t.Parallel()
	p := httpx.Problem{Status: 429, Title: "Too Many Requests", Detail: "Wait.", Fields: map[string]string{"to": "Bad."},
		Extensions: map[string]any{"used": 3, "limit": 3, "resets_at": "2025-05-02T00:00:00Z"}}
	b, err := json.Marshal(p.Body())
	require.NoError(t, err)
	require.Equal(t, `{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"Wait.",`+
		`"errors":[{"message":"Bad.","location":"body.to"}],"limit":3,"resets_at":"2025-05-02T00:00:00Z","used":3}`, string(b))
	require.Equal(t, 429, p.Body().GetStatus())
	plain, err := json.Marshal(httpx.Problem{Status: 404, Title: "Not Found", Detail: "Gone."}.Body())
	require.NoError(t, err)
	require.Equal(t, `{"type":"about:blank","title":"Not Found","status":404,"detail":"Gone."}`, string(plain))
}

func TestCheckIdempotencyKey(t *testing.T) {
	t.Parallel()
	for key, ok := range map[string]bool{
		"a": true, "5f0c6a1e-8a1b-4bb4-9e39-0a6c2f9d7e11": true, "order 1042/retry#2": true, strings.Repeat("x", 255): true,
		strings.Repeat("x", 256): false, "café": false, "tab\there": false, "nul\x00": false, "del\x7f": false,
	} {
		require.Equal(t, ok, checkIdempotencyKey(key) == "", "%q", key)
	}
}

func TestRequestHash(t *testing.T) {
	t.Parallel()
	base := requestHash("POST", "/api/v1/messages", []byte(`{"to":"1"}`))
	require.Len(t, base, 32)
	require.Equal(t, base, requestHash("POST", "/api/v1/messages", []byte(`{"to":"1"}`)))
	for _, other := range [][]byte{
		requestHash("PUT", "/api/v1/messages", []byte(`{"to":"1"}`)),
		requestHash("POST", "/api/v1/messages/x", []byte(`{"to":"1"}`)),
		requestHash("POST", "/api/v1/messages", []byte(`{"to": "1"}`)),
		// The parts are length-prefixed: moving bytes from the path into the body changes the hash.
		requestHash("POST", "/api/v1/messages{", []byte(`"to":"1"}`)),
	} {
		require.False(t, bytes.Equal(base, other))
	}
}
