package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/webtest"
)

// TestPortal_TenantIsolation: tenant A's owner, using tenant B's ids in every portal route that
// takes one, gets 404 (as for an id that does not exist) and changes nothing of B's; A's lists
// never show B's rows.
func TestPortal_TenantIsolation(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	ctx := context.Background()
	a := newWorkspace(t, e, "Alpha")
	bw := newWorkspace(t, e, "Bravo")
	bKey, err := e.Services.APIKeys.Create(ctx, bw.owner, auth.CreateKeyInput{Name: "Bravo key", Scopes: auth.Scopes})
	require.NoError(t, err)
	bInv, err := e.Services.Users.Invite(ctx, bw.owner, "bravo-invitee@example.com", auth.RoleAdmin)
	require.NoError(t, err)
	bAdmin := addMember(t, e, bw.owner, "bravo-admin@example.com", "Bravo Admin", auth.RoleAdmin, "bravo admin password")
	_, err = e.Services.APIKeys.Create(ctx, a.owner, auth.CreateKeyInput{Name: "Alpha key", Scopes: auth.Scopes})
	require.NoError(t, err)
	before := snapshot(t, e, bw.owner.TenantID)

	browser := logIn(t, e, a.owner.Email, a.ownerPW)
	// B's logins, to prove none of them ends.
	bOwner := logIn(t, e, bw.owner.Email, bw.ownerPW)

	member, admin, owner := bw.member.ID.String(), bAdmin.ID.String(), bw.owner.ID.String()
	key, inv := bKey.Key.ID.String(), bInv.Invitation.ID.String()
	requests := []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodPost, "/app/team/members/" + member + "/role", url.Values{"role": {"owner"}}},
		{http.MethodPost, "/app/team/members/" + admin + "/role", url.Values{"role": {"member"}}},
		{http.MethodPost, "/app/team/members/" + owner + "/role", url.Values{"role": {"member"}}},
		{http.MethodGet, "/app/team/members/" + member + "/remove", nil},
		{http.MethodGet, "/app/team/members/" + owner + "/remove", nil},
		{http.MethodPost, "/app/team/members/" + member + "/remove", nil},
		{http.MethodPost, "/app/team/members/" + owner + "/remove", nil},
		{http.MethodPost, "/app/team/members/" + member + "/reset-link", nil},
		{http.MethodPost, "/app/team/members/" + admin + "/reset-link", nil},
		{http.MethodPost, "/app/team/invitations/" + inv + "/revoke", nil},
		{http.MethodGet, "/app/keys/" + key + "/revoke", nil},
		{http.MethodPost, "/app/keys/" + key + "/revoke", nil},
	}
	for _, rq := range requests {
		t.Run(rq.method+rq.path, func(t *testing.T) {
			var r *webtest.Response
			if rq.method == http.MethodGet {
				r = browser.Get(rq.path)
			} else {
				r = browser.Post(rq.path, rq.form)
			}
			requireStatus(t, http.StatusNotFound, r)
			require.Equal(t, "404", r.TestID(t, "error-status"))
			for _, s := range fingerprints(bw, bKey.Key.Prefix, bInv.Link) {
				require.NotContains(t, r.Body, s)
			}
			// The same answer as for an id that exists nowhere.
			fake := strings.NewReplacer(member, uuid.NewString(), admin, uuid.NewString(), owner, uuid.NewString(),
				key, uuid.NewString(), inv, uuid.NewString()).Replace(rq.path)
			if rq.method == http.MethodGet {
				r = browser.Get(fake)
			} else {
				r = browser.Post(fake, rq.form)
			}
			requireStatus(t, http.StatusNotFound, r)
		})
	}
	require.Equal(t, before, snapshot(t, e, bw.owner.TenantID), "nothing of tenant B changed")
	_, err = e.Services.APIKeys.Authenticate(ctx, bKey.Secret)
	require.NoError(t, err, "B's key still works")
	_, err = e.Services.Users.Invitation(ctx, token(bInv.Link))
	require.NoError(t, err, "B's invitation is still open")
	require.True(t, loggedIn(t, bOwner), "B's owner is still logged in")

	t.Run("ListsShowOnlyOwnRows", func(t *testing.T) {
		for _, p := range []string{"/app", "/app/team", "/app/keys", "/app/audit", "/app/audit?action=member.",
			"/app/audit?action=api_key.", "/app/audit?action=user.", "/app/audit?action=tenant.", "/app/account", "/app/settings", "/app/api-docs"} {
			r := browser.Get(p)
			requireStatus(t, http.StatusOK, r)
			for _, s := range fingerprints(bw, bKey.Key.Prefix, bInv.Link) {
				require.NotContains(t, r.Body, s, "%s shows tenant B's %q", p, s)
			}
		}
		doc := browser.Get("/app/team").Doc(t)
		require.Equal(t, 2, doc.Find(`[data-testid="member-row"]`).Length())
		require.Equal(t, "2", browser.Get("/app").TestID(t, "stat-members-value"))
		require.Equal(t, 1, browser.Get("/app/keys").Doc(t).Find(`[data-testid="key-row"]`).Length())
		// And B sees its own rows, so the fingerprints above would have been found.
		bTeam := bOwner.Get("/app/team").Body
		require.Contains(t, bTeam, bw.member.Email)
		require.Contains(t, bTeam, "bravo-invitee@example.com")
		require.Contains(t, bOwner.Get("/app/keys").Body, bKey.Key.Prefix)
	})
}

// fingerprints are strings only tenant B's data contains.
func fingerprints(w workspace, keyPrefix, invLink string) []string {
	return []string{"Bravo Corp", w.owner.Email, w.member.Email, "bravo-invitee@", "bravo-admin@", keyPrefix, "Bravo key",
		w.owner.TenantID.String(), w.member.ID.String(), token(invLink)}
}

// snapshot is every row of the tenant that an attack could change.
func snapshot(t *testing.T, e *webtest.Env, tenantID uuid.UUID) []string {
	t.Helper()
	rows, err := e.Pool.Query(context.Background(), `
		SELECT 'user '||id||' '||role||' '||email||' '||coalesce(totp_enabled_at::text,'')||' '||password_changed_at FROM users WHERE tenant_id = $1
		UNION ALL SELECT 'key '||id||' '||coalesce(revoked_at::text,'live')||' '||name FROM api_keys WHERE tenant_id = $1
		UNION ALL SELECT 'inv '||id||' '||coalesce(revoked_at::text,'open')||' '||coalesce(accepted_at::text,'') FROM invitations WHERE tenant_id = $1
		UNION ALL SELECT 'reset '||id FROM password_resets WHERE tenant_id = $1
		UNION ALL SELECT 'tenant '||name||' '||status||' '||plan_id||' '||timezone||' '||default_country FROM tenants WHERE id = $1`, tenantID)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	sort.Strings(out)
	return out
}
