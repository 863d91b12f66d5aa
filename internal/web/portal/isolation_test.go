package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/message"
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

// pairedSession creates a session linked on the simulator's side (as an earlier pairing leaves it),
// without running a session host: enough for messages to be accepted and listed.
func pairedSession(t *testing.T, e *webtest.Env, tenantID uuid.UUID, name, phone string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	s, err := e.Services.Sessions.Create(ctx, tenantID, name)
	require.NoError(t, err)
	dev, err := e.Simulator.Provision(ctx, s.ID, phone)
	require.NoError(t, err)
	_, err = e.Pool.Exec(ctx, "UPDATE wa_sessions SET device_jid = $2 WHERE id = $1", s.ID, dev.String())
	require.NoError(t, err)
	return s.ID
}

// TestPortal_MessagesTenantIsolation: tenant A's owner, using tenant B's message, session and media
// ids in the message pages, gets exactly what an id that exists nowhere gets (404 in the path, the
// same field error in the form), changes nothing of B's, and never sees B's messages in the log,
// on a session's page or on the live stream.
func TestPortal_MessagesTenantIsolation(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	ctx := context.Background()
	a, bw := newWorkspace(t, e, "Alpha"), newWorkspace(t, e, "Bravo")
	sa := pairedSession(t, e, a.owner.TenantID, "Alpha line", "4915111111501")
	sb := pairedSession(t, e, bw.owner.TenantID, "Bravo line", "4915111111502")
	later := time.Now().Add(time.Hour)
	send := func(tenantID, sessionID uuid.UUID, text string, mediaID *uuid.UUID) message.Message {
		t.Helper()
		acc, err := e.Services.Messages.Send(ctx, tenantID, message.SendRequest{SessionID: sessionID, To: "+49 151 23456789",
			Text: text, MediaID: mediaID, SendAt: &later}, nil)
		require.NoError(t, err)
		return acc.Message
	}
	am := send(a.owner.TenantID, sa, "Alpha hello", nil)
	bFile, err := e.Services.Media.Upload(ctx, bw.owner.TenantID, "bravo-plan.pdf", strings.NewReader("%PDF-1.4\nBravo\n%%EOF\n"), 0)
	require.NoError(t, err)
	bm := send(bw.owner.TenantID, sb, "Bravo secret text", &bFile.ID)
	bravo := []string{"Bravo", bm.ID.String(), sb.String(), bFile.ID.String(), "bravo-plan", bw.owner.TenantID.String()}
	messages := func() string {
		t.Helper()
		var out []string
		rows, err := e.Pool.Query(ctx, "SELECT id||' '||status||' '||updated_at FROM messages WHERE tenant_id = $1 ORDER BY id", bw.owner.TenantID)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			out = append(out, s)
		}
		return strings.Join(out, "\n")
	}
	before := messages()
	b := logIn(t, e, a.owner.Email, a.ownerPW)
	noBravo := func(t *testing.T, where, body string) {
		t.Helper()
		for _, s := range bravo {
			require.NotContains(t, body, s, "%s shows tenant B's %q", where, s)
		}
	}

	t.Run("IDsInThePath", func(t *testing.T) {
		for _, rq := range []struct{ method, path string }{
			{http.MethodGet, "/app/messages/%s"},
			{http.MethodGet, "/app/messages/%s/cancel"},
			{http.MethodPost, "/app/messages/%s/cancel"},
		} {
			for _, id := range []string{bm.ID.String(), uuid.NewString()} {
				p := fmt.Sprintf(rq.path, id)
				var r *webtest.Response
				if rq.method == http.MethodGet {
					r = b.Get(p)
				} else {
					r = b.Post(p, nil)
				}
				requireStatus(t, http.StatusNotFound, r)
				require.Equal(t, "404", r.TestID(t, "error-status"))
				noBravo(t, rq.method+" "+p, r.Body)
			}
		}
	})

	t.Run("IDsInTheForm", func(t *testing.T) {
		// B's session is refused in the same words as a session that exists nowhere.
		form := url.Values{"session_id": {sb.String()}, "to": {"+49 151 23456789"}, "kind": {"text"}, "text": {"Hijack"}}
		r := postMultipart(t, e, b, "/app/messages", form, nil, false)
		requireStatus(t, http.StatusUnprocessableEntity, r)
		form.Set("session_id", uuid.NewString())
		other := postMultipart(t, e, b, "/app/messages", form, nil, false)
		require.Equal(t, other.TestID(t, "error-session_id"), r.TestID(t, "error-session_id"))
		noBravo(t, "the form", r.Body)
		// B's file is as unknown as no file.
		form = url.Values{"session_id": {sa.String()}, "to": {"+49 151 23456789"}, "kind": {"document"}, "media_id": {bFile.ID.String()}}
		r = postMultipart(t, e, b, "/app/messages", form, nil, false)
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.Equal(t, "Choose a file to send.", r.TestID(t, "error-file"))
		noBravo(t, "the form", r.Body)
	})
	require.Equal(t, before, messages(), "nothing of tenant B changed")

	t.Run("Lists", func(t *testing.T) {
		for _, p := range []string{"/app/messages", "/app/messages?session=" + sb.String(), "/app/messages?number=%2B4915123456789",
			"/app/messages?status=scheduled", "/app/messages/new", "/app/messages/new?session=" + sb.String(),
			"/app/sessions/" + sa.String(), "/app/messages/" + am.ID.String()} {
			r := b.Get(p)
			requireStatus(t, http.StatusOK, r)
			// The page repeats the filters it was asked for (B's session id, typed by A): the rest must not show.
			noBravo(t, p, strings.ReplaceAll(r.Body, sb.String(), "(asked)"))
		}
		require.Len(t, rowIDs(t, b.Get("/app/messages")), 1)
		require.Empty(t, rowIDs(t, b.Get("/app/messages?session="+sb.String())))
		// And B sees its own, so the fingerprints above would have been found.
		bOwner := logIn(t, e, bw.owner.Email, bw.ownerPW)
		require.Contains(t, bOwner.Get("/app/messages").Body, "Bravo secret text")
		require.Contains(t, bOwner.Get("/app/messages/"+bm.ID.String()).Body, "bravo-plan.pdf")
	})

	t.Run("Stream", func(t *testing.T) {
		// Asking for everything since the epoch, and for B's message's page by its id.
		events := openMessageStream(t, e, b, "since=1")
		spy := openMessageStream(t, e, b, "message="+bm.ID.String())
		got := collect(events, 500*time.Millisecond)
		require.NotEmpty(t, got, "A's own message is in the snapshot")
		for _, ev := range append(got, collect(spy, 100*time.Millisecond)...) {
			noBravo(t, "the snapshot's "+ev.name, ev.data)
		}
		// B's changes and new messages never reach A's stream; A's own do.
		_, err := e.Services.Messages.Cancel(ctx, bw.owner.TenantID, bm.ID)
		require.NoError(t, err)
		send(bw.owner.TenantID, sb, "Bravo second secret", nil)
		mine := send(a.owner.TenantID, sa, "Alpha again", nil)
		ev := waitEvent(t, events, 5*time.Second, "message-new", mine.ID.String())
		noBravo(t, ev.name, ev.data)
		for _, ev := range append(collect(events, time.Second), collect(spy, 100*time.Millisecond)...) {
			noBravo(t, ev.name, ev.data)
		}
	})
}
