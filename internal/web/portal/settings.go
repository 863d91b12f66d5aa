package portal

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/settings"
)

func (h *handlers) showSettings(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if err := requireManager(ctx); err != nil {
		return err
	}
	t, err := h.d.Tenants.Get(ctx, auth.TenantID(ctx))
	if err != nil {
		return err
	}
	p := settings.Page{CSRFToken: h.csrf(ctx), PlanName: t.Plan.Name,
		Form: settings.Form{Name: t.Name, Timezone: t.Timezone, DefaultCountry: t.DefaultCountry}}
	return httpx.Render(c, fiber.StatusOK, settings.Index(h.shell(c, "Settings", layout.NavSettings), p))
}

func (h *handlers) saveSettings(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if err := requireManager(ctx); err != nil {
		return err
	}
	form := settings.Form{Name: c.FormValue("name"), Timezone: c.FormValue("timezone"),
		OtherTimezone: strings.TrimSpace(c.FormValue("timezone_other")), DefaultCountry: c.FormValue("default_country")}
	tz := form.Timezone
	if form.OtherTimezone != "" {
		tz = form.OtherTimezone
	}
	saved, err := h.d.Tenants.UpdateSettings(ctx, auth.TenantID(ctx), tenant.Settings{Name: form.Name, Timezone: tz, DefaultCountry: form.DefaultCountry})
	if errs, ok := fieldErrors(err); ok {
		form.Errors = errs
		return h.settingsErrors(c, form)
	} else if err != nil {
		return err
	}
	h.success(ctx, "Settings saved for "+saved.Name+".")
	return httpx.Redirect(c, paths.Settings)
}

// settingsErrors answers a settings form that came back with errors: the form alone for htmx, the
// whole page otherwise.
func (h *handlers) settingsErrors(c *fiber.Ctx, form settings.Form) error {
	ctx := c.UserContext()
	p := settings.Page{CSRFToken: h.csrf(ctx), Form: form}
	if fragment(c) {
		return httpx.Render(c, fiber.StatusUnprocessableEntity, settings.FormFragment(p))
	}
	t, err := h.d.Tenants.Get(ctx, auth.TenantID(ctx))
	if err != nil {
		return err
	}
	p.PlanName = t.Plan.Name
	return httpx.Render(c, fiber.StatusUnprocessableEntity, settings.Index(h.shell(c, "Settings", layout.NavSettings), p))
}
