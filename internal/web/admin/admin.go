// Package admin serves the operator console under /admin: tenants, plans, the audit log and
// platform settings, plus the operators' own login and mandatory two-factor.
package admin

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
)

// Deps is what the console needs.
type Deps struct {
	Log       *slog.Logger
	DB        store.DB
	Operators *auth.Operators
	Users     *auth.Service
	Logins    *auth.Logins
	Tenants   *tenant.Service
}

// RegisterPublic adds the console routes reachable before an operator is fully logged in (login,
// two-factor) to r (the /admin group).
func RegisterPublic(r fiber.Router, d Deps) {
	_ = d
}

// Register adds the console routes to r (the /admin group behind the operator gate).
func Register(r fiber.Router, d Deps) {
	_ = d
}
