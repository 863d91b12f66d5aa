// Package drivertest is the conformance suite every whatsapp.Driver passes (river's
// riverdrivertest idea): Run(t, h) exercises a Connector and its Drivers through the seam only. The
// simulator runs all of it; the whatsmeow driver runs the offline part (no network: connect
// failures, validation, the device store) in CI and the whole of it by hand under -tags walive.
// Test-only: production code never imports it.
package drivertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"math/big"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/whatsapp"
)

// Harness describes a driver to the suite. A nil hook, or a zero value, skips the tests that need
// it, saying why.
type Harness struct {
	// NewConnector returns a Connector on a fresh backend of the test's own (e.g. a new database).
	// Required. Subtests run in parallel, each with its own.
	NewConnector func(t *testing.T) whatsapp.Connector
	// Peer returns a second Connector on c's backend, as another process would have one. Nil: the
	// replacement test opens its second driver on c itself.
	Peer func(t *testing.T, c whatsapp.Connector) whatsapp.Connector
	// Online says the driver reaches a WhatsApp (the simulator; whatsmeow under -tags walive).
	// Offline, only tests that need no network run, and dialing must fail with ErrConnect.
	Online bool
	// NetworkDown cuts c's network, for an online driver (nil skips the network-failure tests).
	NetworkDown func(t *testing.T, c whatsapp.Connector)

	// Provision makes ref's session paired (WhatsApp-side, or only in the device store offline) and
	// returns ref with its Device set.
	Provision func(t *testing.T, c whatsapp.Connector, ref whatsapp.SessionRef, phone string) whatsapp.SessionRef
	// Scan confirms the QR pairing in progress, as the phone scanning the code would.
	Scan func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef, phone string) error
	// EnterCode confirms a phone pairing code, as the user typing it on the phone would.
	EnterCode func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef, code string) error
	// Inject makes WhatsApp deliver e to ref's session (inbound traffic, or LoggedOut/TemporaryBan).
	Inject func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef, e whatsapp.Event) error
	// StoreMedia keeps inbound media bytes WhatsApp-side for an injected message.
	StoreMedia func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef, mime, name string, data []byte) (*whatsapp.IncomingMedia, error)
	// CreateGroup puts ref's account in a new group.
	CreateGroup func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef) (whatsapp.JID, error)
	// SentCount says how many times WhatsApp accepted message id from ref's session.
	SentCount func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef, id whatsapp.MessageID) (int, error)

	// NotOnWhatsApp is a number WhatsApp does not know.
	NotOnWhatsApp string
	// QRCodes, QRFirst and QRNext are the QR rotation the harness configured (whatsmeow: 6, 60 s,
	// 20 s). The rotation and timeout tests run only when the whole window fits in Wait.
	QRCodes int
	QRFirst time.Duration
	QRNext  time.Duration
	// Receipts says sends get delivered and read receipts within Wait.
	Receipts bool
	// MaxMediaBytes is the largest media the driver accepts (0 skips the oversized-media test).
	MaxMediaBytes int64
	// Wait bounds every wait for an event. Default 5 s.
	Wait time.Duration
}

// Run runs the suite. Each subtest is parallel and builds its own Connector.
func Run(t *testing.T, h Harness) {
	t.Helper()
	require.NotNil(t, h.NewConnector, "drivertest: Harness.NewConnector is required")
	if h.Wait <= 0 {
		h.Wait = 5 * time.Second
	}
	s := &suite{h: h}
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		// Offline: no network needed.
		{"Open", s.testOpen},
		{"NotConnected", s.testNotConnected},
		{"PairInvalidPhone", s.testPairInvalidPhone},
		{"PairAlreadyPaired", s.testPairAlreadyPaired},
		{"DeleteNeverPaired", s.testDeleteNeverPaired},
		{"DeleteWipesKeys", s.testDeleteWipesKeys},
		{"ConnectFailsOffline", s.testConnectFailsOffline},
		// Online.
		{"ConnectUnpaired", s.testConnectUnpaired},
		{"PairQR", s.testPairQR},
		{"PairQRTimeout", s.testPairQRTimeout},
		{"PairCode", s.testPairCode},
		{"SendText", s.testSendText},
		{"SendMedia", s.testSendMedia},
		{"SendGroup", s.testSendGroup},
		{"NotOnWhatsApp", s.testNotOnWhatsApp},
		{"Inbound", s.testInbound},
		{"InboundMedia", s.testInboundMedia},
		{"HandlerErrorRedelivers", s.testHandlerErrorRedelivers},
		{"LogoutThenConnect", s.testLogoutThenConnect},
		{"RemoteLogout", s.testRemoteLogout},
		{"TemporaryBan", s.testTemporaryBan},
		{"SecondConnectionReplacesFirst", s.testStreamReplaced},
		{"DisconnectReconnect", s.testDisconnectReconnect},
		{"NetworkDropWhileConnected", s.testNetworkDrop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t)
		})
	}
}

type suite struct{ h Harness }

func (s *suite) online(t *testing.T) {
	t.Helper()
	if !s.h.Online {
		t.Skip("needs a WhatsApp: Harness.Online is false")
	}
}

func need(t *testing.T, ok bool, hook string) {
	t.Helper()
	if !ok {
		t.Skipf("the harness has no %s", hook)
	}
}

// newRef names a new session.
func newRef() whatsapp.SessionRef {
	return whatsapp.SessionRef{ID: uuid.New(), TenantID: uuid.New(), Fence: 1}
}

// Phone returns a random international number that is on WhatsApp by the simulator's rule.
func Phone() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(90_000_000))
	p := "49151" + pad(n.Int64()+10_000_000)
	if p[len(p)-4:] == "0000" {
		p = p[:len(p)-1] + "1"
	}
	return p
}

func pad(n int64) string {
	b := make([]byte, 0, 8)
	for ; n > 0; n /= 10 {
		b = append(b, byte('0'+n%10))
	}
	slices.Reverse(b)
	return string(b)
}

// Recorder collects a driver's events; Fail, when set, decides the handler's answer.
type Recorder struct {
	mu     sync.Mutex
	events []whatsapp.Event
	notify chan struct{}
	fail   func(whatsapp.Event) error
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{notify: make(chan struct{}, 1)} }

// Handle is the whatsapp.Handler.
func (r *Recorder) Handle(_ context.Context, e whatsapp.Event) error {
	r.mu.Lock()
	r.events = append(r.events, e)
	fail := r.fail
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	if fail != nil {
		return fail(e)
	}
	return nil
}

// SetFail sets the handler's answer for later events.
func (r *Recorder) SetFail(f func(whatsapp.Event) error) {
	r.mu.Lock()
	r.fail = f
	r.mu.Unlock()
}

// Events returns what was handled so far.
func (r *Recorder) Events() []whatsapp.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Count returns how many handled events of type T match.
func Count[T whatsapp.Event](r *Recorder, match func(T) bool) int {
	n := 0
	for _, e := range r.Events() {
		if v, ok := e.(T); ok && (match == nil || match(v)) {
			n++
		}
	}
	return n
}

// WaitN waits until at least n events of type T matching match were handled and returns the nth.
func WaitN[T whatsapp.Event](t *testing.T, r *Recorder, wait time.Duration, n int, match func(T) bool) T {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		var found []T
		for _, e := range r.Events() {
			if v, ok := e.(T); ok && (match == nil || match(v)) {
				found = append(found, v)
			}
		}
		if len(found) >= n {
			return found[n-1]
		}
		select {
		case <-r.notify:
		case <-time.After(20 * time.Millisecond):
		case <-deadline.C:
			var zero T
			t.Fatalf("no %d×%T within %s; handled: %#v", n, zero, wait, r.Events())
			return zero
		}
	}
}

// Wait waits for the first handled event of type T matching match.
func Wait[T whatsapp.Event](t *testing.T, r *Recorder, wait time.Duration, match func(T) bool) T {
	t.Helper()
	return WaitN(t, r, wait, 1, match)
}

// open opens a driver for ref on c with a new Recorder; the driver is disconnected when t ends.
func (s *suite) open(t *testing.T, c whatsapp.Connector, ref whatsapp.SessionRef) (whatsapp.Driver, *Recorder) {
	t.Helper()
	r := NewRecorder()
	d, err := c.Open(t.Context(), ref, r.Handle)
	require.NoError(t, err)
	t.Cleanup(d.Disconnect)
	return d, r
}

// connected opens a provisioned session and connects it.
func (s *suite) connected(t *testing.T) (whatsapp.Connector, whatsapp.SessionRef, whatsapp.Driver, *Recorder) {
	t.Helper()
	s.online(t)
	need(t, s.h.Provision != nil, "Provision")
	c := s.h.NewConnector(t)
	ref := s.h.Provision(t, c, newRef(), Phone())
	d, r := s.open(t, c, ref)
	require.NoError(t, d.Connect(t.Context()))
	Wait[whatsapp.Connected](t, r, s.h.Wait, nil)
	require.True(t, d.State().LoggedIn)
	return c, ref, d, r
}

// next reads the next pairing event or fails after wait.
func next(t *testing.T, ch <-chan whatsapp.PairEvent, wait time.Duration) (whatsapp.PairEvent, bool) {
	t.Helper()
	select {
	case e, ok := <-ch:
		return e, ok
	case <-time.After(wait):
		t.Fatalf("no pairing event within %s", wait)
		return whatsapp.PairEvent{}, false
	}
}

func isNotPairedOrLoggedOut(err error) bool {
	return errors.Is(err, whatsapp.ErrNotPaired) || errors.Is(err, whatsapp.ErrLoggedOut)
}

func text(to whatsapp.JID, body string) whatsapp.Outgoing {
	return whatsapp.Outgoing{ID: whatsapp.NewMessageID(), To: to, Kind: whatsapp.KindText, Text: body}
}

func media(data []byte) *whatsapp.Media {
	return &whatsapp.Media{MIME: "image/png", Size: int64(len(data)), Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

var pairCodeRE = regexp.MustCompile(`^[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$`)
