package home_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/views/home"
)

func html(t *testing.T, p home.Page) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, home.Index(p).Render(context.Background(), &buf))
	return buf.String()
}

func render(t *testing.T, p home.Page) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html(t, p)))
	require.NoError(t, err)
	return doc
}

func TestIndex(t *testing.T) {
	t.Parallel()

	t.Run("ShowsProduct", func(t *testing.T) {
		t.Parallel()
		doc := render(t, home.Page{Version: "v1.2.3"})
		require.Contains(t, doc.Find(`[data-testid="hero-title"]`).Text(), "WhatsApp gateway")
		require.Equal(t, 6, doc.Find(`[data-testid="feature-card"]`).Length())
		require.Contains(t, doc.Find(`[data-testid="footer-version"]`).Text(), "v1.2.3")
		require.Equal(t, "The WhatsApp gateway for teams · Wagate", doc.Find("title").Text())
	})

	t.Run("SignupClosedLinksToNoAccountPages", func(t *testing.T) {
		t.Parallel()
		doc := render(t, home.Page{Version: "dev"})
		require.Zero(t, doc.Find(`a[href="/signup"], a[href="/login"]`).Length())
		require.Equal(t, 1, doc.Find(`[data-testid="signup-soon"]`).Length())
	})

	t.Run("SignupOpenShowsCallsToAction", func(t *testing.T) {
		t.Parallel()
		doc := render(t, home.Page{Version: "dev", SignupOpen: true})
		require.Equal(t, "/signup", doc.Find(`[data-testid="nav-signup"]`).AttrOr("href", ""))
		require.Equal(t, "/login", doc.Find(`[data-testid="nav-login"]`).AttrOr("href", ""))
		require.Zero(t, doc.Find(`[data-testid="signup-soon"]`).Length())
	})

	// The page describes what works today; each feature adds its own words when it lands.
	t.Run("PromisesOnlyWhatExists", func(t *testing.T) {
		t.Parallel()
		for _, open := range []bool{false, true} {
			page := strings.ToLower(html(t, home.Page{Version: "dev", SignupOpen: open}))
			for _, word := range []string{"campaign", "webhook", "schedule", "auto-repl", "autorepl", "dashboard"} {
				require.NotContains(t, page, word)
			}
		}
	})
}
