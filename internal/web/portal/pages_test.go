package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestPortal_PagesRenderForOwner(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Acme")
	b := logIn(t, e, w.owner.Email, w.ownerPW)

	pages := []struct{ path, nav, title string }{
		{"/app", "dashboard", "Welcome back, Acme"},
		{"/app/team", "team", "Team"},
		{"/app/keys", "keys", "API keys"},
		{"/app/audit", "audit", "Audit log"},
		{"/app/account", "account", "Account"},
		{"/app/account/2fa", "account", "Set up two-factor authentication"},
		{"/app/settings", "settings", "Settings"},
		{"/app/api-docs", "api-docs", "API reference"},
	}
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			r := b.Get(p.path)
			requireStatus(t, http.StatusOK, r)
			doc := r.Doc(t)
			require.Equal(t, p.title, r.TestID(t, "page-title"))
			require.Equal(t, 1, doc.Find(`[data-testid="portal-shell"]`).Length())
			require.Equal(t, "page", doc.Find(`[data-testid="nav-`+p.nav+`"]`).AttrOr("aria-current", ""), "active nav item")
			require.Equal(t, "Acme Corp", r.TestID(t, "workspace-name"))
			require.Equal(t, w.owner.Email, r.TestID(t, "user-email"))
			require.Contains(t, r.TestID(t, "simulator-banner"), "nothing reaches WhatsApp")
			// The log-out button posts with the login's CSRF token.
			form := doc.Find(`[data-testid="logout"]`).Closest("form")
			require.Equal(t, "/logout", form.AttrOr("action", ""))
			require.Equal(t, "post", form.AttrOr("method", ""))
			require.NotEmpty(t, form.Find(`input[name="_csrf"]`).AttrOr("value", ""))
			require.Equal(t, form.Find(`input[name="_csrf"]`).AttrOr("value", ""), doc.Find(`meta[name="csrf-token"]`).AttrOr("content", "-"))
			// Owners see every navigation item.
			for _, nav := range []string{"dashboard", "team", "keys", "audit", "api-docs", "settings", "account"} {
				require.Equal(t, 1, doc.Find(`[data-testid="nav-`+nav+`"]`).Length(), nav)
			}
		})
	}

	t.Run("Dashboard", func(t *testing.T) {
		r := b.Get("/app")
		require.Equal(t, "2", r.TestID(t, "stat-members-value"))
		require.Equal(t, "0", r.TestID(t, "stat-keys-value"))
		require.NotEmpty(t, r.TestID(t, "plan-name"))
		for _, l := range []string{"sessions", "messages", "send-rate", "api-rate", "media", "storage"} {
			require.NotEmpty(t, r.TestID(t, "limit-"+l), l)
		}
		doc := r.Doc(t)
		// Limits of features that do not exist yet are not shown.
		require.Zero(t, doc.Find(`[data-testid="limit-webhooks"], [data-testid="limit-campaign"]`).Length())
		main := strings.ToLower(doc.Find("main").Text())
		require.NotContains(t, main, "webhook")
		require.NotContains(t, main, "campaign")
		require.Equal(t, "true", doc.Find(`[data-testid="step-invite"]`).AttrOr("data-done", ""), "a teammate joined")
		require.Equal(t, "false", doc.Find(`[data-testid="step-key"]`).AttrOr("data-done", ""))
		require.Equal(t, "/app/api-docs", doc.Find(`[data-testid="step-docs-link"]`).AttrOr("href", ""))
		require.Equal(t, "active", doc.Find(`[data-testid="workspace-status"] [data-testid="status-tag"]`).AttrOr("data-status", ""))
	})

	t.Run("APIDocs", func(t *testing.T) {
		r := b.Get("/app/api-docs")
		doc := r.Doc(t)
		mount := doc.Find(`#api-docs[data-testid="api-docs"]`)
		require.Equal(t, 1, mount.Length())
		require.Equal(t, "/api/v1/openapi.json", mount.AttrOr("data-openapi-url", ""))
		require.Equal(t, e.URL()+"/api/v1", r.TestID(t, "api-base-url"))
		require.Equal(t, "/app/keys", doc.Find(`[data-testid="docs-keys-link"]`).AttrOr("href", ""))
	})

	t.Run("UnknownPage", func(t *testing.T) {
		requireStatus(t, http.StatusNotFound, b.Get("/app/nothing-here"))
	})
}

func TestPortal_VisitorsGoToLogin(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	b := e.NewBrowser()
	for _, p := range []string{"/app", "/app/team", "/app/keys", "/app/audit", "/app/account", "/app/settings", "/app/api-docs"} {
		r := b.Get(p)
		requireRedirect(t, "/login?next="+url.QueryEscape(p), r)
	}
}

func TestPortal_MembersCannotManage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Acme")
	other := addMember(t, e, w.owner, "other@example.com", "Other Member", auth.RoleMember, "other password 123")
	b := logIn(t, e, w.member.Email, w.memberPW)

	t.Run("NavigationHidesManagerPages", func(t *testing.T) {
		doc := b.Get("/app").Doc(t)
		require.Zero(t, doc.Find(`[data-testid="nav-audit"]`).Length())
		require.Zero(t, doc.Find(`[data-testid="nav-settings"]`).Length())
		require.Equal(t, "/app/team", doc.Find(`[data-testid="step-invite-link"]`).AttrOr("href", ""), "members cannot invite: the step shows the team")
	})

	t.Run("ManagerPagesAre403", func(t *testing.T) {
		requireStatus(t, http.StatusForbidden, b.Get("/app/audit"))
		requireStatus(t, http.StatusForbidden, b.Get("/app/settings"))
		requireStatus(t, http.StatusForbidden, b.Post("/app/settings", url.Values{"name": {"Hijacked"}, "timezone": {"UTC"}, "default_country": {"US"}}))
		r := b.Get("/app/audit")
		require.Equal(t, "403", r.TestID(t, "error-status"))
	})

	t.Run("TeamIsReadOnly", func(t *testing.T) {
		r := b.Get("/app/team")
		requireStatus(t, http.StatusOK, r)
		doc := r.Doc(t)
		require.Equal(t, 3, doc.Find(`[data-testid="member-row"]`).Length())
		require.Zero(t, doc.Find(`[data-testid="invite-form"]`).Length())
		require.Zero(t, doc.Find(`[data-testid="invitation-revoke"]`).Length())
		require.Zero(t, doc.Find(`[data-testid="member-role-form"]`).Length())
		require.Zero(t, doc.Find(`[data-testid="member-reset-form"]`).Length())
		// The only action is leaving, on their own row.
		require.Equal(t, 1, doc.Find(`[data-testid="member-remove"]`).Length())
		require.Equal(t, w.member.Email, doc.Find(`[data-testid="member-remove"]`).Closest(`[data-testid="member-row"]`).AttrOr("data-email", ""))
	})

	t.Run("TeamActionsAre403", func(t *testing.T) {
		requireStatus(t, http.StatusForbidden, b.Post("/app/team/invitations", url.Values{"email": {"x@example.com"}, "role": {"member"}}))
		requireStatus(t, http.StatusForbidden, b.Post("/app/team/members/"+other.ID.String()+"/role", url.Values{"role": {"admin"}}))
		requireStatus(t, http.StatusForbidden, b.Get("/app/team/members/"+other.ID.String()+"/remove"))
		requireStatus(t, http.StatusForbidden, b.Post("/app/team/members/"+other.ID.String()+"/remove", nil))
		requireStatus(t, http.StatusForbidden, b.Post("/app/team/members/"+other.ID.String()+"/reset-link", nil))
		require.Equal(t, auth.RoleMember, current(t, e, other.ID).Role, "nothing changed")
	})

	t.Run("KeysOnlyTheirOwn", func(t *testing.T) {
		ownersKey, err := e.Services.APIKeys.Create(t.Context(), w.owner, auth.CreateKeyInput{Name: "owner key", Scopes: []string{"read"}})
		require.NoError(t, err)
		r := b.Post("/app/keys", url.Values{"name": {"member key"}, "scopes": {"read"}})
		requireStatus(t, http.StatusOK, r)
		mine := value(t, r, "key-secret")
		p, err := e.Services.APIKeys.Authenticate(t.Context(), mine)
		require.NoError(t, err)

		doc := b.Get("/app/keys").Doc(t)
		require.Equal(t, 2, doc.Find(`[data-testid="key-row"]`).Length(), "members see every key of the workspace")
		require.Zero(t, doc.Find(`[data-testid="key-row"][data-id="`+ownersKey.Key.ID.String()+`"] [data-testid="key-revoke"]`).Length())
		require.Equal(t, 1, doc.Find(`[data-testid="key-row"][data-id="`+p.ID.String()+`"] [data-testid="key-revoke"]`).Length())

		requireStatus(t, http.StatusForbidden, b.Get("/app/keys/"+ownersKey.Key.ID.String()+"/revoke"))
		requireStatus(t, http.StatusForbidden, b.Post("/app/keys/"+ownersKey.Key.ID.String()+"/revoke", nil))
		_, err = e.Services.APIKeys.Authenticate(t.Context(), ownersKey.Secret)
		require.NoError(t, err, "the owner's key still works")

		requireStatus(t, http.StatusOK, b.Get("/app/keys/"+p.ID.String()+"/revoke"))
		requireRedirect(t, "/app/keys", b.Post("/app/keys/"+p.ID.String()+"/revoke", nil))
	})
}

func TestPortal_CSRFRequired(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Acme")
	b := logIn(t, e, w.owner.Email, w.ownerPW)
	key, err := e.Services.APIKeys.Create(t.Context(), w.owner, auth.CreateKeyInput{Name: "k", Scopes: []string{"read"}})
	require.NoError(t, err)
	inv, err := e.Services.Users.Invite(t.Context(), w.owner, "new@example.com", auth.RoleMember)
	require.NoError(t, err)

	posts := map[string]url.Values{
		"/app/team/invitations": {"email": {"x@example.com"}, "role": {"member"}},
		"/app/team/invitations/" + inv.Invitation.ID.String() + "/revoke": nil,
		"/app/team/members/" + w.member.ID.String() + "/role":             {"role": {"admin"}},
		"/app/team/members/" + w.member.ID.String() + "/remove":           nil,
		"/app/team/members/" + w.member.ID.String() + "/reset-link":       nil,
		"/app/keys": {"name": {"x"}, "scopes": {"read"}},
		"/app/keys/" + key.Key.ID.String() + "/revoke": nil,
		"/app/account/password":                        {"current_password": {w.ownerPW}, "new_password": {"a new password 1"}, "confirm_password": {"a new password 1"}},
		"/app/account/2fa":                             {"code": {"123456"}},
		"/app/account/2fa/disable":                     {"password": {w.ownerPW}},
		"/app/settings":                                {"name": {"Hijacked"}, "timezone": {"UTC"}, "default_country": {"US"}},
	}
	for path, form := range posts {
		if form == nil {
			form = url.Values{}
		}
		form.Set("_csrf", "forged-token-forged-token-forged-token-forg")
		requireStatus(t, http.StatusForbidden, b.Post(path, form))
		delete(form, "_csrf")
		form.Set("_csrf", "")
		requireStatus(t, http.StatusForbidden, b.Post(path, form))
	}
	require.Equal(t, auth.RoleMember, current(t, e, w.member.ID).Role)
	_, err = e.Services.APIKeys.Authenticate(t.Context(), key.Secret)
	require.NoError(t, err)
	require.True(t, loggedIn(t, b), "the password did not change")
	team, err := e.Services.Users.Team(t.Context(), w.owner.TenantID)
	require.NoError(t, err)
	require.Len(t, team.Invitations, 1)
	require.Len(t, team.Members, 2)
}
