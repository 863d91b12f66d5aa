// Package screens_test drives the operator console in Debian's chromium: an operator logs in,
// sets up two-factor with a real code, and visits every console page on a desktop and a phone
// screen, keeping a screenshot of each under artifacts/screenshots/ (admin-*.png). It starts a
// browser, so it lives in a package of its own and runs serially.
package screens_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/browsertest"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/factory"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const password = "operator password 42"

// seed fills the platform with enough to make every page show something real.
func seed(t *testing.T, e *webtest.Env) (acme auth.CurrentUser) {
	t.Helper()
	ctx := context.Background()
	svc := e.Services
	_, err := svc.Operators.Create(ctx, "ada@wagate.test", "Ada Lovelace", password)
	require.NoError(t, err)
	_, err = svc.Operators.Create(ctx, "alan@wagate.test", "Alan Turing", password)
	require.NoError(t, err)
	_, err = svc.Tenants.CreatePlan(ctx, tenant.PlanInput{Name: "Business", MaxSessions: 10, MessagesPerDay: 50000,
		SendRatePerMinute: 40, DelayMinMs: 800, DelayMaxMs: 2500, MaxCampaignSize: 25000, MaxMediaBytes: 64 << 20,
		StorageQuotaBytes: 20 << 30, APIRequestsPerMinute: 600, MaxWebhookEndpoints: 10})
	require.NoError(t, err)
	factory.Instance(ctx, t, e.Pool, &factory.InstanceOpts{Hostname: factory.Ptr("wagate-1"), Roles: []string{"http", "worker", "host"}, Version: factory.Ptr("v1.4.2")})
	factory.Instance(ctx, t, e.Pool, &factory.InstanceOpts{Hostname: factory.Ptr("wagate-2"), Roles: []string{"host"}, Version: factory.Ptr("v1.4.2")})

	signup := func(company, name, email string) auth.CurrentUser {
		u, _, err := svc.Users.Signup(ctx, auth.SignupInput{Company: company, Name: name, Email: email, Password: "password of " + email})
		require.NoError(t, err)
		cu, err := svc.Users.Current(ctx, u.ID)
		require.NoError(t, err)
		return cu
	}
	acme = signup("Acme Logistics", "Grace Hopper", "grace@acme-logistics.com")
	for _, m := range []struct{ email, name, role string }{
		{"linus@acme-logistics.com", "Linus Torvalds", auth.RoleAdmin},
		{"margaret@acme-logistics.com", "Margaret Hamilton", auth.RoleMember},
	} {
		inv, err := svc.Users.Invite(ctx, acme, m.email, m.role)
		require.NoError(t, err)
		_, err = svc.Users.AcceptInvitation(ctx, inv.Link[strings.LastIndex(inv.Link, "/")+1:], m.name, "member password 1")
		require.NoError(t, err)
	}
	_, err = svc.APIKeys.Create(ctx, acme, auth.CreateKeyInput{Name: "CRM sync", Scopes: auth.Scopes})
	require.NoError(t, err)
	signup("Bluebird Dental", "Ken Thompson", "ken@bluebird.dental")
	spam := signup("Cheap Offers 24", "Spam Sender", "offers@cheap-offers.example")
	require.NoError(t, svc.Tenants.Suspend(ctx, spam.TenantID, "Reports of unsolicited bulk messages"))
	for i := 0; i < 4; i++ {
		signup(fmt.Sprintf("Shop %d Ltd", i+1), fmt.Sprintf("Owner %d", i+1), fmt.Sprintf("owner%d@shop%d.example", i+1, i+1))
	}
	require.NoError(t, svc.Tenants.SetSignupMode(ctx, tenant.SignupApproval))
	signup("Delta Travel", "Dennis Ritchie", "dennis@delta-travel.example")
	signup("Evergreen Farms", "Barbara Liskov", "barbara@evergreen.example")
	return acme
}

func TestConsoleScreens(t *testing.T) {
	e := webtest.New(t, nil)
	acme := seed(t, e)
	ctx := browsertest.New(t, 3*time.Minute)
	base := e.URL()
	tid := acme.TenantID.String()

	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			browsertest.Screenshot(t, ctx, "admin-failure")
			t.Fatalf("browser: %v", err)
		}
	}
	visit := func(path, waitFor string) {
		t.Helper()
		do(chromedp.Navigate(base+path), chromedp.WaitVisible(browsertest.TestID(waitFor)))
	}
	shot := func(name string) {
		t.Helper()
		// Full-page shots capture sticky elements where the page is scrolled to: start at the top.
		_, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.scrollTo(0, 0)`))
		require.NoError(t, err)
		browsertest.Screenshot(t, ctx, "admin-"+name)
	}

	// Login and the two-factor setup, with a real code from the page's secret.
	visit("/admin", "admin-login-form")
	shot("login-desktop")
	do(chromedp.SendKeys(browsertest.TestID("input-email"), "ada@wagate.test"),
		chromedp.SendKeys(browsertest.TestID("input-password"), password),
		chromedp.Click(browsertest.TestID("admin-login-submit")),
		chromedp.WaitVisible(browsertest.TestID("totp-qr")))
	shot("2fa-setup-desktop")
	secret, err := chromedp.Run(ctx, chromedp.AttributeValue(browsertest.TestID("totp-secret"), "data-secret"))
	require.NoError(t, err)
	code, err := totp.GenerateCode(secret.Value, time.Now())
	require.NoError(t, err)
	do(chromedp.SendKeys(browsertest.TestID("input-code"), code),
		chromedp.Click(browsertest.TestID("totp-setup-submit")),
		chromedp.WaitVisible(browsertest.TestID("tenant-counts")))

	pages := []struct{ name, path, waitFor string }{
		{"overview", "/admin", "tenant-counts"},
		{"tenants", "/admin/tenants", "tenant-list"},
		{"tenants-pending", "/admin/tenants?status=pending", "tenant-list"},
		{"tenants-empty-search", "/admin/tenants?q=nothing+matches", "empty-state"},
		{"tenant", "/admin/tenants/" + tid, "tenant-members"},
		{"tenant-suspend", "/admin/tenants/" + tid + "/suspend", "suspend-form"},
		{"plans", "/admin/plans", "plans-table"},
		{"plan-new", "/admin/plans/new", "plan-form"},
		{"audit", "/admin/audit", "audit-table"},
		{"audit-tenant", "/admin/audit?tenant=" + tid, "audit-table"},
		{"settings", "/admin/settings", "settings-form"},
	}
	for _, p := range pages {
		visit(p.path, p.waitFor)
		shot(p.name + "-desktop")
	}

	// Pages reached by actions: a reset link, a plan form with errors, a suspended tenant, an approval.
	visit("/admin/tenants/"+tid, "tenant-members")
	do(chromedp.Click(browsertest.TestID("make-reset-link")), chromedp.WaitVisible(browsertest.TestID("reset-link")))
	shot("reset-link-desktop")
	link, err := chromedp.Run(ctx, chromedp.Value(browsertest.TestID("reset-link")))
	require.NoError(t, err)
	require.Contains(t, link, "/reset/")

	visit("/admin/plans/new", "plan-form")
	do(chromedp.SetValue(browsertest.TestID("input-send_rate_per_minute"), "0"),
		chromedp.SetValue(browsertest.TestID("input-delay_max_ms"), "10"),
		chromedp.Click(browsertest.TestID("plan-save")),
		chromedp.WaitVisible(browsertest.TestID("error-name")))
	shot("plan-errors-desktop")
	var msg string
	do(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		var err error
		msg, err = chromedp.Text(browsertest.TestID("error-send_rate_per_minute"))(ctx, tg)
		return chromedp.Void{}, err
	})
	require.Equal(t, "Between 1 and 600.", msg, "htmx swapped the 422 form in place")

	plans, err := e.Services.Tenants.Plans(context.Background())
	require.NoError(t, err)
	visit("/admin/plans/"+plans[0].ID.String(), "plan-form")
	shot("plan-edit-desktop")

	// Phone-sized screens, with the menu closed and open.
	do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	for _, p := range pages {
		visit(p.path, p.waitFor)
		shot(p.name + "-mobile")
	}
	visit("/admin", "tenant-counts")
	do(chromedp.Click(browsertest.TestID("console-menu")), chromedp.WaitVisible(browsertest.TestID("nav-tenants")))
	shot("menu-mobile")
	visit("/admin/tenants/"+tid, "tenant-members")
	do(chromedp.Click(browsertest.TestID("make-reset-link")), chromedp.WaitVisible(browsertest.TestID("reset-link")))
	shot("reset-link-mobile")
	visit("/admin/plans/"+plans[0].ID.String(), "plan-form")
	shot("plan-edit-mobile")

	// Suspending, through the confirmation page; then the page of the suspended tenant.
	visit("/admin/tenants/"+tid+"/suspend", "suspend-form")
	do(chromedp.SendKeys(browsertest.TestID("input-reason"), "Unpaid invoice INV-2041"),
		chromedp.Click(browsertest.TestID("suspend-submit")),
		chromedp.WaitVisible(browsertest.TestID("suspended-banner")))
	shot("tenant-suspended-mobile")
	visit("/admin/tenants/"+tid+"/suspend", "error-page")
	shot("conflict-mobile")
	do(chromedp.EmulateViewport(1280, 900))
	visit("/admin/tenants/"+tid, "suspended-banner")
	shot("tenant-suspended-desktop")
	visit("/admin/tenants/"+tid+"/suspend", "error-page")
	shot("conflict-desktop")
	do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	visit("/admin", "tenant-counts")

	// The code page of a later login, and the login page, on the phone.
	do(chromedp.Click(browsertest.TestID("console-menu")), chromedp.Click(browsertest.TestID("logout")),
		chromedp.WaitVisible(browsertest.TestID("admin-login-form")))
	shot("login-mobile")
	do(chromedp.SendKeys(browsertest.TestID("input-email"), "ada@wagate.test"),
		chromedp.SendKeys(browsertest.TestID("input-password"), password),
		chromedp.Click(browsertest.TestID("admin-login-submit")),
		chromedp.WaitVisible(browsertest.TestID("totp-form")))
	shot("2fa-mobile")
	do(chromedp.EmulateViewport(1280, 900))
	do(chromedp.Reload(), chromedp.WaitVisible(browsertest.TestID("totp-form")))
	shot("2fa-desktop")

	// Another operator's first login: the setup page on a phone.
	do(chromedp.Click(browsertest.TestID("auth-logout")), chromedp.WaitVisible(browsertest.TestID("admin-login-form")),
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
		chromedp.SendKeys(browsertest.TestID("input-email"), "alan@wagate.test"),
		chromedp.SendKeys(browsertest.TestID("input-password"), password),
		chromedp.Click(browsertest.TestID("admin-login-submit")),
		chromedp.WaitVisible(browsertest.TestID("totp-qr")))
	shot("2fa-setup-mobile")
}
