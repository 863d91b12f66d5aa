package signin

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/signin"
)

// loginForm shows the login form; a user already logged in goes on to where they were headed.
func (h *handlers) loginForm(c *fiber.Ctx) error {
	next := safeNext(c.Query(signin.FieldNext))
	if u, ok := auth.UserFrom(c.UserContext()); ok {
		return h.alreadyIn(c, u, target(next))
	}
	return httpx.Render(c, fiber.StatusOK, signin.Login(signin.LoginPage{Chrome: h.chrome(c), Next: next}))
}

// login checks the email and password. A user with two-factor on owes a code next; everyone else
// is logged in and sent to next (a local path) or the portal.
func (h *handlers) login(c *fiber.Ctx) error {
	ctx := auth.WithDeviceToken(c.UserContext(), c.Cookies(auth.DeviceCookie))
	page := signin.LoginPage{Email: c.FormValue(signin.FieldEmail), Next: safeNext(c.FormValue(signin.FieldNext))}
	u, err := h.d.Users.Authenticate(ctx, page.Email, c.FormValue(signin.FieldPassword))
	var te *auth.ThrottledError
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials):
		page.Chrome, page.Problem = h.chrome(c), msgInvalidCredentials
		return httpx.Render(c, fiber.StatusUnauthorized, signin.Login(page))
	case errors.As(err, &te):
		page.Problem = throttled(c, te.RetryAfter)
		page.Chrome = h.chrome(c)
		return httpx.Render(c, fiber.StatusTooManyRequests, signin.Login(page))
	case err != nil:
		return err
	}
	h.rememberDevice(c, u.Email)
	if u.TOTPEnabledAt != nil {
		if err := h.d.Logins.SetPending(ctx, u.ID); err != nil {
			return err
		}
		return httpx.Redirect(c, totpURL(page.Next))
	}
	if err := h.logIn(c, u); err != nil {
		return err
	}
	return httpx.Redirect(c, target(page.Next))
}

func totpURL(next string) string {
	if next == "" {
		return paths.LoginTOTP
	}
	return paths.LoginTOTP + "?" + signin.FieldNext + "=" + url.QueryEscape(next)
}

// pending is the user who passed the password and owes a two-factor code, if any.
func (h *handlers) pending(c *fiber.Ctx) (auth.CurrentUser, bool, error) {
	ctx := c.UserContext()
	id, ok := h.d.Logins.Pending(ctx)
	if !ok {
		return auth.CurrentUser{}, false, nil
	}
	u, err := h.d.Users.Current(ctx, id)
	if errors.Is(err, auth.ErrNotFound) {
		return auth.CurrentUser{}, false, nil
	}
	return u, err == nil, err
}

// totpForm asks for the authenticator code; without a pending user it sends the visitor to log in.
func (h *handlers) totpForm(c *fiber.Ctx) error {
	u, ok, err := h.pending(c)
	if err != nil {
		return err
	}
	if !ok {
		return httpx.Redirect(c, paths.Login)
	}
	return httpx.Render(c, fiber.StatusOK, signin.TOTP(signin.TOTPPage{
		Chrome: h.chrome(c), Email: u.Email, Next: safeNext(c.Query(signin.FieldNext)),
	}))
}

// totp checks the pending user's code (throttled, never twice the same) and completes the login.
func (h *handlers) totp(c *fiber.Ctx) error {
	u, ok, err := h.pending(c)
	if err != nil {
		return err
	}
	if !ok {
		return httpx.Redirect(c, paths.Login)
	}
	page := signin.TOTPPage{Email: u.Email, Next: safeNext(c.FormValue(signin.FieldNext))}
	err = h.d.Users.VerifyTOTP(c.UserContext(), u.User, c.FormValue(signin.FieldCode))
	var te *auth.ThrottledError
	switch {
	case errors.Is(err, auth.ErrInvalidCode):
		page.Chrome, page.Problem = h.chrome(c), msgInvalidCode
		return httpx.Render(c, fiber.StatusUnauthorized, signin.TOTP(page))
	case errors.As(err, &te):
		page.Problem = throttled(c, te.RetryAfter)
		page.Chrome = h.chrome(c)
		return httpx.Render(c, fiber.StatusTooManyRequests, signin.TOTP(page))
	case err != nil:
		return err
	}
	if err := h.logIn(c, u.User); err != nil {
		return err
	}
	return httpx.Redirect(c, target(page.Next))
}

// logout ends the browser's login (with a new token) and says so on the login page.
func (h *handlers) logout(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if u, ok := auth.UserFrom(ctx); ok {
		// The audit entry must not keep anyone logged in: log its failure and go on.
		if err := h.d.Users.RecordLogout(ctx, u.User); err != nil {
			h.d.Log.ErrorContext(ctx, "audit logout", "err", err, "request_id", httpx.RequestID(ctx))
		}
	}
	if err := h.d.Logins.Logout(ctx); err != nil {
		return err
	}
	h.flash(c, components.FlashSuccess, msgLoggedOut)
	return httpx.Redirect(c, paths.Login)
}

// rememberDevice gives this browser a device cookie for the account whose password it just entered
// (see auth.DeviceCookie): its own throttle counter from now on.
func (h *handlers) rememberDevice(c *fiber.Ctx, email string) {
	c.Cookie(&fiber.Cookie{Name: auth.DeviceCookie, Value: h.d.Users.NewDeviceToken(email), Path: paths.Login,
		MaxAge: 365 * 24 * 3600, HTTPOnly: true, Secure: h.d.Logins.SM.Cookie.Secure, SameSite: fiber.CookieSameSiteLaxMode})
}
