// Package signin serves the public account pages: sign-up, login (with the two-factor step),
// logout, forgotten and reset passwords, and accepting an invitation. Handlers parse, call one
// auth service, and render or redirect.
package signin

import (
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/signin"
)

// Deps is what the sign-in pages need.
type Deps struct {
	Log         *slog.Logger
	Users       *auth.Service
	Logins      *auth.Logins
	Tenants     *tenant.Service
	MailEnabled bool
}

// Register adds the sign-in routes to r (the app root).
func Register(r fiber.Router, d Deps) {
	h := &handlers{d: d}
	r.Get(paths.Signup, h.signupForm)
	r.Post(paths.Signup, h.signup)
	r.Get(paths.Login, h.loginForm)
	r.Post(paths.Login, h.login)
	r.Get(paths.LoginTOTP, h.totpForm)
	r.Post(paths.LoginTOTP, h.totp)
	r.Post(paths.Logout, h.logout)
	r.Get(paths.Forgot, h.forgotForm)
	r.Post(paths.Forgot, h.forgot)
	r.Get(paths.ResetPrefix+":token", noReferrer, h.resetForm)
	r.Post(paths.ResetPrefix+":token", noReferrer, h.reset)
	r.Get(paths.InvitePrefix+":token", noReferrer, h.inviteForm)
	r.Post(paths.InvitePrefix+":token", noReferrer, h.acceptInvite)
}

type handlers struct {
	d Deps
}

// Messages the tests and the pages share.
const (
	msgInvalidCredentials = "Incorrect email or password."
	msgInvalidCode        = "That code is not valid. Check your authenticator app and try again."
	msgLoggedOut          = "You are logged out."
	msgPasswordReset      = "Password changed; log in with your new password."
	msgPasswordMismatch   = "The two passwords do not match."
)

// chrome is what every page needs: the CSRF token for its forms and the flash left for it.
func (h *handlers) chrome(c *fiber.Ctx) signin.Chrome {
	ctx := c.UserContext()
	ch := signin.Chrome{CSRFToken: h.d.Logins.CSRFToken(ctx, httpx.NewCSRFToken)}
	if f, ok := h.d.Logins.PopFlash(ctx); ok {
		ch.FlashKind, ch.FlashText = f.Kind, f.Text
	}
	return ch
}

// logIn makes the browser's login the user's (new token) and records it.
func (h *handlers) logIn(c *fiber.Ctx, u auth.User) error {
	ctx := c.UserContext()
	if err := h.d.Logins.LoginUser(ctx, u.ID, u.PasswordChangedAt); err != nil {
		return err
	}
	return h.d.Users.RecordLogin(ctx, u)
}

// flash leaves a message for the next page. The text is copied: Fiber reuses its buffers after the
// handler returns, and the message may be built from form values.
func (h *handlers) flash(c *fiber.Ctx, kind, text string) {
	h.d.Logins.SetFlash(c.UserContext(), auth.Flash{Kind: kind, Text: strings.Clone(text)})
}

// alreadyIn sends a logged-in user on to target. The 303 carries the short note with a link that
// RFC 9110 §15.4.4 suggests (browsers follow the redirect and never show it), and the note holds
// the login's CSRF token in a logout form, so clients that do not follow redirects still get one.
// No flash is taken: the page behind the redirect shows it.
func (h *handlers) alreadyIn(c *fiber.Ctx, u auth.CurrentUser, target string) error {
	if httpx.IsHTMX(c) {
		return httpx.Redirect(c, target)
	}
	tok := h.d.Logins.CSRFToken(c.UserContext(), httpx.NewCSRFToken)
	c.Set(fiber.HeaderLocation, target)
	return httpx.Render(c, fiber.StatusSeeOther, signin.AlreadyIn(signin.AlreadyInPage{
		Chrome: signin.Chrome{CSRFToken: tok}, Email: u.Email, Target: target,
	}))
}

// safeNext returns next when it is a path on this site, else "". Only a local path is honoured:
// it starts with one "/" (not "//" or "/\", which browsers read as another host) and holds no
// control characters or backslashes (browsers drop tabs and newlines, and turn "\" into "/",
// which would make "/\t/evil.com" a link to evil.com).
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' {
		return ""
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return ""
		}
	}
	if strings.HasPrefix(next, "//") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}

// target is where a completed login goes: next when safe, else the portal.
func target(next string) string {
	if n := safeNext(next); n != "" {
		return n
	}
	return paths.App
}

// throttled answers a throttled attempt: Retry-After and the message with the wait in seconds.
func throttled(c *fiber.Ctx, wait time.Duration) string {
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	return fmt.Sprintf("Too many attempts. Try again in %d %s.", secs, unit)
}

// noReferrer keeps the token in a reset or invitation URL out of Referer headers.
func noReferrer(c *fiber.Ctx) error {
	c.Set("Referrer-Policy", "no-referrer")
	return c.Next()
}
