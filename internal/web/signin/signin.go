// Package signin serves the public account pages: sign-up, login (with the two-factor step),
// logout, forgotten and reset passwords, and accepting an invitation. Handlers parse, call one
// auth service, and render or redirect.
package signin

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/tenant"
)

// Deps is what the sign-in pages need.
type Deps struct {
	Log         *slog.Logger
	Users       *auth.Service
	Logins      *auth.Logins
	Tenants     *tenant.Service
	MailEnabled bool
}

// Register adds the sign-in routes to r (the app root).
func Register(r fiber.Router, d Deps) {
	_ = d
}
