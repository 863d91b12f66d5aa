// Package api is the REST API under /api/v1: Huma on Fiber (OpenAPI 3.1 at /api/v1/openapi.json,
// RFC 9457 errors), authenticated by API keys, limited per tenant across all instances.
package api

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/tenant"
)

// Deps is what the API needs.
type Deps struct {
	Log     *slog.Logger
	Keys    *auth.APIKeys
	Tenants *tenant.Service
	Limiter *ratelimit.Limiter
	Version string
	BaseURL string
}

// Register mounts the API on app.
func Register(app *fiber.App, d Deps) {
	_ = d
}
