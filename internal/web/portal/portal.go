// Package portal serves the tenant's pages under /app: dashboard, team, API keys, audit log,
// account and workspace settings, API documentation. Every route here runs behind the login and
// tenant gates of package web, so auth.User and auth.TenantID are always set.
package portal

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
)

// Deps is what the portal needs.
type Deps struct {
	Log         *slog.Logger
	DB          store.DB // read-only listings (audit log)
	Users       *auth.Service
	Keys        *auth.APIKeys
	Logins      *auth.Logins
	Tenants     *tenant.Service
	MailEnabled bool
	Simulator   bool
	BaseURL     string
}

// Register adds the portal routes to r (the /app group).
func Register(r fiber.Router, d Deps) {
	_ = d
}
