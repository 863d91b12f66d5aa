package components_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/views/components"
)

func render(t *testing.T, ctx context.Context, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, c.Render(ctx, &buf))
	doc, err := goquery.NewDocumentFromReader(&buf)
	require.NoError(t, err)
	return doc
}

func TestFlash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, wantKind, wantRole, wantClass string
	}{
		{components.FlashSuccess, "success", "status", "is-success"},
		{components.FlashError, "error", "alert", "is-danger"},
		{components.FlashWarning, "warning", "status", "is-warning"},
		{"", "info", "status", "is-info"},
		{"bogus", "info", "status", "is-info"},
	}
	for _, tt := range tests {
		doc := render(t, context.Background(), components.Flash(tt.kind, "Saved <b>"))
		f := doc.Find(`[data-testid="flash"]`)
		require.Equal(t, tt.wantKind, f.AttrOr("data-kind", ""), tt.kind)
		require.Equal(t, tt.wantRole, f.AttrOr("role", ""), tt.kind)
		require.True(t, f.HasClass(tt.wantClass), tt.kind)
		require.Contains(t, f.Text(), "Saved <b>")
	}
}

func TestEmptyState(t *testing.T) {
	t.Parallel()
	action := templ.Raw(`<a data-testid="action" href="/x">Add</a>`)
	doc := render(t, templ.WithChildren(context.Background(), action), components.EmptyState("No sessions", "Link one."))
	e := doc.Find(`[data-testid="empty-state"]`)
	require.Contains(t, e.Text(), "No sessions")
	require.Contains(t, e.Text(), "Link one.")
	require.Equal(t, 1, e.Find(`[data-testid="action"]`).Length())
}

func TestStatusTag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status, label, class string
	}{
		{"connected", "Connected", "is-success"},
		{"queued", "Queued", "is-info"},
		{"paused", "Paused", "is-warning"},
		{"logged_out", "Logged out", "is-danger"},
		{"expired", "Expired", ""},
		{"", "Unknown", ""},
	}
	for _, tt := range tests {
		doc := render(t, context.Background(), components.StatusTag(tt.status))
		tag := doc.Find(`[data-testid="status-tag"]`)
		require.Equal(t, tt.label, tag.Text(), tt.status)
		require.Equal(t, tt.status, tag.AttrOr("data-status", "x"), tt.status)
		require.True(t, tag.HasClass("tag"), tt.status)
		if tt.class != "" {
			require.True(t, tag.HasClass(tt.class), tt.status)
		}
	}
}

func TestIcon(t *testing.T) {
	t.Parallel()
	require.Equal(t, 1, render(t, context.Background(), components.Icon("qr")).Find("svg.wg-icon").Length())
	require.Zero(t, render(t, context.Background(), components.Icon("nope")).Find("svg").Length())
}
