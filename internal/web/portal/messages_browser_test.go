package portal_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/browsertest"
	"github.com/wagate/wagate/internal/web/webtest"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

// TestMessages_InBrowser is sending from the portal as a new user does it, in headless chromium:
// with a connected simulator session, send a text and then an image (a generated PNG, previewed
// before sending) from the portal's form, and watch each message's page go queued → sent →
// delivered → read without reloading; then see an inbound message appear in the log live. It keeps
// screenshots of every message page in artifacts/screenshots/portal-messages-*.png. It starts a
// browser: not parallel.
func TestMessages_InBrowser(t *testing.T) {
	e := webtest.New(t, &webtest.Opts{SessionHost: true, Sim: func(o *simulator.Options) {
		o.DeliveredAfter, o.ReadAfter = 800*time.Millisecond, 1600*time.Millisecond
	}})
	bg := context.Background()
	w := newWorkspace(t, e, "Acme")
	// No pacing pause between the two sends: this test watches statuses, not the pace.
	_, err := e.Pool.Exec(bg, "UPDATE plans SET delay_min_ms = 0, delay_max_ms = 0, send_rate_per_minute = 600")
	require.NoError(t, err)
	_, err = e.Pool.Exec(bg, "UPDATE tenants SET timezone = 'Europe/Berlin', default_country = 'DE' WHERE id = $1", w.owner.TenantID)
	require.NoError(t, err)
	sid := connectSession(t, e, w.owner.TenantID, "Sales line", "4915111111401")
	picture := filepath.Join(t.TempDir(), "storefront.png")
	require.NoError(t, os.WriteFile(picture, pngBytes(t, 480, 320), 0o644))
	page := filepath.Join(t.TempDir(), "not-a-picture.png")
	require.NoError(t, os.WriteFile(page, []byte("<!DOCTYPE html><html><body>Not a picture</body></html>"), 0o644))

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
	// await evaluates a promise for a string.
	await := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		return v
	}
	open := func(path, waitFor string) {
		t.Helper()
		do(chromedp.Navigate(e.URL()+path), chromedp.WaitVisible(browsertest.TestID(waitFor)))
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err)
		return strings.TrimSpace(s)
	}
	// shot keeps a full-page screenshot from the top (a focused field may have scrolled the page,
	// and the sticky top bar would then be drawn halfway down).
	shot := func(name string) {
		t.Helper()
		eval(`window.scrollTo(0, 0); ''`)
		browsertest.Screenshot(t, ctx, "portal-messages-"+name)
	}
	shots := func(name string, show func()) {
		t.Helper()
		for _, v := range []struct {
			w, h   int64
			suffix string
		}{{1280, 900, ""}, {390, 844, "-mobile"}} {
			do(chromedp.EmulateViewport(v.w, v.h))
			show()
			shot(name + v.suffix)
		}
		do(chromedp.EmulateViewport(1280, 900))
	}
	// watchToRead waits on a message's page, loaded once, until its status is read, and checks that
	// the page was never reloaded and that every step on the way shows in the timeline.
	watchToRead := func(what string) string {
		t.Helper()
		do(chromedp.WaitVisible(browsertest.TestID("message-status-panel")))
		eval(`window.__samePage = "yes"; ''`)
		id := eval(`location.pathname.split('/').pop()`)
		do(chromedp.WaitVisible(`[data-testid="message-status"][data-status="read"]`))
		require.Equal(t, "yes", eval(`window.__samePage || ''`), "%s: read arrived without a reload", what)
		steps := eval(`Array.from(document.querySelectorAll('[data-testid="timeline-item"]')).map(e => e.dataset.status).join(' ')`)
		for _, want := range []string{"queued", "sent", "delivered", "read"} {
			require.Contains(t, strings.Fields(steps), want, "%s: the timeline shows %s (%s)", what, want, steps)
		}
		require.Equal(t, "done done done done", eval(`Array.from(document.querySelectorAll('[data-testid="progress-step"]')).map(e => e.dataset.state).join(' ')`))
		return id
	}

	// Log in through the real form.
	open("/login", "login-form")
	do(chromedp.SetValue(browsertest.TestID("input-email"), w.owner.Email), chromedp.SetValue(browsertest.TestID("input-password"), w.ownerPW),
		chromedp.Submit(browsertest.TestID("login-form")), chromedp.WaitVisible(browsertest.TestID("portal-shell")))
	shots("empty", func() { open("/app/messages", "empty-state") })

	// The send form: errors come back in place (htmx), in the same page.
	open("/app/messages/new", "message-form")
	eval(`window.__samePage = "yes"; ''`)
	do(chromedp.Click(browsertest.TestID("send-submit")), chromedp.WaitVisible(browsertest.TestID("error-to")))
	require.Equal(t, "yes", eval(`window.__samePage || ''`), "htmx swapped the form")
	require.NotEmpty(t, text(`[data-testid="error-text"]`))
	shot("form-errors")
	// A file WhatsApp does not take comes back as 415 with the error at the file, swapped in place too.
	open("/app/messages/new", "message-form")
	eval(`window.__samePage = "yes"; ''`)
	do(chromedp.Click(browsertest.TestID("send-kind-image")), chromedp.WaitVisible(browsertest.TestID("send-drop")),
		chromedp.SetUploadFiles(browsertest.TestID("send-file"), []string{page}),
		chromedp.SetValue(browsertest.TestID("send-to"), "+49 151 23456789"),
		chromedp.Click(browsertest.TestID("send-submit")), chromedp.WaitVisible(browsertest.TestID("error-file")))
	require.Equal(t, "yes", eval(`window.__samePage || ''`), "htmx swapped the form for a 415")
	require.Contains(t, text(`[data-testid="error-file"]`), "cannot be sent")
	shot("form-415")

	// A text: sent from the form, watched to read on its page.
	shots("form", func() { open("/app/messages/new", "message-form") })
	do(chromedp.SetValue(browsertest.TestID("send-to"), "0151 23456789"),
		chromedp.SetValue(browsertest.TestID("send-text"), "Hello from Acme! Your order #1042 has shipped and arrives tomorrow."),
		chromedp.Click(browsertest.TestID("send-submit")), chromedp.WaitVisible(browsertest.TestID("message-live")))
	require.Equal(t, "Message to +4915123456789", text(`[data-testid="page-title"]`))
	textID := watchToRead("the text")
	shots("text-read", func() {
		open("/app/messages/"+textID, "message-status-panel")
		do(chromedp.WaitVisible(`[data-testid="message-status"][data-status="read"]`))
	})

	// An image: the Image tab shows the file picker, the chosen file is previewed before sending.
	open("/app/messages/new", "message-form")
	require.Equal(t, "none", eval(`getComputedStyle(document.querySelector('[data-testid="send-media-panel"]')).display`),
		"the file picker belongs to the media tabs")
	do(chromedp.Click(browsertest.TestID("send-kind-image")), chromedp.WaitVisible(browsertest.TestID("send-drop")))
	require.Equal(t, "image/jpeg,image/png,image/webp,image/gif", eval(`document.querySelector('[data-testid="send-file"]').getAttribute('accept')`))
	do(chromedp.SetUploadFiles(browsertest.TestID("send-file"), []string{picture}),
		chromedp.WaitVisible(browsertest.TestID("send-preview-media")))
	require.Equal(t, "480", await(`new Promise(r => { const i = document.querySelector('[data-testid="send-preview-media"]');
		const done = () => r(String(i.naturalWidth)); i.complete ? done() : i.onload = done; })`))
	require.Contains(t, text(`[data-testid="send-preview"]`), "storefront.png")
	do(chromedp.SetValue(browsertest.TestID("send-to"), "+49 151 23456789"),
		chromedp.SetValue(browsertest.TestID("send-text"), "Our new storefront, opening Saturday"))
	shots("form-image", func() { do(chromedp.Sleep(400 * time.Millisecond)) }) // the same page: the drawer settles
	do(chromedp.Click(browsertest.TestID("send-submit")), chromedp.WaitVisible(browsertest.TestID("message-live")))
	imageID := watchToRead("the image")
	// The picture shows inline, loaded through its signed link.
	require.Equal(t, "480", await(`new Promise(r => { const i = document.querySelector('[data-testid="media-image"]');
		const done = () => r(String(i.naturalWidth)); i.complete ? done() : i.onload = done; })`))
	shots("image-read", func() {
		open("/app/messages/"+imageID, "message-media")
		do(chromedp.WaitVisible(`[data-testid="message-status"][data-status="read"]`))
	})

	// The log shows both, read; an inbound message appears on it live, at the top.
	open("/app/messages", "messages-table")
	eval(`window.__samePage = "yes"; ''`)
	require.Equal(t, "read read", eval(`Array.from(document.querySelectorAll('[data-testid="message-row"]')).map(e => e.dataset.status).join(' ')`))
	do(chromedp.Sleep(300 * time.Millisecond)) // the stream connects
	_, err = e.Simulator.InjectText(bg, sid, "4915123456700", "Is the shop open on Sunday too?")
	require.NoError(t, err)
	do(chromedp.WaitVisible(`[data-testid="message-row"][data-direction="in"]`))
	require.Equal(t, "yes", eval(`window.__samePage || ''`), "the new message arrived without a reload")
	require.Equal(t, "in", eval(`document.querySelector('[data-testid="message-row"]').dataset.direction`), "new messages go on top")
	// A message sent meanwhile (from the API, say) is announced at each of its steps: it is added
	// once and then follows its steps in place.
	sent := send(t, e, w.owner.TenantID, sid, "+49 151 23456786", "Sent while you watch")
	do(chromedp.WaitVisible(`[data-testid="message-row"][data-id="` + sent.ID.String() + `"][data-status="read"]`))
	require.Equal(t, "4", eval(`String(document.querySelectorAll('[data-testid="message-row"]').length)`), "each message once")
	require.Equal(t, sent.ID.String(), eval(`document.querySelector('[data-testid="message-row"]').dataset.id`))
	require.Equal(t, "yes", eval(`window.__samePage || ''`))
	shots("log", func() { open("/app/messages", "messages-table") })

	// Filtering swaps the results in place.
	open("/app/messages", "messages-table")
	eval(`window.__samePage = "yes"; ''`)
	do(chromedp.SetValue(`#filter-direction`, "in"))
	eval(`document.querySelector('#filter-direction').dispatchEvent(new Event('change', {bubbles: true})), ''`)
	require.Eventually(t, func() bool {
		return eval(`String(document.querySelectorAll('[data-testid="message-row"]').length)`) == "1"
	}, 5*time.Second, 50*time.Millisecond)
	require.Equal(t, "yes", eval(`window.__samePage || ''`))
	require.Contains(t, eval(`location.search`), "direction=in")
	shot("log-filtered")

	// The session's page lists its recent messages; a scheduled message can be canceled.
	shots("session", func() { open("/app/sessions/"+sid.String(), "recent-list") })
	m := scheduled(t, e, w.owner.TenantID, sid, "+49 151 23456788", "See you at the opening on Saturday!")
	shots("scheduled", func() { open("/app/messages/"+m.ID.String(), "message-cancel") })
	do(chromedp.Click(browsertest.TestID("message-cancel")), chromedp.WaitVisible(browsertest.TestID("message-cancel-form")))
	shot("cancel")
	do(chromedp.Click(browsertest.TestID("message-cancel-form-submit")),
		chromedp.WaitVisible(`[data-testid="message-status"][data-status="canceled"]`))
	shot("canceled")

	// Going from live page to live page never waits for a connection: pages kept in the
	// back/forward cache close their streams (static/src/js/portal.js). Chrome allows six
	// connections to a server; without that, the seventh page here would wait for a stream to end.
	pages := []string{"/app/messages/" + imageID, "/app/messages", "/app/sessions/" + sid.String(), "/app/messages/" + textID,
		"/app/sessions", "/app/messages?direction=in", "/app/messages/" + m.ID.String(), "/app/messages", "/app/sessions/" + sid.String()}
	for _, p := range pages {
		start := time.Now()
		do(chromedp.Navigate(e.URL() + p))
		require.Less(t, time.Since(start), 10*time.Second, "%s loaded only when a stream ended", p)
	}
	// A page restored from the cache shows the current state (it reloads, and streams again).
	do(chromedp.NavigateBack(), chromedp.WaitVisible(browsertest.TestID("messages-table")))
	require.Equal(t, "/app/messages", eval(`location.pathname`))

	// A file larger than the plan allows is refused in the browser, before any upload.
	_, err = e.Pool.Exec(bg, "UPDATE plans SET max_media_bytes = 10240")
	require.NoError(t, err)
	open("/app/messages/new", "message-form")
	eval(`window.__samePage = "yes"; window.__posts = 0; document.body.addEventListener('htmx:beforeRequest', () => window.__posts++); ''`)
	do(chromedp.Click(browsertest.TestID("send-kind-image")), chromedp.WaitVisible(browsertest.TestID("send-drop")),
		chromedp.SetUploadFiles(browsertest.TestID("send-file"), []string{picture}),
		chromedp.WaitVisible(browsertest.TestID("error-file-client")))
	require.Contains(t, text(`[data-testid="error-file-client"]`), "more than your plan allows for one file (10 KB)")
	// The click's events are handled before Click returns: a request would have started by now.
	do(chromedp.SetValue(browsertest.TestID("send-to"), "+49 151 23456789"), chromedp.Click(browsertest.TestID("send-submit")))
	require.Equal(t, "0", eval(`String(window.__posts)`), "nothing was uploaded")
	require.Equal(t, "yes", eval(`window.__samePage || ''`))
	shot("form-too-large")
}
