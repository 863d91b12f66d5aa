package admin

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/adminsettings"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
)

func (h *handlers) settingsForm(c *fiber.Ctx) error {
	mode, err := h.Tenants.SignupMode(c.UserContext())
	if err != nil {
		return err
	}
	return httpx.Render(c, fiber.StatusOK, adminsettings.Index(adminsettings.Page{
		Shell: h.shell(c, layout.AdminSettings, "Settings"), SignupMode: mode}))
}

func (h *handlers) saveSettings(c *fiber.Ctx) error {
	mode := c.FormValue("signup_mode")
	err := h.Tenants.SetSignupMode(c.UserContext(), mode)
	var ve *validate.Errors
	if errors.As(err, &ve) {
		page := adminsettings.Page{Shell: h.shell(c, layout.AdminSettings, "Settings"), SignupMode: mode, Error: ve.Fields["signup_mode"]}
		if httpx.IsHTMX(c) {
			return httpx.Render(c, fiber.StatusUnprocessableEntity, adminsettings.Form(page))
		}
		return httpx.Render(c, fiber.StatusUnprocessableEntity, adminsettings.Index(page))
	} else if err != nil {
		return err
	}
	h.flash(c, components.FlashSuccess, "Sign-up mode saved.")
	return httpx.Redirect(c, paths.AdminSettings)
}
