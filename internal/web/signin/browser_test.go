package signin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/browsertest"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/webtest"
)

// TestSignin_InBrowser walks every sign-in page in headless chromium, at desktop and phone width,
// through the real forms (sign-up, logout, login with a wrong then the right password), and keeps
// screenshots of each page in artifacts/screenshots/signin-*.png. It starts a browser: not parallel.
func TestSignin_InBrowser(t *testing.T) {
	e := webtest.New(t, nil)
	mailBase := webtest.New(t, &webtest.Opts{Mailer: &webtest.Outbox{}}).URL() // the forgot pages as they are with mail on
	ctx := browsertest.New(t, 3*time.Minute)
	svc := e.Services
	bg := context.Background()

	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, actions...))
	}
	js := func(expr string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		require.NoError(t, err)
	}
	open := func(path string) { do(chromedp.Navigate(e.URL() + path)) }
	// submit fills the form's fields (by data-testid input-<name>) and submits it without the
	// browser's own checks, so the server's answer is what shows.
	submit := func(form string, values map[string]string, waitFor string) {
		t.Helper()
		for name, v := range values {
			do(chromedp.SetValue(browsertest.TestID("input-"+name), v))
		}
		js(`document.querySelector('[data-testid="` + form + `"]').noValidate = true`)
		do(chromedp.Submit(browsertest.TestID(form)), chromedp.WaitVisible(browsertest.TestID(waitFor)))
	}
	// away waits until the browser left path (a redirect into the portal, another package's page).
	away := func(path string) {
		t.Helper()
		dbtest.WaitFor(t, 10*time.Second, "the browser to leave "+path, func() bool {
			loc, err := chromedp.Run(ctx, chromedp.Location())
			return err == nil && !strings.HasSuffix(strings.SplitN(loc, "?", 2)[0], path)
		})
	}
	logout := func() {
		open("/forgot") // a page of this area, whose head carries the CSRF token
		js(`(function(){var f=document.createElement('form');f.method='post';f.action='/logout';` +
			`var i=document.createElement('input');i.type='hidden';i.name='_csrf';` +
			`i.value=document.querySelector('meta[name="csrf-token"]').content;f.appendChild(i);document.body.appendChild(f);f.submit();return true})()`)
		do(chromedp.WaitVisible(browsertest.TestID("flash")))
	}
	// shots shows the page at desktop and at phone width, and saves both.
	shots := func(name string, show func()) {
		t.Helper()
		for _, v := range []struct {
			w, h   int64
			suffix string
		}{{1280, 900, ""}, {390, 844, "-mobile"}} {
			do(chromedp.EmulateViewport(v.w, v.h))
			show()
			browsertest.Screenshot(t, ctx, "signin-"+name+v.suffix)
		}
	}
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(browsertest.TestID(id)))
		require.NoError(t, err)
		return strings.TrimSpace(s)
	}

	// The stylesheet of the area took effect: the card is centred and white.
	open("/signup")
	cardBG, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.wg-auth__card')).backgroundColor`))
	require.NoError(t, err)
	require.Equal(t, "rgb(255, 255, 255)", cardBG)

	shots("signup", func() { open("/signup") })
	shots("signup-errors", func() {
		open("/signup")
		submit("signup-form", map[string]string{"company": "Acme", "email": "ada@", "password": "short"}, "form-errors")
	})

	// Sign up for real, log out, and log in again through the forms.
	open("/signup")
	for name, v := range map[string]string{"company": "Acme Inc.", "name": "Ada Lovelace", "email": "ada@acme.test", "password": password} {
		do(chromedp.SetValue(browsertest.TestID("input-"+name), v))
	}
	do(chromedp.Submit(browsertest.TestID("signup-form")))
	away("/signup")
	u := user(t, e, "ada@acme.test")
	require.Equal(t, auth.RoleOwner, u.Role)
	logout()
	require.Equal(t, "You are logged out.", text("flash"))
	shots("login-flash", logout)
	shots("login", func() { open("/login") })
	shots("login-error", func() {
		open("/login")
		submit("login-form", map[string]string{"email": "ada@acme.test", "password": "not my password"}, "form-error")
		require.Equal(t, "Incorrect email or password.", text("form-error"))
	})

	// Two-factor: the password leads to the code form.
	setup, err := auth.NewTOTP("Wagate", u.Email)
	require.NoError(t, err)
	code, err := totp.GenerateCode(setup.Secret, time.Now())
	require.NoError(t, err)
	require.NoError(t, svc.Users.EnableTOTP(bg, u.User, setup.Secret, code))
	shots("totp", func() {
		open("/login")
		submit("login-form", map[string]string{"email": "ada@acme.test", "password": password}, "totp-form")
	})
	shots("totp-error", func() {
		open("/login")
		submit("login-form", map[string]string{"email": "ada@acme.test", "password": password}, "totp-form")
		submit("totp-form", map[string]string{"code": "000000"}, "error-code")
	})
	code, err = totp.GenerateCode(setup.Secret, time.Now())
	require.NoError(t, err)
	do(chromedp.SetValue(browsertest.TestID("input-code"), code), chromedp.Submit(browsertest.TestID("totp-form")))
	away("/login/2fa")
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.False(t, strings.Contains(loc, "/login"), "logged in: %s", loc)

	// Already logged in: /login goes on to the portal.
	open("/login")
	away("/login")
	loc, err = chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(loc, "/app"), loc)
	logout()

	// Forgotten passwords, without mail and with it.
	shots("forgot-no-mail", func() { open("/forgot") })
	shots("forgot", func() { do(chromedp.Navigate(mailBase + "/forgot")) })
	shots("forgot-sent", func() {
		do(chromedp.Navigate(mailBase + "/forgot"))
		submit("forgot-form", map[string]string{"email": "someone@example.com"}, "forgot-sent")
	})

	// A reset link made by the owner for a member, and an invitation.
	owner := user(t, e, "ada@acme.test")
	inv, err := svc.Users.Invite(bg, owner, "grace@acme.test", auth.RoleMember)
	require.NoError(t, err)
	invitePath := linkPath(t, e, inv.Link)
	shots("invite", func() { open(invitePath) })
	shots("invite-errors", func() {
		open(invitePath)
		submit("invite-form", map[string]string{"password": "short"}, "form-errors")
	})
	_, err = svc.Users.AcceptInvitation(bg, strings.TrimPrefix(invitePath, "/invite/"), "Grace Hopper", password)
	require.NoError(t, err)
	shots("invite-invalid", func() { open(invitePath) })

	link, err := svc.Users.CreateResetLink(bg, owner, user(t, e, "grace@acme.test").ID)
	require.NoError(t, err)
	resetPath := linkPath(t, e, link)
	shots("reset", func() { open(resetPath) })
	shots("reset-errors", func() {
		open(resetPath)
		submit("reset-form", map[string]string{"password": "a brand new passphrase", "password_confirm": "a different one"}, "form-errors")
	})
	open(resetPath)
	submit("reset-form", map[string]string{"password": "a brand new passphrase", "password_confirm": "a brand new passphrase"}, "flash")
	require.Equal(t, "Password changed; log in with your new password.", text("flash"))
	shots("reset-invalid", func() { open(resetPath) })

	// Sign-up modes the operator chooses.
	require.NoError(t, svc.Tenants.SetSignupMode(bg, tenant.SignupApproval))
	shots("signup-approval", func() { open("/signup") })
	require.NoError(t, svc.Tenants.SetSignupMode(bg, tenant.SignupInvite))
	shots("signup-closed", func() { open("/signup") })

	// The redirect's note, as a client that does not follow redirects sees it.
	b := e.NewBrowser()
	logIn(t, b, "grace@acme.test", "a brand new passphrase")
	r := b.Get("/login")
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	require.NotEmpty(t, r.TestID(t, "already-logged-in"))
	require.NotEmpty(t, r.Doc(t).Find(`input[name="_csrf"]`).AttrOr("value", ""))
}
