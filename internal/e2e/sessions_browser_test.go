package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/browsertest"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/proctest"
)

// TestSessions_InBrowser is a new user's first session, linked on a real `wagate serve` (WA_DRIVER=simulator)
// in headless chromium: sign up, create a session, start pairing, see the QR code arrive live and
// change as it rotates (SIMULATOR_QR_FIRST/NEXT shorten the codes' lives to 3 s), press "Simulate
// scan" and watch the status turn connected, all without a page load; then an operator finds the
// session in the console and force-disconnects it, and it shows parked. Screenshots at desktop width
// and at 390 px.
func TestSessions_InBrowser(t *testing.T) {
	p := proctest.Start(t, proctest.Opts{DatabaseURL: dbtest.URL(t), RedisURL: dbtest.RedisURL(t),
		Env: map[string]string{"ADMIN_EMAIL": "ops@example.com", "ADMIN_PASSWORD": "operator password 1",
			// Six codes of 3 s: an 18 s pairing window, long enough to see a rotation and then scan.
			"SIMULATOR_QR_FIRST": "3s", "SIMULATOR_QR_NEXT": "3s"}})
	ctx := browsertest.New(t, 3*time.Minute)
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, actions...))
	}
	attr := func(sel css, name string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(sel, name))
		require.NoError(t, err)
		return v.Value
	}
	narrow := func(name string) {
		t.Helper()
		run(chromedp.EmulateViewport(390, 844), chromedp.Sleep(500*time.Millisecond)) // the drawer slides shut
		browsertest.Screenshot(t, ctx, name+"-390")
		run(chromedp.EmulateViewport(1280, 900))
	}

	run(chromedp.Navigate(p.URL+"/signup"),
		chromedp.SendKeys(css(`input[name="company"]`), "Session Bakery"),
		chromedp.SendKeys(css(`input[name="name"]`), "Sam Owner"),
		chromedp.SendKeys(css(`input[name="email"]`), "sam@bakery.example"),
		chromedp.SendKeys(css(`input[name="password"]`), "owner password 1"),
		chromedp.Submit(css(`[data-testid="signup-form"]`)),
		chromedp.WaitVisible(browsertest.TestID("nav-sessions")),
		chromedp.Click(browsertest.TestID("nav-sessions")),
		chromedp.WaitVisible(browsertest.TestID("sessions-empty-create")))
	browsertest.Screenshot(t, ctx, "sessions-empty")
	narrow("sessions-empty")

	// Create a session: its page offers QR code and phone pairing.
	run(chromedp.SendKeys(browsertest.TestID("session-name-input"), "Front desk"),
		chromedp.Submit(browsertest.TestID("session-form")),
		chromedp.WaitVisible(browsertest.TestID("pair-qr")))
	browsertest.Screenshot(t, ctx, "session-new")

	// Start pairing; the QR code arrives over SSE (the page is not reloaded for it).
	run(chromedp.Click(browsertest.TestID("pair-qr")),
		chromedp.WaitVisible(browsertest.TestID("qr")))
	qr := attr(browsertest.TestID("qr"), "data-qr")
	require.NotEmpty(t, qr)
	// Mark the document: a page load would lose the mark.
	run(chromedp.Evaluate[chromedp.Void](`window.__noReload = true;
		window.__firstQR = {qr: document.querySelector('[data-testid="qr"]').dataset.qr,
			src: document.querySelector('[data-testid="qr"]').getAttribute('src')}`))
	browsertest.Screenshot(t, ctx, "session-qr")

	// WhatsApp rotates the code: the image on the page changes by itself.
	run(chromedp.Poll[chromedp.Void](`(() => {
		const el = document.querySelector('[data-testid="qr"]');
		return !!el && el.dataset.qr !== '' && el.dataset.qr !== window.__firstQR.qr &&
			el.getAttribute('src').startsWith('data:image/png;base64,') && el.getAttribute('src') !== window.__firstQR.src;
	})()`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	rotated, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__noReload === true`))
	require.NoError(t, err)
	require.True(t, rotated, "the QR code changed without a page load")
	require.NotEqual(t, qr, attr(browsertest.TestID("qr"), "data-qr"))
	browsertest.Screenshot(t, ctx, "session-qr-rotated")
	narrow("session-qr")

	// "Scan".
	run(chromedp.Click(browsertest.TestID("simulate-scan")),
		chromedp.WaitVisible(css(`[data-testid="session-status"][data-status="connected"]`)))
	same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__noReload === true`))
	require.NoError(t, err)
	require.True(t, same, "the status turned connected without a page load")
	run(chromedp.WaitVisible(browsertest.TestID("pair-done")),
		chromedp.WaitVisible(css(`[data-testid="history-item"][data-status="connected"]`)))
	phone, err := chromedp.Run(ctx, chromedp.Text(browsertest.TestID("session-phone")))
	require.NoError(t, err)
	require.Regexp(t, `^\+49151\d{8}$`, phone)
	browsertest.Screenshot(t, ctx, "session-connected")
	narrow("session-connected")

	// A reload shows the same state, from Postgres.
	run(chromedp.Reload(), chromedp.WaitVisible(css(`[data-testid="session-status"][data-status="connected"]`)),
		chromedp.WaitVisible(css(`[data-testid="history-item"][data-status="connected"]`)))
	run(chromedp.Navigate(p.URL+"/app/sessions"),
		chromedp.WaitVisible(css(`[data-testid="session-row"][data-status="connected"]`)))
	browsertest.Screenshot(t, ctx, "sessions-list")
	narrow("sessions-list")
	run(chromedp.Navigate(p.URL+"/app"), chromedp.WaitVisible(browsertest.TestID("stat-sessions")))
	used, err := chromedp.Run(ctx, chromedp.Text(browsertest.TestID("stat-sessions")))
	require.NoError(t, err)
	require.Contains(t, used, "1 of ")
	browsertest.Screenshot(t, ctx, "sessions-dashboard")
	narrow("sessions-dashboard")
	run(chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"]').submit()`),
		chromedp.WaitVisible(css(`input[name="password"]`)))

	// The operator sees it in the console and force-disconnects it.
	run(chromedp.Navigate(p.URL+"/admin/login"),
		chromedp.SendKeys(css(`input[name="email"]`), "ops@example.com"),
		chromedp.SendKeys(css(`input[name="password"]`), "operator password 1"),
		chromedp.Submit(css(`[data-testid="admin-login-form"]`)),
		chromedp.WaitVisible(css(`[data-testid="totp-secret"]`)))
	secret, err := chromedp.Run(ctx, chromedp.AttributeValue(css(`[data-testid="totp-secret"]`), "data-secret"))
	require.NoError(t, err)
	code, err := totp.GenerateCode(secret.Value, time.Now())
	require.NoError(t, err)
	run(chromedp.SendKeys(css(`[data-testid="totp-setup-form"] input[name="code"]`), code),
		chromedp.Submit(css(`[data-testid="totp-setup-form"]`)),
		chromedp.WaitVisible(css(`[data-testid="tenant-counts"]`)),
		chromedp.Navigate(p.URL+"/admin/sessions?q=bakery"),
		chromedp.WaitVisible(css(`[data-testid="session-row"][data-status="connected"]`)))
	holder := attr(browsertest.TestID("session-holder"), "title")
	require.NotEmpty(t, holder, "the console shows the holding instance")
	browsertest.Screenshot(t, ctx, "admin-sessions")
	narrow("admin-sessions")
	run(chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(browsertest.TestID("session-disconnect")),
		chromedp.WaitVisible(css(`[data-testid="session-row"][data-status="parked"]`)))
	browsertest.Screenshot(t, ctx, "admin-sessions-parked")
}
