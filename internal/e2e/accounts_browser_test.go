package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/browsertest"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/proctest"
)

type css = chromedp.CSS

// callMe calls GET /api/v1/me with key and returns the status and the decoded body.
func callMe(t *testing.T, base, key string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// TestAccounts_InBrowser is the new user's path through a real `wagate serve` in headless chromium:
// sign up, invite a member and copy the link, log in as that member, create a key, call
// /api/v1/me with it; then an operator logs in with two-factor, suspends the tenant, and the key
// gets 403.
func TestAccounts_InBrowser(t *testing.T) {
	p := proctest.Start(t, proctest.Opts{DatabaseURL: dbtest.URL(t), RedisURL: dbtest.RedisURL(t),
		Env: map[string]string{"ADMIN_EMAIL": "ops@example.com", "ADMIN_PASSWORD": "operator password 1"}})
	ctx := browsertest.New(t, 3*time.Minute)
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, actions...))
	}
	text := func(sel css) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		require.NoError(t, err)
		return v
	}
	value := func(sel css) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(sel))
		require.NoError(t, err)
		return v
	}
	logout := func() {
		t.Helper()
		run(chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"], form[action="/admin/logout"]').submit()`),
			chromedp.WaitVisible(css(`input[name="password"]`)))
	}

	// Sign up: the owner lands in the portal.
	run(chromedp.Navigate(p.URL+"/signup"),
		chromedp.SendKeys(css(`input[name="company"]`), "Browser Bakery"),
		chromedp.SendKeys(css(`input[name="name"]`), "Olivia Owner"),
		chromedp.SendKeys(css(`input[name="email"]`), "olivia@bakery.example"),
		chromedp.SendKeys(css(`input[name="password"]`), "owner password 1"),
		chromedp.Submit(css(`[data-testid="signup-form"]`)),
		chromedp.WaitVisible(css(`a[href="/app/team"]`)))
	browsertest.Screenshot(t, ctx, "accounts-dashboard")

	// Invite a member; without SMTP the link is shown to copy.
	run(chromedp.Navigate(p.URL+"/app/team"),
		chromedp.SendKeys(css(`[data-testid="invite-form"] input[name="email"]`), "max@bakery.example"),
		chromedp.Submit(css(`[data-testid="invite-form"]`)),
		chromedp.WaitVisible(css(`[data-testid="invite-link"]`)))
	link := value(css(`[data-testid="invite-link"]`))
	require.Contains(t, link, p.URL+"/invite/")
	browsertest.Screenshot(t, ctx, "accounts-invite-link")
	logout()

	// The member accepts and is logged in.
	run(chromedp.Navigate(link),
		chromedp.WaitVisible(css(`[data-testid="invite-form"]`)),
		chromedp.SendKeys(css(`input[name="name"]`), "Max Member"),
		chromedp.SendKeys(css(`input[name="password"]`), "member password 1"),
		chromedp.Submit(css(`[data-testid="invite-form"]`)),
		chromedp.WaitVisible(css(`a[href="/app/keys"]`)))

	// The member creates a key; it is shown once.
	run(chromedp.Navigate(p.URL+"/app/keys"),
		chromedp.SendKeys(css(`input[name="name"]`), "Checkout"),
		chromedp.Submit(css(`[data-testid="key-form"]`)),
		chromedp.WaitVisible(css(`[data-testid="key-secret"]`)))
	key := value(css(`[data-testid="key-secret"]`))
	require.Regexp(t, `^wg_[0-9A-Za-z]{38}$`, key)
	browsertest.Screenshot(t, ctx, "accounts-key-created")
	run(chromedp.Navigate(p.URL + "/app/keys"))
	require.NotContains(t, text(css(`body`)), key, "the secret is never shown again")

	status, me := callMe(t, p.URL, key)
	require.Equal(t, http.StatusOK, status, me)
	tenant := me["tenant"].(map[string]any)
	require.Equal(t, "Browser Bakery", tenant["name"])
	tenantID := tenant["id"].(string)
	logout()

	// An operator logs in, must set up two-factor, then suspends the tenant.
	run(chromedp.Navigate(p.URL+"/admin/login"),
		chromedp.SendKeys(css(`input[name="email"]`), "ops@example.com"),
		chromedp.SendKeys(css(`input[name="password"]`), "operator password 1"),
		chromedp.Submit(css(`[data-testid="admin-login-form"]`)),
		chromedp.WaitVisible(css(`[data-testid="totp-secret"]`)))
	browsertest.Screenshot(t, ctx, "accounts-operator-2fa-setup")
	secret, err := chromedp.Run(ctx, chromedp.AttributeValue(css(`[data-testid="totp-secret"]`), "data-secret"))
	require.NoError(t, err)
	require.True(t, secret.Exists)
	code, err := totp.GenerateCode(secret.Value, time.Now())
	require.NoError(t, err)
	run(chromedp.SendKeys(css(`[data-testid="totp-setup-form"] input[name="code"]`), code),
		chromedp.Submit(css(`[data-testid="totp-setup-form"]`)),
		chromedp.WaitVisible(css(`[data-testid="tenant-counts"]`)))

	run(chromedp.Navigate(p.URL+"/admin/tenants/"+tenantID),
		chromedp.Click(css(`[data-testid="suspend"]`)),
		chromedp.WaitVisible(css(`[data-testid="suspend-form"]`)),
		chromedp.SendKeys(css(`[data-testid="suspend-form"] [name="reason"]`), "Payment overdue"),
		chromedp.Submit(css(`[data-testid="suspend-form"]`)),
		chromedp.WaitVisible(css(`[data-testid="suspended-banner"]`)))
	require.Contains(t, text(css(`[data-testid="suspended-reason"]`)), "Payment overdue")
	browsertest.Screenshot(t, ctx, "accounts-tenant-suspended")

	// The key is refused within a second (the key cache holds at most 1 s).
	dbtest.WaitFor(t, 2*time.Second, "the suspended tenant's key to get 403", func() bool {
		status, _ := callMe(t, p.URL, key)
		return status == http.StatusForbidden
	})
	_, body := callMe(t, p.URL, key)
	require.True(t, strings.Contains(body["detail"].(string), "suspended"), body)
}
