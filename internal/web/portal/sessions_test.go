package portal_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/web/webtest"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

// eventually polls check every 50 ms until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sessionID(t *testing.T, r *webtest.Response) uuid.UUID {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
	loc := r.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, "/app/sessions/"), loc)
	return uuid.MustParse(strings.TrimPrefix(loc, "/app/sessions/"))
}

func TestSessions_PairByQRInThePortal(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, &webtest.Opts{SessionHost: true})
	w := newWorkspace(t, e, "Alpha")
	b := logIn(t, e, "alpha-member@example.com", w.memberPW)

	r := b.Get("/app/sessions")
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.Contains(t, r.TestID(t, "empty-state"), "No sessions yet")
	require.Equal(t, "Link your first number", r.TestID(t, "sessions-empty-create"))
	require.Regexp(t, `^0 of \d+ sessions$`, r.TestID(t, "sessions-usage"))
	require.NotEmpty(t, r.Doc(t).Find(`[data-testid="nav-sessions"]`).Nodes, "Sessions is in the navigation")

	id := sessionID(t, b.Post("/app/sessions", url.Values{"name": {"Sales line"}}))
	page := b.Get("/app/sessions/" + id.String())
	require.Equal(t, http.StatusOK, page.StatusCode)
	require.Equal(t, "new", attr(t, page, "session-status", "data-status"))
	require.NotEmpty(t, page.Doc(t).Find(`[data-testid="pair-qr"]`).Nodes)

	r = b.Post("/app/sessions/"+id.String()+"/pair", nil)
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
	var qr string
	eventually(t, 10*time.Second, "the QR code on the page", func() bool {
		qr = attr(t, b.Get("/app/sessions/"+id.String()), "qr", "data-qr")
		return qr != ""
	})
	page = b.Get("/app/sessions/" + id.String())
	src := attr(t, page, "qr", "src")
	require.True(t, strings.HasPrefix(src, "data:image/png;base64,"), src)
	require.NotEmpty(t, page.Doc(t).Find(`[data-testid="simulate-scan"]`).Nodes, "simulator mode offers the scan button")

	req, _ := http.NewRequest(http.MethodPost, e.URL()+"/app/sessions/"+id.String()+"/simulate-scan",
		strings.NewReader(url.Values{"_csrf": {b.CSRF()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	r = b.Do(req)
	require.Equal(t, http.StatusNoContent, r.StatusCode, r.Body)

	eventually(t, 10*time.Second, "connected on reload", func() bool {
		return attr(t, b.Get("/app/sessions/"+id.String()), "session-status", "data-status") == "connected"
	})
	page = b.Get("/app/sessions/" + id.String())
	require.Regexp(t, `^\+49151\d{8}$`, page.TestID(t, "session-phone"))
	require.NotEqual(t, "no instance right now", page.TestID(t, "session-holder"))
	require.NotEmpty(t, page.Doc(t).Find(`[data-testid="history-item"][data-status="connected"]`).Nodes)
	require.NotEmpty(t, page.Doc(t).Find(`[data-testid="session-reconnect"]`).Nodes)

	list := b.Get("/app/sessions")
	require.Equal(t, "connected", attr(t, list, "session-row", "data-status"))

	// Log out and delete go through confirmation pages.
	r = b.Get("/app/sessions/" + id.String() + "/logout")
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.Contains(t, r.Body, "device keys are wiped")
	r = b.Get("/app/sessions/" + id.String() + "/delete")
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.Contains(t, r.TestID(t, "confirm"), "logged out on WhatsApp first")
	r = b.Post("/app/sessions/"+id.String()+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	require.Equal(t, http.StatusNotFound, b.Get("/app/sessions/"+id.String()).StatusCode)
}

func TestSessions_PlanLimit(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Alpha")
	_, err := e.Pool.Exec(context.Background(), "UPDATE plans SET max_sessions = 2")
	require.NoError(t, err)
	b := logIn(t, e, "alpha-owner@example.com", w.ownerPW)
	sessionID(t, b.Post("/app/sessions", url.Values{"name": {"One"}}))
	require.Equal(t, "1 of 2 sessions", b.Get("/app/sessions").TestID(t, "sessions-usage"))
	require.Contains(t, b.Get("/app").TestID(t, "stat-sessions"), "1 of 2")

	r := b.Post("/app/sessions", url.Values{"name": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
	sessionID(t, b.Post("/app/sessions", url.Values{"name": {"Two"}}))
	r = b.Post("/app/sessions", url.Values{"name": {"Three"}})
	require.Equal(t, http.StatusConflict, r.StatusCode)
	require.Contains(t, r.TestID(t, "session-form-error"), "allows 2")
	require.Equal(t, "2 of 2 sessions", r.TestID(t, "sessions-usage"))
}

// sseEvent is one event of a stream.
type sseEvent struct{ name, data string }

// openStream connects b to the session stream and returns its events; it waits until the stream is
// subscribed (its first comment).
func openStream(t *testing.T, e *webtest.Env, b *webtest.Browser) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.URL()+"/app/sessions/events", nil)
	resp, err := b.Client.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	out := make(chan sseEvent, 64)
	ready := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == ": connected":
				close(ready)
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ") + "\n"
			case line == "" && ev.name != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not start")
	}
	return out
}

func TestSessions_StreamIsTenantScoped(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	wa, wb := newWorkspace(t, e, "Alpha"), newWorkspace(t, e, "Bravo")
	ctx := context.Background()
	sa, err := e.Services.Sessions.Create(ctx, wa.owner.TenantID, "Alpha line")
	require.NoError(t, err)
	sb, err := e.Services.Sessions.Create(ctx, wb.owner.TenantID, "Bravo line")
	require.NoError(t, err)

	b := logIn(t, e, "alpha-owner@example.com", wa.ownerPW)
	events := openStream(t, e, b)
	// The stream opens with the current state of A's sessions.
	first := <-events
	require.Equal(t, "session-row-"+sa.ID.String(), first.name)
	drain := func(d time.Duration) []sseEvent {
		var got []sseEvent
		timeout := time.After(d)
		for {
			select {
			case ev := <-events:
				got = append(got, ev)
			case <-timeout:
				return got
			}
		}
	}
	drain(300 * time.Millisecond)

	_, err = e.Services.Sessions.RequestPair(ctx, wb.owner.TenantID, sb.ID, "")
	require.NoError(t, err)
	for _, ev := range drain(time.Second) {
		t.Errorf("A's stream got %s after a change of B's session", ev.name)
		require.NotContains(t, ev.data, sb.ID.String())
	}

	_, err = e.Services.Sessions.RequestPair(ctx, wa.owner.TenantID, sa.ID, "")
	require.NoError(t, err)
	got := map[string]string{}
	for _, ev := range drain(2 * time.Second) {
		require.NotContains(t, ev.data, sb.ID.String())
		require.NotContains(t, ev.data, "Bravo")
		got[ev.name] = ev.data
	}
	status, ok := got["session-status-"+sa.ID.String()]
	require.True(t, ok, "A's own change arrives as a status fragment")
	require.Contains(t, status, `data-status="pairing"`)
	require.Contains(t, got["session-row-"+sa.ID.String()], `data-status="pairing"`)
	require.Contains(t, got, "session-pair-"+sa.ID.String())
}

func TestSessions_StreamEndsOnShutdown(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Alpha")
	b := logIn(t, e, "alpha-owner@example.com", w.ownerPW)
	events := openStream(t, e, b)
	done := make(chan error, 1)
	go func() { done <- e.Server.Shutdown(10 * time.Second) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("an open SSE stream held up the shutdown")
	}
	for range events { // the stream was closed
	}
}

// attr is attribute name of the first element with data-testid=id ("" when missing).
func attr(t *testing.T, r *webtest.Response, id, name string) string {
	t.Helper()
	v, _ := r.Doc(t).Find(`[data-testid="` + id + `"]`).First().Attr(name)
	return v
}

func TestSessions_QRChangesLive(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, &webtest.Opts{SessionHost: true, Sim: func(o *simulator.Options) {
		o.QRFirst, o.QRNext = time.Second, time.Second
	}})
	w := newWorkspace(t, e, "Alpha")
	b := logIn(t, e, "alpha-owner@example.com", w.ownerPW)
	id := sessionID(t, b.Post("/app/sessions", url.Values{"name": {"Rotating"}}))
	events := openStream(t, e, b)
	require.Equal(t, http.StatusSeeOther, b.Post("/app/sessions/"+id.String()+"/pair", nil).StatusCode)

	qrOf := regexp.MustCompile(`data-qr="([^"]+)"`)
	seen := map[string]bool{}
	timeout := time.After(10 * time.Second)
	for len(seen) < 2 {
		select {
		case ev := <-events:
			if ev.name == "session-pair-"+id.String() {
				if m := qrOf.FindStringSubmatch(ev.data); m != nil {
					seen[m[1]] = true
				}
			}
		case <-timeout:
			t.Fatalf("the pairing panel did not get a new QR code over the stream (saw %d)", len(seen))
		}
	}
}
