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

// forgotForm asks for the account's address when this server sends mail; otherwise it says who
// can make a reset link instead.
func (h *handlers) forgotForm(c *fiber.Ctx) error {
	return httpx.Render(c, fiber.StatusOK, signin.Forgot(signin.ForgotPage{Chrome: h.chrome(c), MailEnabled: h.d.MailEnabled}))
}

// forgot mails a reset link when the address has an account, and answers the same either way: the
// page never tells whether the account exists, and never shows a link.
func (h *handlers) forgot(c *fiber.Ctx) error {
	page := signin.ForgotPage{MailEnabled: h.d.MailEnabled, Email: c.FormValue(signin.FieldEmail)}
	if !h.d.MailEnabled {
		page.Chrome = h.chrome(c)
		return httpx.Render(c, fiber.StatusOK, signin.Forgot(page))
	}
	err := h.d.Users.RequestPasswordReset(c.UserContext(), page.Email)
	var ve *validate.Errors
	switch {
	case errors.As(err, &ve):
		page.Chrome, page.Errors = h.chrome(c), ve.Fields
		return httpx.Render(c, fiber.StatusUnprocessableEntity, signin.Forgot(page))
	case errors.Is(err, auth.ErrMailDisabled):
		page.Chrome, page.MailEnabled = h.chrome(c), false
		return httpx.Render(c, fiber.StatusOK, signin.Forgot(page))
	case err != nil:
		return err
	}
	page.Chrome, page.Sent = h.chrome(c), true
	return httpx.Render(c, fiber.StatusOK, signin.Forgot(page))
}

// linkInvalid is the friendly 404 for a reset or invitation link that no longer works.
func (h *handlers) linkInvalid(c *fiber.Ctx, kind string) error {
	return httpx.Render(c, fiber.StatusNotFound, signin.LinkInvalid(signin.LinkInvalidPage{Chrome: h.chrome(c), Kind: kind}))
}

// resetPage renders the new-password form of a live link, or the invalid-link page. Operators'
// links are not for this page: the console resets operators.
func (h *handlers) resetPage(c *fiber.Ctx, status int, errs signin.Errors) error {
	tok := c.Params("token")
	t, err := h.d.Users.CheckResetLink(c.UserContext(), tok)
	if errors.Is(err, auth.ErrInvalidLink) || (err == nil && t.Operator) {
		return h.linkInvalid(c, signin.LinkReset)
	} else if err != nil {
		return err
	}
	return httpx.Render(c, status, signin.Reset(signin.ResetPage{Chrome: h.chrome(c), Token: tok, Email: t.Email, Errors: errs}))
}

// resetForm shows the form behind a reset link.
func (h *handlers) resetForm(c *fiber.Ctx) error { return h.resetPage(c, fiber.StatusOK, nil) }

// reset sets the new password through the one-time link, which ends every login of the account,
// and sends the user to log in with it.
func (h *handlers) reset(c *fiber.Ctx) error {
	pw := c.FormValue(signin.FieldPassword)
	if pw != c.FormValue(signin.FieldPasswordConfirm) {
		return h.resetPage(c, fiber.StatusUnprocessableEntity, signin.Errors{signin.FieldPasswordConfirm: msgPasswordMismatch})
	}
	err := h.d.Users.ResetPassword(c.UserContext(), c.Params("token"), pw)
	var ve *validate.Errors
	switch {
	case errors.As(err, &ve):
		return h.resetPage(c, fiber.StatusUnprocessableEntity, ve.Fields)
	case errors.Is(err, auth.ErrInvalidLink):
		return h.linkInvalid(c, signin.LinkReset)
	case err != nil:
		return err
	}
	h.flash(c, components.FlashSuccess, msgPasswordReset)
	return httpx.Redirect(c, paths.Login)
}
