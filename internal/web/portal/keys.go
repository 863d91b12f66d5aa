package portal

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/keys"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/portalui"
)

func (h *handlers) listKeys(c *fiber.Ctx) error {
	return h.renderKeys(c, fiber.StatusOK, keys.Form{Scopes: keys.DefaultScopes})
}

// renderKeys renders the keys page; with status 422 it carries the new-key form's errors.
func (h *handlers) renderKeys(c *fiber.Ctx, status int, form keys.Form) error {
	ctx := c.UserContext()
	rows, err := h.d.Keys.List(ctx, auth.TenantID(ctx))
	if err != nil {
		return err
	}
	p := keysPage(user(ctx), rows, time.Now())
	p.CSRFToken, p.Form = h.csrf(ctx), form
	return httpx.Render(c, status, keys.Index(h.shell(c, "API keys", layout.NavKeys), p))
}

func (h *handlers) createKey(c *fiber.Ctx) error {
	ctx := c.UserContext()
	form := keys.Form{Name: c.FormValue("name"), Scopes: formValues(c, "scopes")}
	k, err := h.d.Keys.Create(ctx, user(ctx), auth.CreateKeyInput{Name: form.Name, Scopes: form.Scopes})
	if errs, ok := fieldErrors(err); ok {
		form.Errors = errs
		return h.renderKeys(c, fiber.StatusUnprocessableEntity, form)
	} else if err != nil {
		return err
	}
	// The secret is in this answer only: no cache may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpx.Render(c, fiber.StatusOK, keys.Created(h.shell(c, "New API key", layout.NavKeys), keys.CreatedPage{
		Name: k.Key.Name, Prefix: k.Key.Prefix, Secret: k.Secret, Scopes: k.Key.Scopes,
		Curl: keys.CurlExample(h.d.BaseURL, k.Secret),
	}))
}

func (h *handlers) confirmRevokeKey(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u := user(ctx)
	k, err := h.d.Keys.Get(ctx, u.TenantID, id)
	if err != nil {
		return err
	}
	if !auth.CanRevokeKey(u, k.CreatedBy) {
		return auth.ErrForbidden
	}
	if k.RevokedAt != nil {
		h.flash(ctx, components.FlashInfo, "That key was revoked already.")
		return httpx.Redirect(c, paths.Keys)
	}
	cf := portalui.Confirm{Action: paths.KeyRevoke(k.ID), CancelURL: paths.Keys, CSRFToken: h.csrf(ctx), TestID: "revoke-form",
		Title: "Revoke the key “" + k.Name + "”?", Button: "Revoke key",
		Text:   "Requests with " + k.Prefix + "… are refused within a second, on every server. This cannot be undone.",
		Detail: "Anything still using this key stops working: give it a new key first if it should go on."}
	return httpx.Render(c, fiber.StatusOK, keys.ConfirmRevoke(h.shell(c, "Revoke API key", layout.NavKeys), cf))
}

func (h *handlers) revokeKey(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := h.d.Keys.RevokeAs(ctx, user(ctx), id); err != nil {
		return err
	}
	h.success(ctx, "API key revoked. Requests with it are now refused.")
	return httpx.Redirect(c, paths.Keys)
}

func keysPage(actor auth.CurrentUser, rows []auth.APIKey, now time.Time) keys.Page {
	p := keys.Page{Now: now}
	for _, r := range rows {
		p.Keys = append(p.Keys, keys.Key{ID: r.ID, Name: r.Name, Prefix: r.Prefix, Scopes: r.Scopes, CreatedBy: r.CreatedByEmail,
			Created: r.CreatedAt, LastUsed: r.LastUsedAt, Revoked: r.RevokedAt, CanRevoke: auth.CanRevokeKey(actor, r.CreatedBy)})
	}
	return p
}

// formValues returns every value of a repeated form field (checkboxes), copied out of Fiber's buffers.
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(v))
	}
	return out
}
