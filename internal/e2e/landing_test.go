package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/browsertest"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/proctest"
)

// TestLanding_InBrowser loads the landing page from a real `wagate serve` in headless chromium, checks
// that the stylesheet and scripts took effect, and keeps screenshots (desktop and phone width).
func TestLanding_InBrowser(t *testing.T) {
	p := proctest.Start(t, proctest.Opts{DatabaseURL: dbtest.URL(t), RedisURL: dbtest.RedisURL(t)})
	ctx := browsertest.New(t, 60*time.Second)

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(p.URL+"/")))
	title, err := chromedp.Run(ctx, chromedp.Title())
	require.NoError(t, err)
	require.Contains(t, title, "Wagate")
	hero, err := chromedp.Run(ctx, chromedp.Text(browsertest.TestID("hero-title")))
	require.NoError(t, err)
	require.NotEmpty(t, hero)

	// Bulma loaded: its reset gives body a margin of 0 (a browser's default is 8px), and htmx ran.
	margin, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).marginTop`))
	require.NoError(t, err)
	require.Equal(t, "0px", margin)
	htmxVersion, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.htmx ? htmx.version : ""`))
	require.NoError(t, err)
	require.Regexp(t, `^2\.`, htmxVersion, "htmx 2.x is pinned")

	browsertest.Screenshot(t, ctx, "landing")
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Reload()))
	browsertest.Screenshot(t, ctx, "landing-mobile")
}
