package api_test

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/browsertest"
	"github.com/wagate/wagate/internal/web/api"
	"github.com/wagate/wagate/internal/web/webtest"
	"github.com/wagate/wagate/static"
)

// docsPage is what the portal's API documentation page gives the docs UI: its two assets and the
// div it mounts into, holding the fallback for browsers without JavaScript.
func docsPage() string {
	return `<!DOCTYPE html><html lang="en" data-theme="light"><head><meta charset="utf-8"><title>API docs</title>
<link rel="stylesheet" href="` + static.URL("css/bulma.min.css") + `">
<link rel="stylesheet" href="` + static.URL("css/app.css") + `">
<link rel="stylesheet" href="` + static.URL("css/api-docs.css") + `">
<script src="` + static.URL("js/api-docs.js") + `" defer></script></head>
<body><main class="section"><div class="container">
<div id="api-docs" data-openapi-url="` + api.OpenAPIPath + `"><p id="fallback">Download the <a href="` + api.OpenAPIPath + `">OpenAPI document</a>.</p></div>
</div></main></body></html>`
}

// TestDocsUI_InBrowser loads the docs UI (static/dist js/api-docs.js and css/api-docs.css, built
// from npm's swagger-ui-dist and static/src) in chromium against the real API: it lists GET /me
// from /api/v1/openapi.json, a key typed into Authorize makes "Try it out" answer 200 with the
// key's workspace, and nothing is requested from any other origin.
func TestDocsUI_InBrowser(t *testing.T) {
	e := webtest.New(t, nil)
	w := signup(t, e, "Alpha")
	k := newKey(t, e, w, "Docs", auth.ScopeRead)

	// The page and the API on one origin, as in the portal (whose own page needs a login).
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static.FS())}))
	app.Get("/docs", func(c *fiber.Ctx) error {
		c.Type("html", "utf-8")
		return c.SendString(docsPage())
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	api.Register(app, api.Deps{Log: slog.New(slog.DiscardHandler), Keys: e.Services.APIKeys, Tenants: e.Services.Tenants,
		Limiter: e.Services.Limiter, Version: "docs-test", BaseURL: base, Sessions: e.Services.Sessions,
		Messages: e.Services.Messages, Media: e.Services.Media})
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })

	ctx := browsertest.New(t, 60*time.Second)
	var mu sync.Mutex
	var requested []string
	require.NoError(t, chromedp.Do(ctx))
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if r, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, r.Request.URL)
			mu.Unlock()
		}
	}))

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/docs"), chromedp.WaitVisible(chromedp.CSS(`#operations-Account-get-me`))))
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#api-docs`)))
	require.NoError(t, err)
	require.Contains(t, text, "Wagate API")
	require.Contains(t, text, "/me")
	require.Contains(t, text, "Get the key's workspace")
	fallback, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("fallback") !== null`))
	require.NoError(t, err)
	require.False(t, fallback, "the UI replaces the no-JavaScript fallback")
	browsertest.Screenshot(t, ctx, "api-docs")

	// Authorize with the key (React inputs need the native setter and an input event), then run GET /me.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.btn.authorize`)), chromedp.WaitVisible(chromedp.CSS(`.modal-ux input`))))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
		var input = document.querySelector('.modal-ux [data-name="bearer"] input') || document.querySelectorAll('.modal-ux input')[1];
		Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(input, `+"`"+k.Secret+"`"+`);
		input.dispatchEvent(new Event("input", { bubbles: true }));
		return true;
	})()`))
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`Array.from(document.querySelectorAll('.modal-ux .auth-btn-wrapper .authorize')).forEach(function (b) { b.click() }), true`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.modal-ux .close-modal`)),
		chromedp.Click(chromedp.CSS(`#operations-Account-get-me .opblock-summary-control`)),
		chromedp.Click(chromedp.CSS(`#operations-Account-get-me .try-out__btn`)),
		chromedp.Click(chromedp.CSS(`#operations-Account-get-me .btn.execute`)),
		chromedp.WaitVisible(chromedp.CSS(`#operations-Account-get-me .live-responses-table tr.response .response-col_status`)),
	))
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#operations-Account-get-me .live-responses-table tr.response .response-col_status`)))
	require.NoError(t, err)
	require.Equal(t, "200", strings.TrimSpace(status))
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#operations-Account-get-me .live-responses-table tr.response .response-col_description`)))
	require.NoError(t, err)
	require.Contains(t, body, "Alpha Corp")
	browsertest.Screenshot(t, ctx, "api-docs-try-it")

	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, requested, base+api.OpenAPIPath)
	for _, u := range requested {
		require.True(t, strings.HasPrefix(u, base+"/") || strings.HasPrefix(u, "data:"), "the docs UI asked another origin for %s", u)
	}
}
