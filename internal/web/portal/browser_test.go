package portal_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/browsertest"
	"github.com/wagate/wagate/internal/web/webtest"
)

// TestPortal_InBrowser walks every portal page in headless chromium, at desktop and phone width,
// with a workspace that has members, invitations and keys, and keeps screenshots of each page in
// artifacts/screenshots/portal-*.png. It also checks what only a browser shows: the stylesheet
// applies, the phone drawer opens, htmx swaps a form with errors in place, the copy button works.
// It starts a browser: not parallel.
func TestPortal_InBrowser(t *testing.T) {
	e := webtest.New(t, nil)
	bg := context.Background()
	svc := e.Services
	const pw = "correct horse battery"
	u, _, err := svc.Users.Signup(bg, auth.SignupInput{Company: "Acme Inc.", Name: "Ada Lovelace", Email: "ada@acme.test", Password: pw})
	require.NoError(t, err)
	owner := current(t, e, u.ID)
	grace := addMember(t, e, owner, "grace@acme.test", "Grace Hopper", auth.RoleAdmin, pw)
	setup, err := auth.NewTOTP("Wagate", grace.Email)
	require.NoError(t, err)
	code, err := totp.GenerateCode(setup.Secret, time.Now())
	require.NoError(t, err)
	require.NoError(t, svc.Users.EnableTOTP(bg, grace.User, setup.Secret, code))
	addMember(t, e, owner, "linus@acme.test", "Linus Torvalds", auth.RoleMember, pw)
	for _, inv := range []struct{ email, role string }{{"margaret@acme.test", auth.RoleMember}, {"alan@acme.test", auth.RoleAdmin}} {
		_, err := svc.Users.Invite(bg, owner, inv.email, inv.role)
		require.NoError(t, err)
	}
	_, err = svc.APIKeys.Create(bg, grace, auth.CreateKeyInput{Name: "CRM sync", Scopes: []string{"read"}})
	require.NoError(t, err)
	old, err := svc.APIKeys.Create(bg, owner, auth.CreateKeyInput{Name: "Old test key", Scopes: auth.Scopes})
	require.NoError(t, err)
	require.NoError(t, svc.APIKeys.Revoke(bg, owner.TenantID, old.Key.ID))
	live, err := svc.APIKeys.Create(bg, owner, auth.CreateKeyInput{Name: "Production backend", Scopes: []string{"read", "send"}})
	require.NoError(t, err)
	_, err = svc.APIKeys.Authenticate(bg, live.Secret)
	require.NoError(t, err)
	svc.APIKeys.Flush(bg)

	ctx := browsertest.New(t, 4*time.Minute)
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, actions...))
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		require.NoError(t, err)
		return v
	}
	open := func(path, waitFor string) {
		t.Helper()
		do(chromedp.Navigate(e.URL()+path), chromedp.WaitVisible(browsertest.TestID(waitFor)))
	}
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(browsertest.TestID(id)))
		require.NoError(t, err)
		return strings.TrimSpace(s)
	}
	shots := func(name string, show func()) {
		t.Helper()
		for _, v := range []struct {
			w, h   int64
			suffix string
		}{{1280, 900, ""}, {390, 844, "-mobile"}} {
			do(chromedp.EmulateViewport(v.w, v.h))
			show()
			browsertest.Screenshot(t, ctx, "portal-"+name+v.suffix)
		}
		do(chromedp.EmulateViewport(1280, 900))
	}

	// Log in through the real form.
	open("/login", "login-form")
	do(chromedp.SetValue(browsertest.TestID("input-email"), owner.Email), chromedp.SetValue(browsertest.TestID("input-password"), pw),
		chromedp.Submit(browsertest.TestID("login-form")), chromedp.WaitVisible(browsertest.TestID("portal-shell")))

	// The portal's stylesheet took effect: a dark sidebar beside the content.
	require.Contains(t, eval(`getComputedStyle(document.querySelector('.wg-sidebar')).backgroundImage`), "rgb(3, 33, 26)")
	require.Equal(t, "sticky", eval(`getComputedStyle(document.querySelector('.wg-sidebar__inner')).position`))

	shots("dashboard", func() { open("/app", "getting-started") })
	shots("team", func() { open("/app/team", "members-table") })
	shots("team-menu", func() {
		open("/app/team", "members-table")
		do(chromedp.Click(`[data-testid="member-row"][data-email="linus@acme.test"] [data-testid="member-actions-toggle"]`),
			chromedp.WaitVisible(`[data-testid="member-row"][data-email="linus@acme.test"] [data-testid="member-role-select"]`))
	})
	shots("team-remove", func() {
		open("/app/team/members/"+grace.ID.String()+"/remove", "remove-form")
	})
	shots("invite-link", func() {
		open("/app/team", "invite-form")
		do(chromedp.SetValue(browsertest.TestID("invite-email"), "new.hire@acme.test"), chromedp.Submit(browsertest.TestID("invite-form")),
			chromedp.WaitVisible(browsertest.TestID("invite-link")))
	})
	shots("team-invite-errors", func() {
		open("/app/team", "invite-form")
		do(chromedp.SetValue(browsertest.TestID("invite-email"), "not-an-address"), chromedp.Submit(browsertest.TestID("invite-form")),
			chromedp.WaitVisible(browsertest.TestID("error-email")))
	})
	shots("keys", func() { open("/app/keys", "keys-table") })
	shots("keys-errors", func() {
		open("/app/keys", "key-form")
		eval(`document.querySelectorAll('[name="scopes"]').forEach(function(c){c.checked=false}); ''`)
		do(chromedp.Submit(browsertest.TestID("key-form")), chromedp.WaitVisible(browsertest.TestID("error-scopes")))
	})
	shots("key-created", func() {
		open("/app/keys", "key-form")
		do(chromedp.SetValue(browsertest.TestID("key-name-input"), "Zapier"), chromedp.Submit(browsertest.TestID("key-form")),
			chromedp.WaitVisible(browsertest.TestID("key-secret")))
	})
	// The copy button copies the secret (or, where the clipboard is refused, selects it).
	do(chromedp.Click(browsertest.TestID("key-secret-copy")))
	require.Eventually(t, func() bool {
		l := text("key-secret-copy")
		return l == "Copied" || l == "Press Ctrl+C"
	}, 5*time.Second, 50*time.Millisecond)
	shots("key-revoke", func() { open("/app/keys/"+live.Key.ID.String()+"/revoke", "revoke-form") })
	shots("audit", func() { open("/app/audit", "audit-table") })
	shots("audit-filtered", func() { open("/app/audit?action=member.", "audit-table") })
	shots("account", func() { open("/app/account", "password-form") })
	shots("2fa-setup", func() { open("/app/account/2fa", "totp-qr") })
	shots("settings", func() { open("/app/settings", "settings-form") })
	shots("api-docs", func() { open("/app/api-docs", "api-auth") })

	// htmx swaps a form that comes back with errors in place, in the same page.
	open("/app/settings", "settings-form")
	eval(`window.__samePage = "yes"; ''`)
	eval(`document.querySelector('[data-testid="settings-name"]').value = ''; ''`)
	do(chromedp.Click(browsertest.TestID("settings-submit")),
		chromedp.WaitVisible(browsertest.TestID("error-name")))
	require.Equal(t, "yes", eval(`window.__samePage || ''`), "no page load: htmx swapped the form")
	require.Equal(t, "This field is required.", text("error-name"))
	browsertest.Screenshot(t, ctx, "portal-settings-errors")
	// And a valid save goes on to the page with its flash.
	do(chromedp.SetValue(browsertest.TestID("settings-name"), "Acme Europe"), chromedp.Click(browsertest.TestID("settings-submit")),
		chromedp.WaitVisible(browsertest.TestID("flash")))
	require.Equal(t, "Acme Europe", text("workspace-name"))

	// The user menu opens without JavaScript help (a <details>).
	open("/app", "user-menu-toggle")
	do(chromedp.Click(browsertest.TestID("user-menu-toggle")), chromedp.WaitVisible(browsertest.TestID("logout")))
	browsertest.Screenshot(t, ctx, "portal-user-menu")

	// On a phone the sidebar is a drawer: hidden until the menu button opens it.
	do(chromedp.EmulateViewport(390, 844))
	open("/app", "nav-open")
	require.Equal(t, "hidden", eval(`document.querySelector('.wg-sidebar').getBoundingClientRect().right <= 0 ? 'hidden' : 'shown'`))
	do(chromedp.Click(browsertest.TestID("nav-open")), chromedp.Sleep(400*time.Millisecond))
	require.Equal(t, "shown", eval(`document.querySelector('.wg-sidebar').getBoundingClientRect().left >= 0 ? 'shown' : 'hidden'`))
	viewportShot(t, ctx, "portal-nav-open-mobile") // the drawer is fixed to the viewport: a full-page shot would cut it
	do(chromedp.Click(browsertest.TestID("nav-close")), chromedp.Sleep(400*time.Millisecond))
	require.Equal(t, "hidden", eval(`document.querySelector('.wg-sidebar').getBoundingClientRect().right <= 0 ? 'hidden' : 'shown'`))
	do(chromedp.EmulateViewport(1280, 900))

	// Log out from the user menu.
	open("/app", "user-menu-toggle")
	do(chromedp.Click(browsertest.TestID("user-menu-toggle")), chromedp.Click(browsertest.TestID("logout")),
		chromedp.WaitVisible(browsertest.TestID("login-form")))
}

// viewportShot saves what the viewport shows (not the full page) as artifacts/screenshots/<name>.png.
func viewportShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	dir := filepath.Join(filepath.Dir(strings.TrimSpace(string(out))), "artifacts", "screenshots")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}
