package whatsmeow

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/types"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/whatsapp"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// closedPort is the dialer every test client uses: it records where whatsmeow wanted to go and
// dials 127.0.0.1:1 instead, where nothing listens, so every connection is refused at once and
// nothing ever leaves the machine.
type closedPort struct {
	mu      sync.Mutex
	targets []string
	dialled []string
}

const closedAddr = "127.0.0.1:1"

func (c *closedPort) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c.mu.Lock()
	c.targets = append(c.targets, addr)
	c.dialled = append(c.dialled, closedAddr)
	c.mu.Unlock()
	var d net.Dialer
	return d.DialContext(ctx, "tcp", closedAddr)
}

// seen returns the addresses whatsmeow asked for and the ones actually dialled.
func (c *closedPort) seen() (targets, dialled []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.targets...), append([]string(nil), c.dialled...)
}

type testBundle struct {
	url  string
	conn *Connector
	dial *closedPort
}

// setup opens a Connector on a fresh database of the test's own, with the closed-port dialer.
func setup(t *testing.T) *testBundle {
	t.Helper()
	url := dbtest.URL(t)
	dial := &closedPort{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := NewConnector(ctx, url, quietLog(), Options{Dial: dial.dial})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &testBundle{url: url, conn: c, dial: dial}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// pairedDevice stores a device with made-up keys, as pairing would, and returns its JID.
func pairedDevice(t *testing.T, c *Connector, user string) whatsapp.JID {
	t.Helper()
	ctx := context.Background()
	dev := c.container.NewDevice()
	jid := types.NewADJID(user, 0, 7)
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{
		Details:             []byte("details"),
		AccountSignature:    make([]byte, 64),
		AccountSignatureKey: make([]byte, 32),
		DeviceSignature:     make([]byte, 64),
	}
	dev.Platform = "android"
	require.NoError(t, dev.Save(ctx))
	return jidFromWA(jid)
}

// nopHandler accepts every event.
func nopHandler(context.Context, whatsapp.Event) error { return nil }

// recorder is a Handler that keeps the events and fails when told to.
type recorder struct {
	mu     sync.Mutex
	events []whatsapp.Event
	fail   error
}

func (r *recorder) handle(_ context.Context, e whatsapp.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return r.fail
}

func (r *recorder) all() []whatsapp.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]whatsapp.Event(nil), r.events...)
}

func newRef(device whatsapp.JID) whatsapp.SessionRef {
	return whatsapp.SessionRef{ID: uuid.New(), TenantID: uuid.New(), Device: device, Fence: 1}
}

var errHandler = errors.New("handler failed")
