package portal_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestPortal_AuditLog(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Acme")
	for i := range 30 {
		_, err := e.Services.APIKeys.Create(t.Context(), w.owner, auth.CreateKeyInput{Name: fmt.Sprintf("key %02d", i), Scopes: []string{"read"}})
		require.NoError(t, err)
	}
	b := logIn(t, e, w.owner.Email, w.ownerPW)

	ids := func(doc *goquery.Document) []string {
		var out []string
		doc.Find(`[data-testid="audit-row"]`).Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("data-id", "")) })
		return out
	}

	t.Run("NewestFirstInWords", func(t *testing.T) {
		r := b.Get("/app/audit")
		requireStatus(t, http.StatusOK, r)
		doc := r.Doc(t)
		rows := doc.Find(`[data-testid="audit-row"]`)
		require.Equal(t, 25, rows.Length())
		first := rows.First()
		require.Equal(t, "user.login", first.AttrOr("data-action", ""), "the owner's login is the newest entry")
		require.Equal(t, "Logged in", strings.TrimSpace(first.Find(`[data-testid="audit-action-text"]`).Text()))
		require.Equal(t, w.owner.Email, strings.TrimSpace(first.Find(`[data-testid="audit-actor"]`).Text()))
		require.Equal(t, "127.0.0.1", strings.TrimSpace(first.Find(`code`).Text()))
		key := rows.Eq(1)
		require.Equal(t, "api_key.created", key.AttrOr("data-action", ""))
		require.Contains(t, key.Find(`[data-testid="audit-target"]`).Text(), "key 29 (wg_")
		_, ok := first.Find("time").Attr("title")
		require.True(t, ok, "the exact time shows on hover")
	})

	t.Run("CursorPaging", func(t *testing.T) {
		doc := b.Get("/app/audit").Doc(t)
		page1 := ids(doc)
		older := doc.Find(`[data-testid="audit-older"]`).AttrOr("href", "")
		require.Equal(t, "/app/audit?before="+page1[len(page1)-1], older)
		r := b.Get(older)
		requireStatus(t, http.StatusOK, r)
		page2 := ids(r.Doc(t))
		require.NotEmpty(t, page2)
		for _, id := range page2 {
			require.NotContains(t, page1, id, "pages do not overlap")
		}
		require.Equal(t, "/app/audit", r.Doc(t).Find(`[data-testid="audit-newest"]`).AttrOr("href", ""))
		// 1 sign-up + 2 invitation events + 30 keys + 1 login = 34 entries: the second page is the last.
		require.Len(t, page2, 34-25)
		require.Zero(t, r.Doc(t).Find(`[data-testid="audit-older"]`).Length())
	})

	t.Run("Filter", func(t *testing.T) {
		r := b.Get("/app/audit?action=member.")
		doc := r.Doc(t)
		require.Equal(t, "member.", doc.Find(`[data-testid="audit-action"] option[selected]`).AttrOr("value", "-"))
		actions := map[string]bool{}
		doc.Find(`[data-testid="audit-row"]`).Each(func(_ int, s *goquery.Selection) { actions[s.AttrOr("data-action", "")] = true })
		require.Equal(t, map[string]bool{"member.invited": true, "member.joined": true}, actions)

		// htmx swaps the results alone.
		h := htmx(t, b, e, http.MethodGet, "/app/audit?action=api_key.", nil)
		requireStatus(t, http.StatusOK, h)
		hd := h.Doc(t)
		require.Zero(t, hd.Find(`[data-testid="portal-shell"]`).Length())
		require.Equal(t, "audit-results", hd.Find(`[data-testid="audit-results"]`).AttrOr("id", ""))
		require.Equal(t, 25, hd.Find(`[data-testid="audit-row"][data-action="api_key.created"]`).Length())

		// An unknown filter is ignored rather than passed to the query.
		r = b.Get("/app/audit?action=" + url.QueryEscape("%"))
		requireStatus(t, http.StatusOK, r)
		require.Equal(t, 25, r.Doc(t).Find(`[data-testid="audit-row"]`).Length())

		r = b.Get("/app/audit?action=tenant.plan")
		requireStatus(t, http.StatusOK, r)
		require.Equal(t, 25, r.Doc(t).Find(`[data-testid="audit-row"]`).Length(), "only the listed prefixes filter")
	})

	t.Run("Empty", func(t *testing.T) {
		r := b.Get("/app/audit?action=tenant.")
		require.Equal(t, 1, r.Doc(t).Find(`[data-testid="audit-row"][data-action="tenant.signed_up"]`).Length())
		r = b.Get("/app/audit?before=00000000-0000-7000-8000-000000000000")
		requireStatus(t, http.StatusOK, r)
		require.Contains(t, r.TestID(t, "empty-state"), "No matching events")
	})
}
