package admin

import (
	"context"
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/adminauth"
	"github.com/wagate/wagate/views/paths"
)

// totpIssuer names the console in authenticator apps.
const totpIssuer = "Wagate console"

func (h *handlers) csrf(ctx context.Context) string {
	return h.Logins.CSRFToken(ctx, httpx.NewCSRFToken)
}

func (h *handlers) loginForm(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if _, ok := auth.OperatorFrom(ctx); ok {
		return httpx.Redirect(c, consolePath(c.Query("next"), paths.Admin))
	}
	return httpx.Render(c, fiber.StatusOK, adminauth.Login(adminauth.LoginForm{CSRFToken: h.csrf(ctx), Next: c.Query("next")}))
}

// login checks the password; two-factor comes next, set up on the first login.
func (h *handlers) login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	form := adminauth.LoginForm{Email: c.FormValue("email"), Next: c.FormValue("next")}
	op, err := h.Operators.Authenticate(ctx, form.Email, c.FormValue("password"))
	if err != nil {
		return h.refuse(c, err, func(msg string) error {
			form.CSRFToken, form.Error = h.csrf(ctx), msg
			return httpx.Render(c, c.Response().StatusCode(), adminauth.Login(form))
		})
	}
	if err := h.Logins.LoginOperator(ctx, op.ID, op.PasswordChangedAt, false); err != nil {
		return err
	}
	if op.TOTPEnabledAt == nil {
		return httpx.Redirect(c, paths.AdminTOTPSetup)
	}
	next := paths.AdminTOTP
	if n := consolePath(form.Next, ""); n != "" {
		next += "?" + url.Values{"next": {n}}.Encode()
	}
	return httpx.Redirect(c, next)
}

// refuse answers a wrong password or code (401) or a throttled attempt (429, with Retry-After) by
// re-rendering the form with the message the one error table gives; other errors go on.
func (h *handlers) refuse(c *fiber.Ctx, err error, render func(msg string) error) error {
	var te *auth.ThrottledError
	if !errors.Is(err, auth.ErrInvalidCredentials) && !errors.Is(err, auth.ErrInvalidCode) && !errors.As(err, &te) {
		return err
	}
	p := httpx.ProblemFor(c.UserContext(), h.Log, err)
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, httpx.RetryAfterSeconds(p.RetryAfter))
	}
	c.Status(p.Status)
	return render(p.Detail)
}

// pendingOperator is the operator who passed the password but not yet two-factor. ok is false
// (and the response a redirect) when there is none, or when two-factor is done already.
func (h *handlers) pendingOperator(c *fiber.Ctx) (auth.Operator, bool, error) {
	ctx := c.UserContext()
	if _, done := auth.OperatorFrom(ctx); done {
		return auth.Operator{}, false, httpx.Redirect(c, paths.Admin)
	}
	oid, _, _, ok := h.Logins.OperatorID(ctx)
	if !ok {
		return auth.Operator{}, false, httpx.Redirect(c, paths.AdminLogin)
	}
	op, err := h.Operators.Get(ctx, oid)
	if errors.Is(err, auth.ErrNotFound) {
		return op, false, httpx.Redirect(c, paths.AdminLogin)
	}
	return op, err == nil, err
}

func (h *handlers) setupForm(c *fiber.Ctx) error {
	op, ok, err := h.pendingOperator(c)
	if !ok {
		return err
	}
	if op.TOTPEnabledAt != nil {
		return httpx.Redirect(c, paths.AdminTOTP)
	}
	return h.renderSetup(c, fiber.StatusOK, op, "")
}

// renderSetup shows the QR code of the secret being set up, making one on the first visit; the
// secret stays server-side, in the login, until a code confirms it.
func (h *handlers) renderSetup(c *fiber.Ctx, status int, op auth.Operator, codeErr string) error {
	ctx := c.UserContext()
	var setup auth.TOTPSetup
	var err error
	if sec := h.Logins.TOTPSetup(ctx); sec != "" {
		setup, err = auth.TOTPSetupFor(totpIssuer, op.Email, sec)
	} else {
		setup, err = auth.NewTOTP(totpIssuer, op.Email)
		h.Logins.SetTOTPSetup(ctx, setup.Secret)
	}
	if err != nil {
		return err
	}
	return httpx.Render(c, status, adminauth.Setup(adminauth.SetupForm{CSRFToken: h.csrf(ctx), Email: op.Email,
		QRImage: setup.QRImage, Secret: setup.Secret, Error: codeErr}))
}

func (h *handlers) setup(c *fiber.Ctx) error {
	op, ok, err := h.pendingOperator(c)
	if !ok {
		return err
	}
	ctx := c.UserContext()
	sec := h.Logins.TOTPSetup(ctx)
	if op.TOTPEnabledAt != nil || sec == "" {
		return httpx.Redirect(c, paths.AdminTOTPSetup)
	}
	err = h.Operators.EnableTOTP(ctx, op, sec, c.FormValue("code"))
	var ve *validate.Errors
	if errors.As(err, &ve) {
		return h.renderSetup(c, fiber.StatusUnprocessableEntity, op, ve.Fields["code"])
	} else if err != nil {
		return err
	}
	h.Logins.ClearTOTPSetup(ctx)
	return h.finishLogin(c, op, paths.Admin)
}

// finishLogin marks two-factor done (with a new login token) and records the login.
func (h *handlers) finishLogin(c *fiber.Ctx, op auth.Operator, next string) error {
	ctx := c.UserContext()
	if err := h.Logins.SetOperatorMFA(ctx); err != nil {
		return err
	}
	if err := h.Operators.RecordLogin(ctx, op); err != nil {
		return err
	}
	return httpx.Redirect(c, next)
}

func (h *handlers) verifyForm(c *fiber.Ctx) error {
	op, ok, err := h.pendingOperator(c)
	if !ok {
		return err
	}
	if op.TOTPEnabledAt == nil {
		return httpx.Redirect(c, paths.AdminTOTPSetup)
	}
	return httpx.Render(c, fiber.StatusOK, adminauth.Verify(adminauth.VerifyForm{CSRFToken: h.csrf(c.UserContext()),
		Email: op.Email, Next: c.Query("next")}))
}

func (h *handlers) verify(c *fiber.Ctx) error {
	op, ok, err := h.pendingOperator(c)
	if !ok {
		return err
	}
	if op.TOTPEnabledAt == nil {
		return httpx.Redirect(c, paths.AdminTOTPSetup)
	}
	ctx := c.UserContext()
	next := c.FormValue("next")
	if err := h.Operators.VerifyTOTP(ctx, op, c.FormValue("code")); err != nil {
		return h.refuse(c, err, func(msg string) error {
			return httpx.Render(c, c.Response().StatusCode(), adminauth.Verify(adminauth.VerifyForm{CSRFToken: h.csrf(ctx),
				Email: op.Email, Next: next, Error: msg}))
		})
	}
	return h.finishLogin(c, op, consolePath(next, paths.Admin))
}

func (h *handlers) logout(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if oid, _, _, ok := h.Logins.OperatorID(ctx); ok {
		if op, err := h.Operators.Get(ctx, oid); err == nil {
			if err := h.Operators.RecordLogout(ctx, op); err != nil {
				h.Log.ErrorContext(ctx, "audit operator logout", "err", err)
			}
		}
	}
	if err := h.Logins.Logout(ctx); err != nil {
		return err
	}
	return httpx.Redirect(c, paths.AdminLogin)
}
