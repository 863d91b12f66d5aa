package web

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/notice"
	"github.com/wagate/wagate/views/paths"
)

// actorMiddleware records where the request comes from, for the audit log; loadPrincipal refines it.
func actorMiddleware(c *fiber.Ctx) error {
	c.SetUserContext(audit.WithActor(c.UserContext(), audit.Actor{
		Type: audit.ActorAnonymous, IP: httpx.ClientIP(c.UserContext()), UserAgent: string(c.Request().Header.UserAgent()),
	}))
	return c.Next()
}

// loadPrincipal puts the logged-in user or operator, if any, into the user context. A login whose
// user was removed, or made before the user's last password change, is ended here.
func (s *Server) loadPrincipal(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if uid, pwAt, ok := s.svc.Logins.UserID(ctx); ok {
		u, err := s.svc.Users.Current(ctx, uid)
		switch {
		case errors.Is(err, auth.ErrNotFound) || (err == nil && !auth.StillValid(pwAt, u.PasswordChangedAt)):
			if err := s.svc.Logins.Logout(ctx); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			ctx = auth.WithTenant(auth.WithUser(ctx, u), u.TenantID)
			a := audit.ActorFrom(ctx)
			a.Type, a.ID, a.Email = audit.ActorUser, &u.ID, u.Email
			ctx = audit.WithActor(ctx, a)
		}
	}
	if oid, pwAt, mfa, ok := s.svc.Logins.OperatorID(ctx); ok {
		op, err := s.svc.Operators.Get(ctx, oid)
		switch {
		case errors.Is(err, auth.ErrNotFound) || (err == nil && !auth.StillValid(pwAt, op.PasswordChangedAt)):
			if err := s.svc.Logins.Logout(ctx); err != nil {
				return err
			}
		case err != nil:
			return err
		case mfa:
			ctx = auth.WithOperator(ctx, op)
			a := audit.ActorFrom(ctx)
			a.Type, a.ID, a.Email = audit.ActorOperator, &op.ID, op.Email
			ctx = audit.WithActor(ctx, a)
		}
	}
	c.SetUserContext(ctx)
	return c.Next()
}

// requireUser sends visitors without a login to the login page, and back here afterwards.
func requireUser(c *fiber.Ctx) error {
	if _, ok := auth.UserFrom(c.UserContext()); !ok {
		return httpx.Redirect(c, paths.Login+"?next="+url.QueryEscape(c.OriginalURL()))
	}
	noStore(c)
	return c.Next()
}

// tenantGate stops the users of a suspended or pending tenant: they see why, and can do nothing
// but log out.
func (s *Server) tenantGate(c *fiber.Ctx) error {
	u, _ := auth.UserFrom(c.UserContext())
	switch u.TenantStatus {
	case tenant.StatusSuspended:
		return s.renderTenantNotice(c, u, tenant.StatusSuspended)
	case tenant.StatusPending:
		return s.renderTenantNotice(c, u, tenant.StatusPending)
	}
	return c.Next()
}

// requireOperator guards the console: operators who passed two-factor only. An operator who has
// not finished two-factor is sent to it; a tenant user is refused.
func (s *Server) requireOperator(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if _, ok := auth.OperatorFrom(ctx); ok {
		noStore(c)
		return c.Next()
	}
	if oid, _, _, ok := s.svc.Logins.OperatorID(ctx); ok {
		op, err := s.svc.Operators.Get(ctx, oid)
		if err != nil {
			return err
		}
		if op.TOTPEnabledAt == nil {
			return httpx.Redirect(c, paths.AdminTOTPSetup)
		}
		return httpx.Redirect(c, paths.AdminTOTP)
	}
	if _, ok := auth.UserFrom(ctx); ok {
		return fiber.NewError(fiber.StatusForbidden, "The console is for the platform's operators. Your account belongs to a workspace: go to the portal instead.")
	}
	return httpx.Redirect(c, paths.AdminLogin+"?next="+url.QueryEscape(c.OriginalURL()))
}

func (s *Server) renderTenantNotice(c *fiber.Ctx, u auth.CurrentUser, status string) error {
	tok := s.svc.Logins.CSRFToken(c.UserContext(), httpx.NewCSRFToken)
	return httpx.Render(c, fiber.StatusForbidden, notice.Tenant(notice.TenantModel{
		Status: status, Reason: u.SuspendedReason, Email: u.Email, TenantName: u.TenantName, CSRFToken: tok,
	}))
}

// noStore keeps pages behind a login (keys shown once, invitation and reset links, tenants' data)
// out of every cache, the browser's history cache included.
func noStore(c *fiber.Ctx) { c.Set(fiber.HeaderCacheControl, "private, no-store") }
