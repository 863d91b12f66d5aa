package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestConsoleLogin(t *testing.T) {
	t.Parallel()

	t.Run("TwoFactorRequiredBeforeAnything", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		ten := newTenant(t, e, "Acme", "owner@acme.test")
		plan := defaultPlan(t, e)
		gets, posts := consoleRoutes(ten.id(), ten.owner.ID, plan.ID)

		b := e.NewBrowser()
		r := b.Get("/admin")
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		require.Equal(t, "/admin/login?next=%2Fadmin", r.Header.Get("Location"))

		op := newOperator(t, e, "ops@wagate.test")
		r, tok := logInOperator(t, b, "ops@wagate.test")
		require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
		require.Equal(t, "/admin/2fa/setup", r.Header.Get("Location"), "no authenticator yet: set one up first")

		// With only the password, every console route sends the operator to the setup.
		for _, p := range gets {
			r := b.Get(p)
			require.Equal(t, http.StatusSeeOther, r.StatusCode, p)
			require.Equal(t, "/admin/2fa/setup", r.Header.Get("Location"), p)
		}
		for _, p := range posts {
			r := post(b, p, tok, url.Values{"signup_mode": {"invite"}, "name": {"Sneaky"}})
			require.Equal(t, http.StatusSeeOther, r.StatusCode, p)
			require.Equal(t, "/admin/2fa/setup", r.Header.Get("Location"), p)
		}
		mode, err := e.Services.Tenants.SignupMode(context.Background())
		require.NoError(t, err)
		require.Equal(t, "open", mode, "nothing changed before two-factor")
		r = b.Get("/admin/2fa")
		require.Equal(t, "/admin/2fa/setup", r.Header.Get("Location"), "no code to enter before the setup")

		setup := b.Get("/admin/2fa/setup")
		require.Equal(t, http.StatusOK, setup.StatusCode)
		require.NotEmpty(t, setup.Doc(t).Find(`[data-testid="totp-qr"]`).AttrOr("src", ""))
		secret := setup.Doc(t).Find(`[data-testid="totp-secret"]`).AttrOr("data-secret", "")
		require.NotEmpty(t, secret)
		again := b.Get("/admin/2fa/setup")
		require.Equal(t, secret, again.Doc(t).Find(`[data-testid="totp-secret"]`).AttrOr("data-secret", ""), "a reload keeps the secret being set up")

		r = post(b, "/admin/2fa/setup", tok, url.Values{"code": {"000000"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		require.Contains(t, r.TestID(t, "error-code"), "does not match")
		require.Equal(t, secret, r.Doc(t).Find(`[data-testid="totp-secret"]`).AttrOr("data-secret", ""), "the same QR code after a wrong code")
		require.Equal(t, http.StatusSeeOther, b.Get("/admin").StatusCode, "still locked out")

		code, err := totp.GenerateCode(secret, time.Now())
		require.NoError(t, err)
		r = post(b, "/admin/2fa/setup", tok, url.Values{"code": {code}})
		require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
		require.Equal(t, "/admin", r.Header.Get("Location"))
		home := b.Get("/admin")
		require.Equal(t, http.StatusOK, home.StatusCode)
		require.Equal(t, "ops@wagate.test", home.TestID(t, "operator-email"))
		require.Equal(t, http.StatusSeeOther, b.Get("/admin/2fa/setup").StatusCode, "setup is done")

		mine := audit.Filter{Actor: "ops@wagate.test"}
		requireAudit(t, e, mine, audit.Operator2FAEnabled, op.Email)
		requireAudit(t, e, mine, audit.OperatorLogin, op.Email)

		// Logging out ends the console login.
		r = post(b, "/admin/logout", csrfOf(t, home), nil)
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		require.Equal(t, "/admin/login", r.Header.Get("Location"))
		require.Equal(t, "/admin/login", locationPath(b.Get("/admin/tenants")))
		requireAudit(t, e, mine, audit.OperatorLogout, op.Email)
	})

	t.Run("CodeAtEveryLoginAndNoReplay", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		c := setUpConsole(t, e, "ops@wagate.test")
		require.Equal(t, http.StatusSeeOther, c.post("/admin/logout", nil).StatusCode)

		b := e.NewBrowser()
		r := b.Get("/admin/tenants?status=active")
		require.Equal(t, "/admin/login?next=%2Fadmin%2Ftenants%3Fstatus%3Dactive", r.Header.Get("Location"))
		page := b.Get(r.Header.Get("Location"))
		tok := csrfOf(t, page)
		require.Equal(t, "/admin/tenants?status=active", page.Doc(t).Find(`input[name="next"]`).AttrOr("value", ""))

		r = post(b, "/admin/login", tok, url.Values{"email": {"ops@wagate.test"}, "password": {"wrong password"}, "next": {"/admin/tenants?status=active"}})
		require.Equal(t, http.StatusUnauthorized, r.StatusCode)
		require.Equal(t, "Incorrect email or password.", r.TestID(t, "form-error"))
		r = post(b, "/admin/login", tok, url.Values{"email": {"nobody@wagate.test"}, "password": {"wrong password"}})
		require.Equal(t, http.StatusUnauthorized, r.StatusCode)
		require.Equal(t, "Incorrect email or password.", r.TestID(t, "form-error"), "unknown emails are answered the same")
		requireAudit(t, e, audit.Filter{Actor: "ops@wagate.test"}, audit.OperatorLoginFailed, "ops@wagate.test")

		r = post(b, "/admin/login", tok, url.Values{"email": {"ops@wagate.test"}, "password": {opPassword}, "next": {"/admin/tenants?status=active"}})
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		require.Equal(t, "/admin/2fa?next=%2Fadmin%2Ftenants%3Fstatus%3Dactive", r.Header.Get("Location"))
		require.Equal(t, "/admin/2fa", locationPath(b.Get("/admin")), "the code is owed before anything else")
		require.Equal(t, "/admin/2fa", locationPath(b.Get("/admin/settings")))
		// Logging in renewed the CSRF token with the login: the one from before is dead.
		require.Equal(t, http.StatusForbidden, post(b, "/admin/2fa", tok, url.Values{"code": {"000000"}}).StatusCode)
		tok = csrfOf(t, b.Get("/admin/2fa"))

		r = post(b, "/admin/2fa", tok, url.Values{"code": {"000000"}})
		require.Equal(t, http.StatusUnauthorized, r.StatusCode)
		require.Contains(t, r.TestID(t, "error-code"), "not valid")

		code, err := totp.GenerateCode(c.secret, time.Now())
		require.NoError(t, err)
		r = post(b, "/admin/2fa", tok, url.Values{"code": {code}, "next": {"/admin/tenants?status=active"}})
		require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
		require.Equal(t, "/admin/tenants?status=active", r.Header.Get("Location"))
		require.Equal(t, http.StatusOK, b.Get("/admin/tenants?status=active").StatusCode)

		// Someone who saw that code cannot use it again.
		b2 := e.NewBrowser()
		r, tok2 := logInOperator(t, b2, "ops@wagate.test")
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		r = post(b2, "/admin/2fa", tok2, url.Values{"code": {code}})
		require.Equal(t, http.StatusUnauthorized, r.StatusCode, "a replayed code is refused")
		require.Equal(t, "/admin/2fa", locationPath(b2.Get("/admin")))
	})

	t.Run("NextStaysInTheConsole", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		c := setUpConsole(t, e, "ops@wagate.test")
		require.Equal(t, http.StatusSeeOther, c.post("/admin/logout", nil).StatusCode)
		for _, next := range []string{"https://evil.test/admin", "//evil.test/admin", "/app", "/admin/login", `/\evil.test`} {
			b := e.NewBrowser()
			page := b.Get("/admin/login")
			tok := csrfOf(t, page)
			r := post(b, "/admin/login", tok, url.Values{"email": {"ops@wagate.test"}, "password": {opPassword}, "next": {next}})
			require.Equal(t, "/admin/2fa", r.Header.Get("Location"), next)
		}
	})

	t.Run("ThrottledLoginsGet429", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		newOperator(t, e, "ops@wagate.test")
		b := e.NewBrowser()
		tok := csrfOf(t, b.Get("/admin/login"))
		var r *webtest.Response
		for i := 0; i < 10; i++ {
			r = post(b, "/admin/login", tok, url.Values{"email": {"ops@wagate.test"}, "password": {"wrong"}})
			if r.StatusCode == http.StatusTooManyRequests {
				break
			}
			require.Equal(t, http.StatusUnauthorized, r.StatusCode)
		}
		require.Equal(t, http.StatusTooManyRequests, r.StatusCode)
		require.NotEmpty(t, r.Header.Get("Retry-After"))
		require.Contains(t, r.TestID(t, "form-error"), "Too many failed attempts")
	})
}

func TestConsoleRefusesTenantUsers(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	ten := newTenant(t, e, "Acme", "owner@acme.test")
	b, tok := logInUser(t, e, ten)
	gets, posts := consoleRoutes(ten.id(), ten.owner.ID, defaultPlan(t, e).ID)
	for _, p := range gets {
		r := b.Get(p)
		require.Equal(t, http.StatusForbidden, r.StatusCode, p)
		require.Equal(t, "403", r.TestID(t, "error-status"), p)
	}
	for _, p := range posts {
		r := post(b, p, tok, url.Values{"signup_mode": {"invite"}, "reason": {"x"}})
		require.Equal(t, http.StatusForbidden, r.StatusCode, p)
		require.Contains(t, r.TestID(t, "error-detail"), "console is for the platform's operators", p)
	}
	got, err := e.Services.Tenants.Get(context.Background(), ten.id())
	require.NoError(t, err)
	require.Equal(t, "active", got.Status)
	mode, err := e.Services.Tenants.SignupMode(context.Background())
	require.NoError(t, err)
	require.Equal(t, "open", mode)
	// The user's own password opens no console login either.
	page := b.Get("/admin/login")
	r := post(b, "/admin/login", csrfOf(t, page), url.Values{"email": {ten.owner.Email}, "password": {ten.password}})
	require.Equal(t, http.StatusUnauthorized, r.StatusCode)
}
