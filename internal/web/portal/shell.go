package portal

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/portalui"
)

// shell builds the app shell around a full page: who is logged in, the CSRF token, the flash
// message (taken, so it shows once) and the active navigation item. Fragments for htmx do not call
// it, so a flash waits for the next full page.
func (h *handlers) shell(c *fiber.Ctx, title, active string) layout.Shell {
	ctx := c.UserContext()
	u := user(ctx)
	s := layout.Shell{
		Title: title, Active: active, UserName: u.Name, UserEmail: u.Email, UserRole: u.Role,
		TenantName: u.TenantName, CanManage: u.CanManageMembers(), Simulator: h.d.Sessions.Simulated(),
		CSRFToken: h.csrf(ctx),
	}
	if f, ok := h.d.Logins.PopFlash(ctx); ok {
		s.Flash = &layout.ShellFlash{Kind: f.Kind, Text: f.Text}
	}
	return s
}

func (h *handlers) csrf(ctx context.Context) string {
	return h.d.Logins.CSRFToken(ctx, httpx.NewCSRFToken)
}

// flash keeps a message for the next page (a copy: Fiber reuses request memory).
func (h *handlers) flash(ctx context.Context, kind, text string) {
	h.d.Logins.SetFlash(ctx, auth.Flash{Kind: kind, Text: strings.Clone(text)})
}

func (h *handlers) success(ctx context.Context, text string) {
	h.flash(ctx, components.FlashSuccess, text)
}

// user is the logged-in user; the portal's gates guarantee one.
func user(ctx context.Context) auth.CurrentUser {
	u, _ := auth.UserFrom(ctx)
	return u
}

// pathID parses the :id route parameter. A malformed id is a page that does not exist.
func pathID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, fiber.ErrNotFound
	}
	return id, nil
}

// fieldErrors returns the field errors err carries, if it is a validation error.
func fieldErrors(err error) (portalui.Errors, bool) {
	var ve *validate.Errors
	if errors.As(err, &ve) {
		return portalui.Errors(ve.Fields), true
	}
	return nil, false
}

// requireManager refuses members the owner and admin pages (audit log, settings).
func requireManager(ctx context.Context) error {
	if !user(ctx).CanManageMembers() {
		return auth.ErrForbidden
	}
	return nil
}

// fragment reports whether htmx asked for a part of the page. A history restore (htmx found no
// copy of a page it pushed) needs the whole page.
func fragment(c *fiber.Ctx) bool {
	return httpx.IsHTMX(c) && c.Get("HX-History-Restore-Request") != "true"
}
