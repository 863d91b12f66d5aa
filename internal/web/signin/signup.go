package signin

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/signin"
)

// signupForm shows the sign-up form, or why there is none (invitation only).
func (h *handlers) signupForm(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if u, ok := auth.UserFrom(ctx); ok {
		return h.alreadyIn(c, u, paths.App)
	}
	mode, err := h.d.Tenants.SignupMode(ctx)
	if err != nil {
		return err
	}
	return httpx.Render(c, fiber.StatusOK, signin.Signup(signin.SignupPage{Chrome: h.chrome(c), Mode: mode}))
}

// signup creates a workspace and its owner, logs the owner in and sends them to the portal (where
// a workspace awaiting approval says so).
func (h *handlers) signup(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in := auth.SignupInput{Company: c.FormValue(signin.FieldCompany), Name: c.FormValue(signin.FieldName),
		Email: c.FormValue(signin.FieldEmail), Password: c.FormValue(signin.FieldPassword)}
	u, t, err := h.d.Users.Signup(ctx, in)
	var ve *validate.Errors
	switch {
	case errors.As(err, &ve):
		return h.signupInvalid(c, in, ve)
	case errors.Is(err, auth.ErrSignupClosed):
		return httpx.Render(c, fiber.StatusForbidden, signin.Signup(signin.SignupPage{Chrome: h.chrome(c), Mode: signin.ModeInvite}))
	case err != nil:
		return err
	}
	if err := h.logIn(c, u); err != nil {
		return err
	}
	if t.Status == tenant.StatusActive {
		h.flash(c, components.FlashSuccess, "Welcome to Wagate, "+u.Name+"! Your workspace "+t.Name+" is ready.")
	}
	return httpx.Redirect(c, paths.App)
}

// signupInvalid re-renders the form with the input kept (never the password) and the errors in place.
func (h *handlers) signupInvalid(c *fiber.Ctx, in auth.SignupInput, ve *validate.Errors) error {
	mode, err := h.d.Tenants.SignupMode(c.UserContext())
	if err != nil {
		return err
	}
	return httpx.Render(c, fiber.StatusUnprocessableEntity, signin.Signup(signin.SignupPage{
		Chrome: h.chrome(c), Mode: mode, Company: in.Company, Name: in.Name, Email: in.Email, Errors: ve.Fields,
	}))
}
