package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/webtest"
)

// send is call with a JSON body.
func send(t *testing.T, base, method, path, secret string, body any) response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, r)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+secret)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func TestSessions_CRUDAndPairing(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, &webtest.Opts{SessionHost: true})
	w := signup(t, e, "Alpha")
	key := newKey(t, e, w, "manager", auth.ScopeRead, auth.ScopeManage).Secret
	reader := newKey(t, e, w, "reader", auth.ScopeRead).Secret

	r := send(t, e.URL(), http.MethodGet, "/api/v1/sessions", key, nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.JSONEq(t, `{"data": [], "next_cursor": ""}`, r.Body)

	send(t, e.URL(), http.MethodPost, "/api/v1/sessions", reader, map[string]any{"name": "Nope"}).requireProblem(t, http.StatusForbidden)
	send(t, e.URL(), http.MethodPost, "/api/v1/sessions", key, map[string]any{"name": ""}).requireProblem(t, http.StatusUnprocessableEntity)

	r = send(t, e.URL(), http.MethodPost, "/api/v1/sessions", key, map[string]any{"name": "Sales line"})
	require.Equal(t, http.StatusCreated, r.Status, r.Body)
	created := r.json(t)
	id := created["id"].(string)
	require.Equal(t, "new", created["status"])
	require.Equal(t, false, created["paired"])

	r = send(t, e.URL(), http.MethodGet, "/api/v1/sessions", reader, nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Len(t, r.json(t)["data"], 1)

	// Whoever scans the QR links their phone to the session: reading it takes the manage scope.
	send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id+"/qr", reader, nil).requireProblem(t, http.StatusForbidden)
	send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id+"/qr.png", reader, nil).requireProblem(t, http.StatusForbidden)
	p := send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id+"/qr", key, nil).requireProblem(t, http.StatusConflict)
	require.Contains(t, p["detail"], "/pair", "a session that is not pairing says how to start")

	r = send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+id+"/pair", key, map[string]any{})
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	require.Equal(t, "pairing", r.json(t)["status"])

	var qr string
	within(t, 10*time.Second, "a QR code", func() bool {
		r := send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id+"/qr", key, nil)
		if r.Status != http.StatusOK {
			return false
		}
		qr, _ = r.json(t)["qr"].(string)
		return qr != ""
	})
	r = send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id+"/qr.png", key, nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Equal(t, "image/png", r.Header.Get("Content-Type"))
	require.True(t, bytes.HasPrefix([]byte(r.Body), []byte("\x89PNG")), "a PNG image")

	require.NoError(t, e.Simulator.ScanQR(context.Background(), qr, "4915112345678"))
	within(t, 10*time.Second, "connected", func() bool {
		r := send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id, reader, nil)
		return r.json(t)["status"] == "connected"
	})
	got := send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id, reader, nil).json(t)
	require.Equal(t, "4915112345678", got["phone"])
	require.Equal(t, true, got["paired"])
	require.NotEmpty(t, got["holder_instance_id"])

	send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+id+"/pairing-code", key, map[string]any{"phone": "+49 151 1"}).
		requireProblem(t, http.StatusUnprocessableEntity)
	send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+id+"/pairing-code", key, map[string]any{"phone": "+49 151 23456789"}).
		requireProblem(t, http.StatusConflict) // paired already

	r = send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+id+"/reconnect", key, nil)
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	within(t, 10*time.Second, "connected again", func() bool {
		return send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id, reader, nil).json(t)["status"] == "connected"
	})
	r = send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+id+"/logout", key, nil)
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	within(t, 10*time.Second, "logged out", func() bool {
		return send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id, reader, nil).json(t)["status"] == "logged_out"
	})

	r = send(t, e.URL(), http.MethodDelete, "/api/v1/sessions/"+id, key, nil)
	require.Equal(t, http.StatusNoContent, r.Status, r.Body)
	send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id, reader, nil).requireProblem(t, http.StatusNotFound)
}

func TestSessions_PairingCode(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, &webtest.Opts{SessionHost: true})
	w := signup(t, e, "Alpha")
	key := newKey(t, e, w, "manager", auth.ScopeRead, auth.ScopeManage).Secret
	r := send(t, e.URL(), http.MethodPost, "/api/v1/sessions", key, map[string]any{"name": "Phone"})
	require.Equal(t, http.StatusCreated, r.Status, r.Body)
	id := r.json(t)["id"].(string)

	r = send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+id+"/pairing-code", key, map[string]any{"phone": "+49 151 23456789"})
	require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, r.Status, r.Body)
	within(t, 10*time.Second, "a pairing code", func() bool {
		return send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+id, key, nil).json(t)["pair_code"] != ""
	})
}

func TestSessions_PlanLimitAndIsolation(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	a, b := signup(t, e, "Alpha"), signup(t, e, "Bravo")
	keyA := newKey(t, e, a, "a", auth.ScopeRead, auth.ScopeManage).Secret
	_, err := e.Pool.Exec(context.Background(), "UPDATE plans SET max_sessions = 1")
	require.NoError(t, err)
	bs, err := e.Services.Sessions.Create(context.Background(), b.tenant, "Bravo line")
	require.NoError(t, err)

	r := send(t, e.URL(), http.MethodPost, "/api/v1/sessions", keyA, map[string]any{"name": "One"})
	require.Equal(t, http.StatusCreated, r.Status, r.Body)
	p := send(t, e.URL(), http.MethodPost, "/api/v1/sessions", keyA, map[string]any{"name": "Two"}).requireProblem(t, http.StatusConflict)
	require.Contains(t, p["detail"], "allows 1")

	list := send(t, e.URL(), http.MethodGet, "/api/v1/sessions", keyA, nil)
	require.NotContains(t, list.Body, bs.ID.String())
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, ""}, {http.MethodGet, "/qr"}, {http.MethodGet, "/qr.png"}, {http.MethodPost, "/pair"},
		{http.MethodPost, "/reconnect"}, {http.MethodPost, "/logout"}, {http.MethodDelete, ""},
	} {
		r := send(t, e.URL(), c.method, "/api/v1/sessions/"+bs.ID.String()+c.path, keyA, nil)
		r.requireProblem(t, http.StatusNotFound)
		require.NotContains(t, r.Body, "Bravo")
	}
	r = send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+bs.ID.String()+"/pairing-code", keyA, map[string]any{"phone": "+49 151 23456789"})
	r.requireProblem(t, http.StatusNotFound)
	got, err := e.Services.Sessions.Get(context.Background(), b.tenant, bs.ID)
	require.NoError(t, err)
	require.Equal(t, "new", got.Status, "B's session is untouched")
}
