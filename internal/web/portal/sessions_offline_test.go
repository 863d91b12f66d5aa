package portal_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/webtest"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/whatsmeow"
)

// closedLoopback is the only dialer the whatsmeow driver gets here: it records where whatsmeow
// wanted to go and always dials 127.0.0.1:1, where nothing listens, so nothing leaves the machine.
type closedLoopback struct {
	mu      sync.Mutex
	targets []string
	dialled []string
}

const closedAddr = "127.0.0.1:1"

func (c *closedLoopback) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	c.mu.Lock()
	c.targets = append(c.targets, addr)
	c.dialled = append(c.dialled, closedAddr)
	c.mu.Unlock()
	var d net.Dialer
	return d.DialContext(ctx, "tcp", closedAddr)
}

func (c *closedLoopback) seen() (targets, dialled []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.targets...), append([]string(nil), c.dialled...)
}

// offlineEnv is the app on the whatsmeow driver with no network: every dial ends refused on a
// closed loopback port.
func offlineEnv(t *testing.T) (*webtest.Env, *closedLoopback) {
	t.Helper()
	dial := &closedLoopback{}
	e := webtest.New(t, &webtest.Opts{SessionHost: true, Connector: func(t testing.TB, databaseURL string) whatsapp.Connector {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := whatsmeow.NewConnector(ctx, databaseURL, slog.New(slog.NewTextHandler(io.Discard, nil)),
			whatsmeow.Options{Dial: dial.dial})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}})
	require.Nil(t, e.Simulator, "the app runs on whatsmeow, not the simulator")
	return e, dial
}

// apiDo calls the REST API with a bearer key and decodes the JSON body.
func apiDo(t *testing.T, e *webtest.Env, method, path, key string, body string) (int, string, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL()+path, r)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		require.NoError(t, json.Unmarshal(b, &m), string(b))
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), m
}

// unreachable is what the host says when it cannot reach WhatsApp to pair.
const unreachable = "Could not reach WhatsApp"

// TestSessions_WhatsmeowOffline: with the whatsmeow driver and no network, creating a session and
// asking for a QR code gives a clear, retried error in the portal and the API, and nothing crashes.
func TestSessions_WhatsmeowOffline(t *testing.T) {
	t.Parallel()
	e, dial := offlineEnv(t)
	w := newWorkspace(t, e, "Alpha")
	b := logIn(t, e, "alpha-owner@example.com", w.ownerPW)
	key, err := e.Services.APIKeys.Create(context.Background(), w.owner,
		auth.CreateKeyInput{Name: "offline", Scopes: []string{auth.ScopeRead, auth.ScopeManage}})
	require.NoError(t, err)

	page := b.Get("/app/sessions")
	require.Equal(t, http.StatusOK, page.StatusCode)
	require.Empty(t, page.Doc(t).Find(`[data-testid="simulator-banner"]`).Nodes, "no simulator banner on whatsmeow")

	// The portal: create, ask for a QR code.
	id := sessionID(t, b.Post("/app/sessions", url.Values{"name": {"Offline line"}}))
	r := b.Post("/app/sessions/"+id.String()+"/pair", nil)
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)

	// The API: create, ask for a QR code.
	status, _, created := apiDo(t, e, http.MethodPost, "/api/v1/sessions", key.Secret, `{"name": "Offline API line"}`)
	require.Equal(t, http.StatusCreated, status, created)
	apiID := created["id"].(string)
	status, _, pairing := apiDo(t, e, http.MethodPost, "/api/v1/sessions/"+apiID+"/pair", key.Secret, `{}`)
	require.Equal(t, http.StatusAccepted, status, pairing)

	// The host tries, fails to reach WhatsApp, retries with backoff and, after repeated failures,
	// parks the session, saying why in words.
	for _, sid := range []string{id.String(), apiID} {
		var got map[string]any
		eventually(t, 30*time.Second, "session "+sid+" parked after retries", func() bool {
			_, _, got = apiDo(t, e, http.MethodGet, "/api/v1/sessions/"+sid, key.Secret, "")
			return got["status"] == "parked"
		})
		reason := got["status_reason"].(string)
		require.Contains(t, reason, unreachable, "the API says WhatsApp cannot be reached")
		require.Contains(t, reason, "Stopped after 3 failures", "the API says it retried")
		require.Contains(t, reason, "Start pairing again", "the API says what to do (an unpaired session has no Reconnect)")

		// GET …/qr answers 409 problem+json with that reason.
		status, ctype, p := apiDo(t, e, http.MethodGet, "/api/v1/sessions/"+sid+"/qr", key.Secret, "")
		require.Equal(t, http.StatusConflict, status, p)
		require.Equal(t, "application/problem+json", ctype)
		require.Contains(t, p["detail"], unreachable)
		status, ctype, p = apiDo(t, e, http.MethodGet, "/api/v1/sessions/"+sid+"/qr.png", key.Secret, "")
		require.Equal(t, http.StatusConflict, status, p)
		require.Equal(t, "application/problem+json", ctype)

		// The session page: the reason, and a history of more than one attempt, each saying when it retries.
		page := b.Get("/app/sessions/" + sid)
		require.Equal(t, http.StatusOK, page.StatusCode)
		require.Equal(t, "parked", attr(t, page, "session-status", "data-status"))
		require.Contains(t, page.TestID(t, "session-reason"), unreachable)
		retries := 0
		page.Doc(t).Find(`[data-testid="history-item"]`).Each(func(_ int, s *goquery.Selection) {
			if txt := s.Text(); strings.Contains(txt, unreachable) && strings.Contains(txt, "Retrying in") {
				retries++
			}
		})
		require.GreaterOrEqual(t, retries, 2, "the history shows the retried attempts:\n%s", page.Body)
		require.NotContains(t, page.Body, "Retrying in 0s", "a sub-second backoff is not shown as 0 s")
		require.NotEmpty(t, page.Doc(t).Find(`[data-testid="pair-qr"]`).Nodes, "the page offers to start pairing again")
	}

	// Nothing crashed: the app still serves, and only the closed loopback port was ever dialled.
	require.Equal(t, http.StatusOK, e.NewBrowser().Get("/readyz").StatusCode)
	targets, dialled := dial.seen()
	require.NotEmpty(t, targets, "whatsmeow tried to reach WhatsApp")
	for _, a := range dialled {
		require.Equal(t, closedAddr, a)
	}
	for _, a := range targets {
		require.NotEqual(t, closedAddr, a, "whatsmeow asked for WhatsApp's address (%s), the dialer pinned it", a)
	}
}
