package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/httpx"
)

// TestErrors_SameAsFiber returns the same errors from a Huma operation and from a plain Fiber
// route (whose error handler answers as the app's JSON branch does) and requires the same status,
// headers and body from both.
func TestErrors_SameAsFiber(t *testing.T) {
	t.Parallel()
	installErrors()
	log := slog.New(slog.DiscardHandler)
	errs := map[string]error{
		"fields":    validate.Field("name", "This field is required."),
		"suspended": auth.ErrTenantSuspended,
		"missing":   fmt.Errorf("load: %w", tenant.ErrNotFound),
		"throttled": &auth.ThrottledError{RetryAfter: 1500 * time.Millisecond},
		"bug":       errors.New("connection reset by peer"),
	}
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
	huma.Register(a, huma.Operation{OperationID: "create", Method: http.MethodPost, Path: "/things"},
		func(context.Context, *struct {
			Body struct {
				Name string `json:"name" minLength:"1"`
			}
		}) (*struct{}, error) {
			return nil, nil
		})
	app.Get("/fiber/:kind", func(c *fiber.Ctx) error { return errs[c.Params("kind")] })

	do := func(method, path, body string) (*http.Response, map[string]any) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := app.Test(req, -1)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m), string(b))
		return resp, m
	}

	for kind := range errs {
		t.Run(kind, func(t *testing.T) {
			hr, hb := do(http.MethodGet, Prefix+"/fail/"+kind, "")
			fr, fb := do(http.MethodGet, "/fiber/"+kind, "")
			require.Equal(t, fr.StatusCode, hr.StatusCode)
			require.Equal(t, "application/problem+json", hr.Header.Get("Content-Type"))
			require.Equal(t, fr.Header.Get("Content-Type"), hr.Header.Get("Content-Type"))
			require.Equal(t, fr.Header.Get("Retry-After"), hr.Header.Get("Retry-After"))
			require.Equal(t, fb, hb)
		})
	}

	t.Run("Statuses", func(t *testing.T) {
		for kind, status := range map[string]int{"fields": 422, "suspended": 403, "missing": 404, "throttled": 429, "bug": 500} {
			r, b := do(http.MethodGet, Prefix+"/fail/"+kind, "")
			require.Equal(t, status, r.StatusCode, kind)
			require.Equal(t, float64(status), b["status"], kind)
		}
		_, b := do(http.MethodGet, Prefix+"/fail/bug", "")
		require.NotContains(t, b["detail"], "connection reset", "a 5xx hides its cause")
		_, b = do(http.MethodGet, Prefix+"/fail/fields", "")
		require.Equal(t, []any{map[string]any{"message": "This field is required.", "location": "body.name"}}, b["errors"])
	})

	t.Run("HumaValidation", func(t *testing.T) {
		hr, hb := do(http.MethodPost, Prefix+"/things", `{"name":""}`)
		_, fb := do(http.MethodGet, "/fiber/fields", "")
		require.Equal(t, http.StatusUnprocessableEntity, hr.StatusCode)
		require.Equal(t, "application/problem+json", hr.Header.Get("Content-Type"))
		require.Equal(t, fb["type"], hb["type"])
		require.Equal(t, fb["title"], hb["title"])
		require.Equal(t, fb["detail"], hb["detail"], "Huma's validation is worded as ours")
		details, ok := hb["errors"].([]any)
		require.True(t, ok, hb)
		require.Len(t, details, 1)
		require.Equal(t, "body.name", details[0].(map[string]any)["location"])
		require.NotEmpty(t, details[0].(map[string]any)["message"])
	})
}
