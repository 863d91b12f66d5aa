package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/web/webtest"
)

// connectedSession creates a session for the tenant and pairs it on the simulator, through the host.
func connectedSession(t *testing.T, e *webtest.Env, f tenantFixture, name, phone string) session.Session {
	t.Helper()
	ctx := context.Background()
	s, err := e.Services.Sessions.Create(ctx, f.id(), name)
	require.NoError(t, err)
	_, err = e.Services.Sessions.RequestPair(ctx, f.id(), s.ID, "")
	require.NoError(t, err)
	waitStatus(t, e, f, s, session.StatusPairing, func(s session.Session) bool { return s.QR != "" })
	require.NoError(t, e.Simulator.Scan(ctx, s.ID, phone))
	return waitStatus(t, e, f, s, session.StatusConnected, nil)
}

func waitStatus(t *testing.T, e *webtest.Env, f tenantFixture, s session.Session, status string, more func(session.Session) bool) session.Session {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := e.Services.Sessions.Get(context.Background(), f.id(), s.ID)
		require.NoError(t, err)
		if got.Status == status && (more == nil || more(got)) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s: status %s (%s), want %s", s.Name, got.Status, got.StatusReason, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSessions_ListAndForceDisconnect(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, &webtest.Opts{SessionHost: true})
	c := setUpConsole(t, e, "ops@example.com")
	acme := newTenant(t, e, "Acme Bakery", "owner@acme.example")
	zen := newTenant(t, e, "Zen Florist", "owner@zen.example")
	s := connectedSession(t, e, acme, "Front desk", "4915111111111")
	_, err := e.Services.Sessions.Create(context.Background(), zen.id(), "Zen line")
	require.NoError(t, err)

	r := c.get(t, "/admin/sessions")
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.Equal(t, 2, r.Doc(t).Find(`[data-testid="session-row"]`).Length(), "every tenant's sessions")
	require.Equal(t, "2 sessions", r.TestID(t, "session-total"))

	for _, q := range []string{"acme", "+49 151 111"} {
		r = c.get(t, "/admin/sessions?"+url.Values{"q": {q}}.Encode())
		rows := r.Doc(t).Find(`[data-testid="session-row"]`)
		require.Equal(t, 1, rows.Length(), "search %q", q)
		id, _ := rows.Attr("data-id")
		require.Equal(t, s.ID.String(), id)
		require.Equal(t, "Acme Bakery", r.TestID(t, "session-tenant"))
		require.Equal(t, "connected", attrOf(t, r, "session-row", "data-status"))
		holder := attrOf(t, r, "session-holder", "title")
		require.NotEmpty(t, holder, "the holding instance is shown")
	}

	r = c.post("/admin/sessions/"+s.ID.String()+"/disconnect", url.Values{"next": {"/admin/sessions?q=acme"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
	require.Equal(t, "/admin/sessions?q=acme", r.Header.Get("Location"))
	got := waitStatus(t, e, acme, s, session.StatusParked, nil)
	require.Equal(t, session.ReasonParkedByOperator, got.StatusReason)
	requireAudit(t, e, audit.Filter{}, session.ActionParked, "ops@example.com")

	// It stays parked: the holder does not reconnect it by itself.
	time.Sleep(1500 * time.Millisecond)
	got, err = e.Services.Sessions.Get(context.Background(), acme.id(), s.ID)
	require.NoError(t, err)
	require.Equal(t, session.StatusParked, got.Status)

	// The tenant reconnects it.
	_, err = e.Services.Sessions.Reconnect(context.Background(), acme.id(), s.ID)
	require.NoError(t, err)
	waitStatus(t, e, acme, s, session.StatusConnected, nil)

	require.Equal(t, http.StatusNotFound, c.post("/admin/sessions/0196a000-0000-7000-8000-000000000000/disconnect", nil).StatusCode)
}

func attrOf(t *testing.T, r *webtest.Response, id, name string) string {
	t.Helper()
	v, _ := r.Doc(t).Find(`[data-testid="` + id + `"]`).First().Attr(name)
	return v
}
