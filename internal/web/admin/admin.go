// Package admin serves the operator console under /admin: tenants, plans, the audit log and
// platform settings, plus the operators' own login and mandatory two-factor. Every console route
// but the login and two-factor pages runs behind package web's operator gate, so auth.Operator is
// always set there; the services record each action in the audit log themselves.
package admin

import (
	"log/slog"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
)

// Deps is what the console needs.
type Deps struct {
	Log       *slog.Logger
	Audit     *audit.Log
	Instances *cluster.Directory
	Operators *auth.Operators
	Users     *auth.Service
	Logins    *auth.Logins
	Tenants   *tenant.Service
	Sessions  *session.Service
}

type handlers struct{ Deps }

// RegisterPublic adds the console routes reachable before an operator is fully logged in (login,
// two-factor) to r (the /admin group).
func RegisterPublic(r fiber.Router, d Deps) {
	h := &handlers{d}
	r.Get("/login", h.loginForm)
	r.Post("/login", h.login)
	r.Get("/2fa/setup", h.setupForm)
	r.Post("/2fa/setup", h.setup)
	r.Get("/2fa", h.verifyForm)
	r.Post("/2fa", h.verify)
	r.Post("/logout", h.logout)
}

// Register adds the console routes to r (the /admin group behind the operator gate).
func Register(r fiber.Router, d Deps) {
	h := &handlers{d}
	r.Get("/", h.overview)

	r.Get("/tenants", h.listTenants)
	r.Get("/tenants/:id", h.showTenant)
	r.Post("/tenants/:id/"+paths.AdminTenantApprove, h.approveTenant)
	r.Get("/tenants/:id/"+paths.AdminTenantSuspend, h.confirmSuspend)
	r.Post("/tenants/:id/"+paths.AdminTenantSuspend, h.suspendTenant)
	r.Post("/tenants/:id/"+paths.AdminTenantReactivate, h.reactivateTenant)
	r.Post("/tenants/:id/"+paths.AdminTenantPlan, h.changePlan)
	r.Post("/tenants/:id/users/:uid/reset-link", h.makeResetLink)

	r.Get("/sessions", h.listSessions)
	r.Post("/sessions/:id/disconnect", h.disconnectSession)

	r.Get("/plans", h.listPlans)
	r.Get("/plans/new", h.newPlanForm)
	r.Post("/plans/new", h.createPlan)
	r.Get("/plans/:id", h.editPlanForm)
	r.Post("/plans/:id", h.updatePlan)

	r.Get("/audit", h.auditLog)

	r.Get("/settings", h.settingsForm)
	r.Post("/settings", h.saveSettings)
}

// shell is what every console page's layout needs: the operator, the CSRF token and, on full
// pages, the flash left by the previous action.
func (h *handlers) shell(c *fiber.Ctx, section, title string) layout.AdminShell {
	ctx := c.UserContext()
	op, _ := auth.OperatorFrom(ctx)
	s := layout.AdminShell{
		Head:    layout.Head{Title: title + " · Console", CSRFToken: h.Logins.CSRFToken(ctx, httpx.NewCSRFToken)},
		Section: section, OperatorEmail: op.Email, OperatorName: op.Name,
	}
	if !httpx.IsHTMX(c) {
		if f, ok := h.Logins.PopFlash(ctx); ok {
			s.FlashKind, s.FlashText = f.Kind, f.Text
		}
	}
	return s
}

func (h *handlers) flash(c *fiber.Ctx, kind, text string) {
	h.Logins.SetFlash(c.UserContext(), auth.Flash{Kind: kind, Text: text})
}

// idParam parses a path id; a malformed one names nothing, like an unknown one.
func idParam(c *fiber.Ctx, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(name))
	if err != nil {
		return uuid.Nil, fiber.ErrNotFound
	}
	return id, nil
}

// consolePath returns next when it is a console page on this site, else fallback: redirects
// after login and actions never leave the console, nor go back to the login pages.
func consolePath(next, fallback string) string {
	if next == "" || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	p := u.Path
	if p != paths.Admin && !strings.HasPrefix(p, paths.Admin+"/") {
		return fallback
	}
	if p == paths.AdminLogin || p == paths.AdminLogout || p == paths.AdminTOTP || strings.HasPrefix(p, paths.AdminTOTP+"/") {
		return fallback
	}
	return next
}
