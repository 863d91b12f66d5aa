package portal

import (
	"errors"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/account"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/portalui"
)

// totpIssuer names Wagate in authenticator apps.
const totpIssuer = "Wagate"

func (h *handlers) showAccount(c *fiber.Ctx) error {
	return httpx.Render(c, fiber.StatusOK, account.Index(h.shell(c, "Account", layout.NavAccount), h.accountPage(c)))
}

func (h *handlers) accountPage(c *fiber.Ctx) account.Page {
	ctx := c.UserContext()
	u := user(ctx)
	return account.Page{CSRFToken: h.csrf(ctx), Name: u.Name, Email: u.Email, Role: u.Role, TenantName: u.TenantName,
		Joined: u.CreatedAt, LastLogin: u.LastLoginAt, TOTPEnabled: u.TOTPEnabledAt, MinPassword: auth.MinPasswordLen, Now: time.Now()}
}

// accountErrors answers a form of the account page that came back with errors: the form alone
// for htmx, the whole page otherwise.
func (h *handlers) accountErrors(c *fiber.Ctx, p account.Page, form func(account.Page) templ.Component) error {
	if fragment(c) {
		return httpx.Render(c, fiber.StatusUnprocessableEntity, form(p))
	}
	return httpx.Render(c, fiber.StatusUnprocessableEntity, account.Index(h.shell(c, "Account", layout.NavAccount), p))
}

func (h *handlers) changePassword(c *fiber.Ctx) error {
	ctx := c.UserContext()
	current, next := c.FormValue("current_password"), c.FormValue("new_password")
	if next != c.FormValue("confirm_password") {
		p := h.accountPage(c)
		p.Password = portalui.Errors{"confirm_password": "The two new passwords are not the same."}
		return h.accountErrors(c, p, account.PasswordForm)
	}
	changed, err := h.d.Users.ChangePassword(ctx, user(ctx).User, current, next)
	if errs, ok := fieldErrors(err); ok {
		p := h.accountPage(c)
		p.Password = errs
		return h.accountErrors(c, p, account.PasswordForm)
	} else if err != nil {
		return err
	}
	if err := h.d.Logins.KeepAfterPasswordChange(ctx, changed); err != nil {
		return err
	}
	h.success(ctx, "Password changed. Your other logins have ended; this one goes on.")
	return httpx.Redirect(c, paths.Account)
}

func (h *handlers) showTOTPSetup(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := user(ctx)
	if u.TOTPEnabledAt != nil {
		h.flash(ctx, components.FlashInfo, "Two-factor authentication is on already.")
		return httpx.Redirect(c, paths.Account)
	}
	// A reload keeps the secret being set up, so a code already scanned stays valid.
	setup, err := auth.TOTPSetupFor(totpIssuer, u.Email, h.d.Logins.TOTPSetup(ctx))
	if err != nil {
		if setup, err = auth.NewTOTP(totpIssuer, u.Email); err != nil {
			return err
		}
		h.d.Logins.SetTOTPSetup(ctx, setup.Secret)
	}
	return h.renderTOTPSetup(c, fiber.StatusOK, setup, nil)
}

func (h *handlers) renderTOTPSetup(c *fiber.Ctx, status int, setup auth.TOTPSetup, errs portalui.Errors) error {
	ctx := c.UserContext()
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpx.Render(c, status, account.TOTPSetup(h.shell(c, "Set up two-factor", layout.NavAccount), account.TOTPPage{
		CSRFToken: h.csrf(ctx), Email: user(ctx).Email, QRImage: setup.QRImage, Secret: setup.Secret, Errors: errs,
	}))
}

func (h *handlers) enableTOTP(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := user(ctx)
	secret := h.d.Logins.TOTPSetup(ctx)
	if secret == "" || u.TOTPEnabledAt != nil {
		return httpx.Redirect(c, paths.AccountTOTP) // nothing being set up (or done already): start there
	}
	err := h.d.Users.EnableTOTP(ctx, u.User, secret, c.FormValue("code"))
	if errs, ok := fieldErrors(err); ok {
		setup, serr := auth.TOTPSetupFor(totpIssuer, u.Email, secret)
		if serr != nil {
			return errors.Join(err, serr)
		}
		return h.renderTOTPSetup(c, fiber.StatusUnprocessableEntity, setup, errs)
	} else if err != nil {
		return err
	}
	h.d.Logins.ClearTOTPSetup(ctx)
	h.success(ctx, "Two-factor authentication is on. You will be asked for a code at every login.")
	return httpx.Redirect(c, paths.Account)
}

func (h *handlers) disableTOTP(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := user(ctx)
	if u.TOTPEnabledAt == nil {
		return httpx.Redirect(c, paths.Account)
	}
	err := h.d.Users.DisableTOTP(ctx, u.User, c.FormValue("password"))
	if errs, ok := fieldErrors(err); ok {
		p := h.accountPage(c)
		p.TOTPDisable = errs
		return h.accountErrors(c, p, account.TOTPDisableForm)
	} else if err != nil {
		return err
	}
	h.flash(ctx, components.FlashWarning, "Two-factor authentication is off. Your password alone now protects your account.")
	return httpx.Redirect(c, paths.Account)
}
