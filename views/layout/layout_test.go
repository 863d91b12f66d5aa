package layout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/views/layout"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, c.Render(context.Background(), &buf))
	doc, err := goquery.NewDocumentFromReader(&buf)
	require.NoError(t, err)
	return doc
}

func TestBase(t *testing.T) {
	t.Parallel()

	t.Run("Head", func(t *testing.T) {
		t.Parallel()
		doc := render(t, layout.Base(layout.Head{Title: "Sessions", Description: "d"}))
		require.Equal(t, "Sessions · Wagate", doc.Find("title").Text())
		require.Equal(t, "d", doc.Find(`meta[name="description"]`).AttrOr("content", ""))

		var cfg struct {
			ResponseHandling []struct {
				Code  string `json:"code"`
				Swap  bool   `json:"swap"`
				Error bool   `json:"error"`
			} `json:"responseHandling"`
		}
		raw := doc.Find(`meta[name="htmx-config"]`).AttrOr("content", "")
		require.NoError(t, json.Unmarshal([]byte(raw), &cfg))
		require.Len(t, cfg.ResponseHandling, 4)
		require.Equal(t, "422", cfg.ResponseHandling[2].Code)
		require.True(t, cfg.ResponseHandling[2].Swap)

		for _, src := range []string{"/static/js/htmx.min.js", "/static/js/htmx-ext-sse.js"} {
			s := doc.Find(`script[src^="` + src + `"]`)
			require.Equal(t, 1, s.Length(), src)
			_, deferred := s.Attr("defer")
			require.True(t, deferred, src)
		}
		require.Equal(t, 1, doc.Find(`link[rel="stylesheet"][href^="/static/css/bulma.min.css"]`).Length())
		require.Equal(t, 1, doc.Find(`link[rel="stylesheet"][href^="/static/css/app.css"]`).Length())
	})

	t.Run("NoCSRFToken", func(t *testing.T) {
		t.Parallel()
		doc := render(t, layout.Base(layout.Head{}))
		require.Equal(t, "Wagate", doc.Find("title").Text())
		require.Zero(t, doc.Find(`meta[name="csrf-token"]`).Length())
		_, ok := doc.Find("body").Attr("hx-headers")
		require.False(t, ok)
	})

	t.Run("CSRFTokenIsEscaped", func(t *testing.T) {
		t.Parallel()
		token := `a"b<c>&'d`
		doc := render(t, layout.Base(layout.Head{CSRFToken: token}))
		require.Equal(t, token, doc.Find(`meta[name="csrf-token"]`).AttrOr("content", ""))
		var headers map[string]string
		require.NoError(t, json.Unmarshal([]byte(doc.Find("body").AttrOr("hx-headers", "")), &headers))
		require.Equal(t, map[string]string{"X-CSRF-Token": token}, headers)
	})
}

func TestErrorPage(t *testing.T) {
	t.Parallel()

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		doc := render(t, layout.ErrorPage(layout.ErrorPageModel{Status: 404, RequestID: "req-1"}))
		require.Equal(t, "404", doc.Find(`[data-testid="error-status"]`).Text())
		require.Equal(t, "Not Found", doc.Find(`[data-testid="error-title"]`).Text())
		require.NotEmpty(t, doc.Find(`[data-testid="error-detail"]`).Text())
		require.Equal(t, "req-1", doc.Find(`[data-testid="error-request-id"]`).Text())
		require.Equal(t, "/", doc.Find(`[data-testid="error-home"]`).AttrOr("href", ""))
		require.Equal(t, "Not Found · Wagate", doc.Find("title").Text())
	})

	t.Run("CustomTextNoRequestID", func(t *testing.T) {
		t.Parallel()
		doc := render(t, layout.ErrorPage(layout.ErrorPageModel{Status: 500, Title: "Oops", Detail: "Try later."}))
		require.Equal(t, "Oops", doc.Find(`[data-testid="error-title"]`).Text())
		require.Equal(t, "Try later.", doc.Find(`[data-testid="error-detail"]`).Text())
		require.Zero(t, doc.Find(`[data-testid="error-request-id"]`).Length())
	})
}
