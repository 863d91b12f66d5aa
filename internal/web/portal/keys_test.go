package portal_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestPortal_Keys(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Acme")
	b := logIn(t, e, w.owner.Email, w.ownerPW)

	t.Run("EmptyState", func(t *testing.T) {
		r := b.Get("/app/keys")
		require.Contains(t, r.TestID(t, "empty-state"), "No API keys yet")
		doc := r.Doc(t)
		require.Equal(t, 1, doc.Find(`[data-testid="key-scope-read"][checked]`).Length(), "read is ticked by default")
		require.Equal(t, 1, doc.Find(`[data-testid="key-scope-send"][checked]`).Length(), "send is ticked by default")
		require.Zero(t, doc.Find(`[data-testid="key-scope-manage"][checked]`).Length())
		require.NotContains(t, strings.ToLower(doc.Find(`[data-testid="key-form"]`).Text()), "webhook",
			"no scope offers what does not exist")
	})

	var secret, id string
	t.Run("CreateShowsSecretOnce", func(t *testing.T) {
		r := b.Post("/app/keys", url.Values{"name": {"CRM integration"}, "scopes": {"read", "send"}})
		requireStatus(t, http.StatusOK, r)
		secret = value(t, r, "key-secret")
		require.True(t, auth.WellFormedKey(secret), secret)
		require.Contains(t, r.TestID(t, "key-once-warning"), "will not be shown again")
		require.Equal(t, "curl \\\n  -H \"Authorization: Bearer "+secret+"\" \\\n  "+e.URL()+"/api/v1/me", r.TestID(t, "key-curl"))
		require.Equal(t, "key-secret", r.Doc(t).Find(`[data-testid="key-secret-copy"]`).AttrOr("data-copy", ""))

		p, err := e.Services.APIKeys.Authenticate(t.Context(), secret)
		require.NoError(t, err)
		require.Equal(t, w.owner.TenantID, p.TenantID)
		require.Equal(t, []string{"read", "send"}, p.Scopes)
		id = p.ID.String()

		list := b.Get("/app/keys")
		require.NotContains(t, list.Body, secret, "the list never shows the secret")
		require.NotContains(t, list.Body, secret[:20])
		row := list.Doc(t).Find(`[data-testid="key-row"][data-id="` + id + `"]`)
		require.Equal(t, secret[:11]+"…", strings.TrimSpace(row.Find(`[data-testid="key-prefix"]`).Text()))
		require.Equal(t, "CRM integration", strings.TrimSpace(row.Find(`[data-testid="key-name"]`).Text()))
		require.Equal(t, "Never", strings.TrimSpace(row.Find(`[data-testid="key-last-used"]`).Text()))
		require.Contains(t, row.Find(`[data-testid="key-created-by"]`).Text(), w.owner.Email)
		require.Equal(t, 2, row.Find(`[data-testid="key-scope"]`).Length())
		require.Equal(t, "1", list.TestID(t, "keys-count"))
	})

	t.Run("FieldErrors", func(t *testing.T) {
		r := b.Post("/app/keys", url.Values{"name": {"  "}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.NotEmpty(t, r.TestID(t, "error-name"))
		require.NotEmpty(t, r.TestID(t, "error-scopes"))
		require.Zero(t, r.Doc(t).Find(`[data-testid="key-scope-read"][checked]`).Length(), "the form keeps what was chosen")
		require.Equal(t, 1, r.Doc(t).Find(`[data-testid="key-row"]`).Length(), "the list comes back too")

		r = b.Post("/app/keys", url.Values{"name": {"x"}, "scopes": {"read", "root"}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.Contains(t, r.TestID(t, "error-scopes"), "root")
	})

	t.Run("Revoke", func(t *testing.T) {
		r := b.Get("/app/keys/" + id + "/revoke")
		requireStatus(t, http.StatusOK, r)
		require.Contains(t, r.TestID(t, "page-title"), "CRM integration")
		form := r.Doc(t).Find(`[data-testid="revoke-form"]`)
		require.Equal(t, "/app/keys/"+id+"/revoke", form.AttrOr("action", ""))
		_, err := e.Services.APIKeys.Authenticate(t.Context(), secret)
		require.NoError(t, err, "the confirmation page changes nothing")

		requireRedirect(t, "/app/keys", b.Post("/app/keys/"+id+"/revoke", nil))
		fresh := auth.NewAPIKeys(e.Pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
		_, err = fresh.Authenticate(t.Context(), secret)
		require.ErrorIs(t, err, auth.ErrInvalidKey, "another instance refuses it")
		_, err = e.Services.APIKeys.Authenticate(t.Context(), secret)
		require.ErrorIs(t, err, auth.ErrInvalidKey, "this instance refuses it")

		list := b.Get("/app/keys")
		require.Contains(t, list.TestID(t, "flash"), "revoked")
		row := list.Doc(t).Find(`[data-testid="key-row"][data-id="` + id + `"]`)
		require.Equal(t, "true", row.AttrOr("data-revoked", ""))
		require.Zero(t, row.Find(`[data-testid="key-revoke"]`).Length())
		require.Equal(t, "0", list.TestID(t, "keys-count"))

		// Revoked keys sort below live ones.
		requireStatus(t, http.StatusOK, b.Post("/app/keys", url.Values{"name": {"Second"}, "scopes": {"read"}}))
		rows := b.Get("/app/keys").Doc(t).Find(`[data-testid="key-row"]`)
		require.Equal(t, "false", rows.First().AttrOr("data-revoked", ""))
		require.Equal(t, "true", rows.Last().AttrOr("data-revoked", ""))

		// Asking again: the confirmation page says it is done already.
		requireRedirect(t, "/app/keys", b.Get("/app/keys/"+id+"/revoke"))
	})
}
