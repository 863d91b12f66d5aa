package signin_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const password = "correct horse battery"

// signupForm is a valid sign-up.
func signupForm(company, name, email string) url.Values {
	return url.Values{"company": {company}, "name": {name}, "email": {email}, "password": {password}}
}

// signUp signs up through the form and requires success.
func signUp(t *testing.T, b *webtest.Browser, company, email string) {
	t.Helper()
	r := b.Post("/signup", signupForm(company, "Owner of "+company, email))
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
	require.Equal(t, "/app", r.Header.Get("Location"))
}

// logIn logs in through the form and requires success.
func logIn(t *testing.T, b *webtest.Browser, email, pw string) {
	t.Helper()
	r := b.Post("/login", url.Values{"email": {email}, "password": {pw}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
	require.Equal(t, "/app", r.Header.Get("Location"))
}

// loggedIn reports whether the portal lets b in (it sends visitors without a login to /login).
func loggedIn(t *testing.T, b *webtest.Browser) bool {
	t.Helper()
	r := b.Get("/app")
	return !(r.StatusCode == http.StatusSeeOther && strings.HasPrefix(r.Header.Get("Location"), "/login"))
}

// user loads the user with email through the services.
func user(t *testing.T, e *webtest.Env, email string) auth.CurrentUser {
	t.Helper()
	ctx := context.Background()
	var id uuid.UUID
	require.NoError(t, e.Pool.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&id))
	u, err := e.Services.Users.Current(ctx, id)
	require.NoError(t, err)
	return u
}

func count(t *testing.T, e *webtest.Env, table string) int {
	t.Helper()
	var n int
	require.NoError(t, e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n))
	return n
}

func loginCookie(t *testing.T, e *webtest.Env, b *webtest.Browser) string {
	t.Helper()
	u, _ := url.Parse(e.URL())
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == auth.LoginCookie {
			return c.Value
		}
	}
	return ""
}

func setLoginCookie(t *testing.T, e *webtest.Env, b *webtest.Browser, value string) {
	t.Helper()
	u, _ := url.Parse(e.URL())
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: auth.LoginCookie, Value: value, Path: "/"}})
}

// linkPath turns a link the services made (BASE_URL + path) into a path on the test server.
func linkPath(t *testing.T, e *webtest.Env, link string) string {
	t.Helper()
	require.True(t, strings.HasPrefix(link, e.URL()+"/"), link)
	return strings.TrimPrefix(link, e.URL())
}

func TestSignup(t *testing.T) {
	t.Parallel()

	t.Run("CreatesActiveTenantAndLogsOwnerIn", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		b := e.NewBrowser()

		r := b.Get("/signup")
		require.Equal(t, http.StatusOK, r.StatusCode)
		doc := r.Doc(t)
		require.Equal(t, 1, doc.Find(`[data-testid="signup-form"]`).Length())
		require.Equal(t, "new-password", doc.Find(`[data-testid="input-password"]`).AttrOr("autocomplete", ""))
		require.Equal(t, "email", doc.Find(`[data-testid="input-email"]`).AttrOr("autocomplete", ""))
		_, focused := doc.Find(`[data-testid="input-company"]`).Attr("autofocus")
		require.True(t, focused)
		require.NotEmpty(t, doc.Find(`meta[name="csrf-token"]`).AttrOr("content", ""))
		require.Equal(t, "/login", doc.Find(`[data-testid="link-login"]`).AttrOr("href", ""))
		before := loginCookie(t, e, b)

		signUp(t, b, "Acme", "Owner@Acme.test")
		require.NotEqual(t, before, loginCookie(t, e, b), "the login gets a new token")
		// The welcome message waits in the login for the portal's first page.
		flash, ok := e.Services.Logins.PopFlash(loadLogin(t, e, loginCookie(t, e, b)))
		require.True(t, ok)
		require.Equal(t, "Welcome to Wagate, Owner of Acme! Your workspace Acme is ready.", flash.Text)
		require.True(t, loggedIn(t, b))

		u := user(t, e, "owner@acme.test")
		require.Equal(t, auth.RoleOwner, u.Role)
		require.Equal(t, tenant.StatusActive, u.TenantStatus)
		require.Equal(t, "Acme", u.TenantName)
		require.NotNil(t, u.LastLoginAt, "the login is recorded")

		// A logged-in user is sent away from the forms.
		for _, p := range []string{"/signup", "/login"} {
			r := b.Get(p)
			require.Equal(t, http.StatusSeeOther, r.StatusCode, p)
			require.Equal(t, "/app", r.Header.Get("Location"), p)
			// The redirect's note carries the CSRF token, so clients that stop at the redirect
			// (webtest's Browser.CSRF reads /login) still find one.
			require.NotEmpty(t, r.TestID(t, "already-logged-in"), p)
			require.NotEmpty(t, r.Doc(t).Find(`input[name="_csrf"]`).AttrOr("value", ""), p)
		}
	})

	t.Run("InvalidInputCreatesNothing", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		b := e.NewBrowser()
		tenants := count(t, e, "tenants")

		r := b.Post("/signup", url.Values{"company": {"Acme"}, "name": {""}, "email": {"not-an-email"}, "password": {"short"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		doc := r.Doc(t)
		require.NotEmpty(t, r.TestID(t, "error-name"))
		require.Contains(t, r.TestID(t, "error-email"), "valid email")
		require.Contains(t, r.TestID(t, "error-password"), "at least 10")
		require.Empty(t, r.TestID(t, "error-company"))
		require.Equal(t, 3, doc.Find(`[data-testid="form-errors"] li`).Length())
		// Input is kept, except the password; the first field at fault has the focus.
		require.Equal(t, "Acme", doc.Find(`[data-testid="input-company"]`).AttrOr("value", ""))
		require.Equal(t, "not-an-email", doc.Find(`[data-testid="input-email"]`).AttrOr("value", ""))
		require.NotContains(t, r.Body, `value="short"`)
		_, focused := doc.Find(`[data-testid="input-name"]`).Attr("autofocus")
		require.True(t, focused)
		require.Equal(t, "true", doc.Find(`[data-testid="input-email"]`).AttrOr("aria-invalid", ""))

		require.Equal(t, tenants, count(t, e, "tenants"))
		require.Zero(t, count(t, e, "users"))
		require.False(t, loggedIn(t, b))
	})

	t.Run("TakenEmail", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
		tenants := count(t, e, "tenants")

		// Another company cannot take over or join tenant A through an address A already uses.
		r := e.NewBrowser().Post("/signup", signupForm("Beta", "Mallory", "OWNER@acme.test"))
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		require.Contains(t, r.TestID(t, "error-email"), "exists already")
		require.Equal(t, tenants, count(t, e, "tenants"))
		require.Equal(t, "Acme", user(t, e, "owner@acme.test").TenantName)
	})

	t.Run("ApprovalModeStartsPending", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		require.NoError(t, e.Services.Tenants.SetSignupMode(context.Background(), tenant.SignupApproval))
		b := e.NewBrowser()
		require.NotEmpty(t, b.Get("/signup").TestID(t, "signup-approval-note"))

		signUp(t, b, "Acme", "owner@acme.test")
		require.Equal(t, tenant.StatusPending, user(t, e, "owner@acme.test").TenantStatus)
		r := b.Get("/app")
		require.Equal(t, http.StatusForbidden, r.StatusCode, "the tenant gate shows the notice")
		require.Equal(t, "pending", r.Doc(t).Find(`[data-testid="tenant-notice"]`).AttrOr("data-status", ""))
	})

	t.Run("InviteModeRefuses", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		require.NoError(t, e.Services.Tenants.SetSignupMode(context.Background(), tenant.SignupInvite))
		b := e.NewBrowser()
		tenants := count(t, e, "tenants")

		r := b.Get("/signup")
		require.Equal(t, http.StatusOK, r.StatusCode)
		require.Contains(t, r.TestID(t, "page-title"), "invitation only")
		require.Zero(t, r.Doc(t).Find(`form[action="/signup"]`).Length())

		r = b.Post("/signup", signupForm("Acme", "Ada", "owner@acme.test"))
		require.Equal(t, http.StatusForbidden, r.StatusCode)
		require.NotEmpty(t, r.TestID(t, "signup-closed"))
		require.Equal(t, tenants, count(t, e, "tenants"))
		require.Zero(t, count(t, e, "users"))
		require.False(t, loggedIn(t, b))
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()

	t.Run("WrongPasswordAndUnknownEmailLookAlike", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
		b := e.NewBrowser()

		wrong := b.Post("/login", url.Values{"email": {"owner@acme.test"}, "password": {"not the password"}})
		unknown := b.Post("/login", url.Values{"email": {"nobody@acme.test"}, "password": {"not the password"}})
		for _, r := range []*webtest.Response{wrong, unknown} {
			require.Equal(t, http.StatusUnauthorized, r.StatusCode)
			require.Equal(t, "Incorrect email or password.", r.TestID(t, "form-error"))
			require.NotContains(t, r.Body, "not the password")
			_, focused := r.Doc(t).Find(`[data-testid="input-password"]`).Attr("autofocus")
			require.True(t, focused, "the address is kept; the password is typed again")
		}
		require.Equal(t, "owner@acme.test", wrong.Doc(t).Find(`[data-testid="input-email"]`).AttrOr("value", ""))
		require.False(t, loggedIn(t, b))
	})

	t.Run("ThrottledAfterRepeatedFailures", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
		b := e.NewBrowser()

		var r *webtest.Response
		for i := 0; i < 15; i++ {
			r = b.Post("/login", url.Values{"email": {"owner@acme.test"}, "password": {"wrong password " + strconv.Itoa(i)}})
			if r.StatusCode != http.StatusUnauthorized {
				break
			}
		}
		require.Equal(t, http.StatusTooManyRequests, r.StatusCode)
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		require.NoError(t, err)
		require.GreaterOrEqual(t, secs, 1)
		require.Regexp(t, `^Too many attempts\. Try again in \d+ seconds?\.$`, r.TestID(t, "form-error"))

		// Even the right password waits: the throttle comes before the check.
		r = b.Post("/login", url.Values{"email": {"owner@acme.test"}, "password": {password}})
		require.Equal(t, http.StatusTooManyRequests, r.StatusCode)
		require.False(t, loggedIn(t, b))
	})

	t.Run("TwoFactor", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		ctx := context.Background()
		signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
		u := user(t, e, "owner@acme.test")
		setup, err := auth.NewTOTP("Wagate", u.Email)
		require.NoError(t, err)
		code, err := totp.GenerateCode(setup.Secret, time.Now())
		require.NoError(t, err)
		require.NoError(t, e.Services.Users.EnableTOTP(ctx, u.User, setup.Secret, code))

		b := e.NewBrowser()
		require.Equal(t, http.StatusSeeOther, b.Get("/login/2fa").StatusCode, "no pending login: back to the form")
		r := b.Post("/login", url.Values{"email": {u.Email}, "password": {password}, "next": {"/app/keys"}})
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		require.Equal(t, "/login/2fa?next=%2Fapp%2Fkeys", r.Header.Get("Location"))
		require.False(t, loggedIn(t, b), "the password alone does not log in")

		r = b.Get("/login/2fa?next=%2Fapp%2Fkeys")
		require.Equal(t, http.StatusOK, r.StatusCode)
		require.Equal(t, u.Email, r.TestID(t, "totp-email"))
		require.Equal(t, "one-time-code", r.Doc(t).Find(`[data-testid="input-code"]`).AttrOr("autocomplete", ""))
		require.Equal(t, "/app/keys", r.Doc(t).Find(`[data-testid="input-next"]`).AttrOr("value", ""))

		r = b.Post("/login/2fa", url.Values{"code": {"000000"}, "next": {"/app/keys"}})
		require.Equal(t, http.StatusUnauthorized, r.StatusCode)
		require.Contains(t, r.TestID(t, "error-code"), "not valid")
		require.False(t, loggedIn(t, b))

		code, err = totp.GenerateCode(setup.Secret, time.Now())
		require.NoError(t, err)
		r = b.Post("/login/2fa", url.Values{"code": {code}, "next": {"/app/keys"}})
		require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
		require.Equal(t, "/app/keys", r.Header.Get("Location"))
		require.True(t, loggedIn(t, b))

		// The same code cannot log in a second browser.
		b2 := e.NewBrowser()
		require.Equal(t, http.StatusSeeOther, b2.Post("/login", url.Values{"email": {u.Email}, "password": {password}}).StatusCode)
		r = b2.Post("/login/2fa", url.Values{"code": {code}})
		require.Equal(t, http.StatusUnauthorized, r.StatusCode)
		require.False(t, loggedIn(t, b2))
	})

	t.Run("TwoFactorThrottled", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
		u := user(t, e, "owner@acme.test")
		setup, err := auth.NewTOTP("Wagate", u.Email)
		require.NoError(t, err)
		code, err := totp.GenerateCode(setup.Secret, time.Now())
		require.NoError(t, err)
		require.NoError(t, e.Services.Users.EnableTOTP(context.Background(), u.User, setup.Secret, code))

		b := e.NewBrowser()
		require.Equal(t, http.StatusSeeOther, b.Post("/login", url.Values{"email": {u.Email}, "password": {password}}).StatusCode)
		var r *webtest.Response
		for i := 0; i < 15; i++ {
			if r = b.Post("/login/2fa", url.Values{"code": {"000000"}}); r.StatusCode != http.StatusUnauthorized {
				break
			}
		}
		require.Equal(t, http.StatusTooManyRequests, r.StatusCode)
		require.NotEmpty(t, r.Header.Get("Retry-After"))
		require.Contains(t, r.TestID(t, "error-code"), "Too many attempts")
	})

	t.Run("NextIsLocalOnly", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
		cases := map[string]string{
			"//evil.com":           "/app",
			"https://evil.com":     "/app",
			"/\\evil.com":          "/app",
			"/\t/evil.com":         "/app",
			"javascript:alert(1)":  "/app",
			"evil.com":             "/app",
			"":                     "/app",
			"/app/keys?page=2":     "/app/keys?page=2",
			"/app/team#invitation": "/app/team#invitation",
		}
		for next, want := range cases {
			b := e.NewBrowser()
			form := b.Get("/login?next=" + url.QueryEscape(next))
			require.Equal(t, http.StatusOK, form.StatusCode)
			if want == "/app" {
				require.Zero(t, form.Doc(t).Find(`[data-testid="input-next"]`).Length(), "%q is not carried", next)
			}
			r := b.Post("/login", url.Values{"email": {"owner@acme.test"}, "password": {password}, "next": {next}})
			require.Equal(t, http.StatusSeeOther, r.StatusCode, next)
			require.Equal(t, want, r.Header.Get("Location"), "next=%q", next)
			// A logged-in user sent to /login goes on to the same safe place.
			require.Equal(t, want, b.Get("/login?next="+url.QueryEscape(next)).Header.Get("Location"), "next=%q", next)
		}
	})

	t.Run("PortalSendsVisitorsHereAndBack", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
		b := e.NewBrowser()
		r := b.Get("/app/keys")
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		loc := r.Header.Get("Location")
		r = b.Get(loc)
		require.Equal(t, "/app/keys", r.Doc(t).Find(`[data-testid="input-next"]`).AttrOr("value", ""))
		r = b.Post("/login", url.Values{"email": {"owner@acme.test"}, "password": {password}, "next": {"/app/keys"}})
		require.Equal(t, "/app/keys", r.Header.Get("Location"))
	})

	t.Run("RequiresCSRFToken", func(t *testing.T) {
		t.Parallel()
		e := webtest.New(t, nil)
		signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
		b := e.NewBrowser()
		b.Get("/login") // the login holds a token; the form below does not send it
		audits := count(t, e, "audit_log")
		lastLogin := user(t, e, "owner@acme.test").LastLoginAt

		for _, tok := range []string{"", "forged-token"} {
			r := b.Post("/login", url.Values{"email": {"owner@acme.test"}, "password": {password}, "_csrf": {tok}})
			require.Equal(t, http.StatusForbidden, r.StatusCode)
			require.Equal(t, "403", r.TestID(t, "error-status"))
		}
		req, _ := http.NewRequest(http.MethodPost, e.URL()+"/login", strings.NewReader(url.Values{
			"email": {"owner@acme.test"}, "password": {password}, "_csrf": {b.CSRF()}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		require.Equal(t, http.StatusForbidden, b.Do(req).StatusCode, "a cross-site form is refused even with the token")

		require.False(t, loggedIn(t, b))
		require.Equal(t, audits, count(t, e, "audit_log"), "nothing was recorded: the request never reached the login")
		require.Equal(t, lastLogin, user(t, e, "owner@acme.test").LastLoginAt)
	})
}

// loadLogin returns a context holding the login named by token, as the login middleware loads it.
func loadLogin(t *testing.T, e *webtest.Env, token string) context.Context {
	t.Helper()
	ctx, err := e.Services.Logins.SM.Load(context.Background(), token)
	require.NoError(t, err)
	return ctx
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	b := e.NewBrowser()
	signUp(t, b, "Acme", "owner@acme.test")
	old := loginCookie(t, e, b)
	require.NotEmpty(t, old)

	r := b.Post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	require.Equal(t, "/login", r.Header.Get("Location"))
	require.NotEqual(t, old, loginCookie(t, e, b), "logout renews the token")
	r = b.Get("/login")
	require.Equal(t, "You are logged out.", r.TestID(t, "flash"))
	require.False(t, loggedIn(t, b))

	// The old cookie names nothing any more.
	replay := e.NewBrowser()
	setLoginCookie(t, e, replay, old)
	require.False(t, loggedIn(t, replay))

	var n int
	require.NoError(t, e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'user.logout'`).Scan(&n))
	require.Equal(t, 1, n)
}

func TestPasswordChangeEndsOtherLogins(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	ctx := context.Background()
	a := e.NewBrowser()
	signUp(t, a, "Acme", "owner@acme.test")
	other := e.NewBrowser()
	logIn(t, other, "owner@acme.test", password)
	require.True(t, loggedIn(t, other))

	// What the account page does: change the password, then keep its own login.
	u := user(t, e, "owner@acme.test")
	changed, err := e.Services.Users.ChangePassword(ctx, u.User, password, "a brand new passphrase")
	require.NoError(t, err)
	lctx := loadLogin(t, e, loginCookie(t, e, a))
	require.NoError(t, e.Services.Logins.KeepAfterPasswordChange(lctx, changed))
	tok, _, err := e.Services.Logins.SM.Commit(lctx)
	require.NoError(t, err)
	setLoginCookie(t, e, a, tok)

	require.False(t, loggedIn(t, other), "the other browser's login ended")
	require.True(t, loggedIn(t, a), "the changer's own login survives")

	r := other.Post("/login", url.Values{"email": {"owner@acme.test"}, "password": {password}})
	require.Equal(t, http.StatusUnauthorized, r.StatusCode, "the old password no longer works")
	logIn(t, other, "owner@acme.test", "a brand new passphrase")
}

func TestForgot(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil) // webtest sends no mail
	signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
	b := e.NewBrowser()

	r := b.Get("/forgot")
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.NotEmpty(t, r.TestID(t, "forgot-no-mail"))
	require.NotEmpty(t, r.TestID(t, "forgot-member-help"))
	require.NotEmpty(t, r.TestID(t, "forgot-owner-help"))
	require.Zero(t, r.Doc(t).Find(`input[name="email"]`).Length())

	// A form posted anyway gets the same explanation, and no link is made or shown.
	r = b.Post("/forgot", url.Values{"email": {"owner@acme.test"}})
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.NotEmpty(t, r.TestID(t, "forgot-no-mail"))
	require.NotContains(t, r.Body, "/reset/")
	require.Zero(t, count(t, e, "password_resets"))
}

func TestReset(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	ctx := context.Background()
	signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
	owner := user(t, e, "owner@acme.test")
	inv, err := e.Services.Users.Invite(ctx, owner, "member@acme.test", auth.RoleMember)
	require.NoError(t, err)
	_, err = e.Services.Users.AcceptInvitation(ctx, strings.TrimPrefix(linkPath(t, e, inv.Link), "/invite/"), "Mem Ber", password)
	require.NoError(t, err)
	member := user(t, e, "member@acme.test")
	memberBrowser := e.NewBrowser()
	logIn(t, memberBrowser, member.Email, password)

	link, err := e.Services.Users.CreateResetLink(ctx, owner, member.ID)
	require.NoError(t, err)
	path := linkPath(t, e, link)
	b := e.NewBrowser()

	r := b.Get(path)
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.Equal(t, "no-referrer", r.Header.Get("Referrer-Policy"))
	doc := r.Doc(t)
	require.Equal(t, member.Email, doc.Find(`[data-testid="input-username"]`).AttrOr("value", ""))
	require.Equal(t, path, doc.Find(`[data-testid="reset-form"]`).AttrOr("action", ""))

	r = b.Post(path, url.Values{"password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrasf"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
	require.Equal(t, "The two passwords do not match.", r.TestID(t, "error-password_confirm"))
	r = b.Post(path, url.Values{"password": {"short"}, "password_confirm": {"short"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
	require.Contains(t, r.TestID(t, "error-password"), "at least 10")
	require.True(t, loggedIn(t, memberBrowser), "nothing changed yet")

	r = b.Post(path, url.Values{"password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrase"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
	require.Equal(t, "/login", r.Header.Get("Location"))
	require.Equal(t, "Password changed; log in with your new password.", b.Get("/login").TestID(t, "flash"))
	require.False(t, loggedIn(t, memberBrowser), "a reset ends every login of the account")
	require.Equal(t, http.StatusUnauthorized, b.Post("/login", url.Values{"email": {member.Email}, "password": {password}}).StatusCode)
	logIn(t, b, member.Email, "a brand new passphrase")
	require.True(t, owner.PasswordChangedAt.Equal(user(t, e, owner.Email).PasswordChangedAt), "nobody else's password changed")

	// The link worked once.
	for _, p := range []string{path, "/reset/not-a-token"} {
		r = e.NewBrowser().Get(p)
		require.Equal(t, http.StatusNotFound, r.StatusCode, p)
		require.Equal(t, "reset", r.Doc(t).Find(`[data-testid="link-invalid"]`).AttrOr("data-kind", ""))
		require.Equal(t, "/forgot", r.Doc(t).Find(`[data-testid="link-forgot"]`).AttrOr("href", ""))
	}
	r = e.NewBrowser().Post(path, url.Values{"password": {"yet another passphrase"}, "password_confirm": {"yet another passphrase"}})
	require.Equal(t, http.StatusNotFound, r.StatusCode)
	logIn(t, e.NewBrowser(), member.Email, "a brand new passphrase")
}

func TestInvitation(t *testing.T) {
	t.Parallel()

	setup := func(t *testing.T) (*webtest.Env, auth.CurrentUser) {
		t.Helper()
		e := webtest.New(t, nil)
		signUp(t, e.NewBrowser(), "Acme", "owner@acme.test")
		return e, user(t, e, "owner@acme.test")
	}

	t.Run("Accept", func(t *testing.T) {
		t.Parallel()
		e, owner := setup(t)
		inv, err := e.Services.Users.Invite(context.Background(), owner, "New.Member@acme.test", auth.RoleAdmin)
		require.NoError(t, err)
		path := linkPath(t, e, inv.Link)
		b := e.NewBrowser()

		r := b.Get(path)
		require.Equal(t, http.StatusOK, r.StatusCode)
		require.Equal(t, "Acme", r.TestID(t, "invite-tenant"))
		require.Equal(t, "admin", r.Doc(t).Find(`[data-testid="invite-role"]`).AttrOr("data-role", ""))
		email := r.Doc(t).Find(`[data-testid="input-email"]`)
		require.Equal(t, "new.member@acme.test", email.AttrOr("value", ""))
		_, ro := email.Attr("readonly")
		require.True(t, ro)

		r = b.Post(path, url.Values{"name": {"Nia"}, "password": {"short"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		require.Contains(t, r.TestID(t, "error-password"), "at least 10")
		require.Equal(t, "Nia", r.Doc(t).Find(`[data-testid="input-name"]`).AttrOr("value", ""))
		require.Equal(t, 1, count(t, e, "users"))

		// An email field in the form is ignored: the invitation decides the address.
		r = b.Post(path, url.Values{"name": {"Nia"}, "password": {password}, "email": {"other@evil.test"}})
		require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
		require.Equal(t, "/app", r.Header.Get("Location"))
		require.True(t, loggedIn(t, b))
		u := user(t, e, "new.member@acme.test")
		require.Equal(t, owner.TenantID, u.TenantID)
		require.Equal(t, auth.RoleAdmin, u.Role)
		require.Equal(t, "Nia", u.Name)
		require.Equal(t, 2, count(t, e, "users"))

		// The link worked once.
		r = e.NewBrowser().Get(path)
		require.Equal(t, http.StatusNotFound, r.StatusCode)
		require.Equal(t, "invite", r.Doc(t).Find(`[data-testid="link-invalid"]`).AttrOr("data-kind", ""))
		r = e.NewBrowser().Post(path, url.Values{"name": {"Eve"}, "password": {password}})
		require.Equal(t, http.StatusNotFound, r.StatusCode)
		require.Equal(t, 2, count(t, e, "users"))
	})

	t.Run("RevokedAndExpired", func(t *testing.T) {
		t.Parallel()
		e, owner := setup(t)
		ctx := context.Background()
		revoked, err := e.Services.Users.Invite(ctx, owner, "revoked@acme.test", auth.RoleMember)
		require.NoError(t, err)
		require.NoError(t, e.Services.Users.RevokeInvitation(ctx, owner, revoked.Invitation.ID))
		expired, err := e.Services.Users.Invite(ctx, owner, "expired@acme.test", auth.RoleMember)
		require.NoError(t, err)
		_, err = e.Pool.Exec(ctx, `UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1`, expired.Invitation.ID)
		require.NoError(t, err)

		for _, link := range []string{revoked.Link, expired.Link, e.URL() + "/invite/nonsense"} {
			path := linkPath(t, e, link)
			b := e.NewBrowser()
			r := b.Get(path)
			require.Equal(t, http.StatusNotFound, r.StatusCode, path)
			require.NotEmpty(t, r.TestID(t, "link-invalid"))
			require.NotContains(t, r.Body, "Acme", "an invalid link tells nothing about the workspace")
			r = b.Post(path, url.Values{"name": {"Eve"}, "password": {password}})
			require.Equal(t, http.StatusNotFound, r.StatusCode, path)
		}
		require.Equal(t, 1, count(t, e, "users"))
	})

	t.Run("LoggedInUserOfAnotherTenant", func(t *testing.T) {
		t.Parallel()
		e, owner := setup(t)
		// A user of tenant Beta opens Acme's invitation: the page shows Acme's invitation only, and
		// accepting makes a new Acme member; Beta's user and tenant stay as they were.
		beta := e.NewBrowser()
		signUp(t, beta, "Beta", "owner@beta.test")
		betaOwner := user(t, e, "owner@beta.test")
		inv, err := e.Services.Users.Invite(context.Background(), owner, "joiner@acme.test", auth.RoleMember)
		require.NoError(t, err)
		path := linkPath(t, e, inv.Link)

		r := beta.Get(path)
		require.Equal(t, http.StatusOK, r.StatusCode)
		require.Equal(t, "Acme", r.TestID(t, "invite-tenant"))
		require.Contains(t, r.TestID(t, "invite-current"), "owner@beta.test")
		require.NotContains(t, r.TestID(t, "invite-title"), "Beta")

		r = beta.Post(path, url.Values{"name": {"Jo"}, "password": {password}})
		require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
		joiner := user(t, e, "joiner@acme.test")
		require.Equal(t, owner.TenantID, joiner.TenantID)
		require.Equal(t, auth.RoleMember, joiner.Role)
		after := user(t, e, "owner@beta.test")
		require.Equal(t, betaOwner.TenantID, after.TenantID)
		require.Equal(t, betaOwner.Role, after.Role)
		require.NotEqual(t, owner.TenantID, after.TenantID)
	})
}
