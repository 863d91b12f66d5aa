package signin

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/signin"
)

// invitePage renders the invitation behind the link, or the invalid-link page.
func (h *handlers) invitePage(c *fiber.Ctx, status int, name string, errs signin.Errors) error {
	ctx := c.UserContext()
	tok := c.Params("token")
	inv, err := h.d.Users.Invitation(ctx, tok)
	if errors.Is(err, auth.ErrInvalidLink) {
		return h.linkInvalid(c, signin.LinkInvite)
	} else if err != nil {
		return err
	}
	page := signin.InvitePage{Chrome: h.chrome(c), Token: tok, Email: inv.Email, Role: inv.Role,
		TenantName: inv.TenantName, Name: name, Errors: errs}
	if u, ok := auth.UserFrom(ctx); ok {
		page.CurrentEmail = u.Email
	}
	return httpx.Render(c, status, signin.Invite(page))
}

// inviteForm shows who invites whom, and asks for a name and a password.
func (h *handlers) inviteForm(c *fiber.Ctx) error { return h.invitePage(c, fiber.StatusOK, "", nil) }

// acceptInvite creates the member's account in the inviting workspace and logs them in.
func (h *handlers) acceptInvite(c *fiber.Ctx) error {
	ctx := c.UserContext()
	name := c.FormValue(signin.FieldName)
	u, err := h.d.Users.AcceptInvitation(ctx, c.Params("token"), name, c.FormValue(signin.FieldPassword))
	var ve *validate.Errors
	switch {
	case errors.As(err, &ve):
		return h.invitePage(c, fiber.StatusUnprocessableEntity, name, ve.Fields)
	case errors.Is(err, auth.ErrInvalidLink):
		return h.linkInvalid(c, signin.LinkInvite)
	case err != nil:
		return err
	}
	if err := h.logIn(c, u); err != nil {
		return err
	}
	h.flash(c, components.FlashSuccess, "Welcome to Wagate, "+u.Name+"! You have joined your team's workspace.")
	return httpx.Redirect(c, paths.App)
}
