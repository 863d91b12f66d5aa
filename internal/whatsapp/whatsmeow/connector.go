// Package whatsmeow is the production whatsapp.Driver, on go.mau.fi/whatsmeow. It is the only package
// that imports whatsmeow: whatsmeow's JIDs, events and protobuf messages become the neutral types of
// package whatsapp in convert.go and never leave this package. Device and Signal keys live in
// whatsmeow's own tables, in the Postgres schema "whatsmeow" (migration 00004), on a *sql.DB of their
// own; nothing else reads them. It must not import the domain packages (session, message…): they
// reach it through the whatsapp.Connector and whatsapp.Driver interfaces, wired in cmd.
package whatsmeow

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/google/uuid"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"

	"github.com/wagate/wagate/internal/whatsapp"
)

// Options configures a Connector. The zero value is production's defaults.
type Options struct {
	// Dial, when set, opens every network connection of every client: the pre-login and the
	// logged-in WhatsApp Web sockets and media transfers (whatsmeow's three HTTP clients), with no
	// proxy. Tests point it at a closed loopback port, so nothing leaves the machine. Nil keeps
	// whatsmeow's transport (which honours HTTPS_PROXY).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// HistorySync lets whatsmeow download the history batches the phone sends after pairing and
	// emit them (as whatsapp.HistorySynced). Off by default (DESIGN.md): the batches are skipped.
	HistorySync bool
	// WAVersion ("2.3000.1031080782") overrides the WhatsApp Web version whatsmeow announces, for
	// when WhatsApp refuses the pinned one (405, client outdated) before the module can be bumped.
	// Empty keeps the pinned version. Process-wide: whatsmeow keeps it in package variables.
	WAVersion string
	// DeviceName is how the phone lists the linked device; "Wagate" when empty. Process-wide.
	DeviceName string
	// LogLevel is the level each session's whatsmeow logging starts at; WARN when nil, because
	// whatsmeow's lower levels name phone numbers. Driver.SetLogLevel changes one session's.
	LogLevel slog.Leveler
	// MaxDBConns caps the device store's own connection pool; 10 when zero.
	MaxDBConns int
	// RetryMessage, when set, finds a message the account sent when a recipient could not decrypt
	// it and asks again (a retry receipt) after whatsmeow's in-memory cache of the last 256 sends
	// lost it (a restart, heavy sending). Media is uploaded again. Nil keeps whatsmeow's default,
	// which answers only from that cache.
	RetryMessage RetryLookup
}

// RetryLookup returns the message a session sent to `to` under id, or nil when it is unknown.
type RetryLookup func(ctx context.Context, session whatsapp.SessionRef, to whatsapp.JID, id whatsapp.MessageID) (*whatsapp.Outgoing, error)

// Connector opens whatsmeow Drivers on one device store. There is one per process.
type Connector struct {
	log       *slog.Logger
	opts      Options
	db        *sql.DB
	container *sqlstore.Container

	mu   sync.Mutex
	open map[uuid.UUID]*Driver // the Driver opened last for each session, for Delete
}

var (
	_ whatsapp.Connector = (*Connector)(nil)
	_ whatsapp.Driver    = (*Driver)(nil)
)

// NewConnector opens the device store in Postgres (databaseURL; its schema "whatsmeow" must exist)
// and brings whatsmeow's tables up to date, under the migrations' advisory lock so that instances
// starting together do not race. Close releases it.
func NewConnector(ctx context.Context, databaseURL string, log *slog.Logger, opts Options) (*Connector, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxDBConns <= 0 {
		opts.MaxDBConns = 10
	}
	if opts.LogLevel == nil {
		opts.LogLevel = slog.LevelWarn
	}
	if opts.DeviceName == "" {
		opts.DeviceName = "Wagate"
	}
	if err := configureProcess(opts); err != nil {
		return nil, err
	}
	level := new(slog.LevelVar)
	level.Set(opts.LogLevel.Level())
	db, container, err := openStore(ctx, databaseURL, opts.MaxDBConns, newWALogger(log, level, "Database"))
	if err != nil {
		return nil, err
	}
	return &Connector{log: log, opts: opts, db: db, container: container, open: map[uuid.UUID]*Driver{}}, nil
}

// Name is "whatsmeow".
func (c *Connector) Name() string { return "whatsmeow" }

// Close closes the device store. Disconnect the Drivers first.
func (c *Connector) Close() error { return c.db.Close() }

// Open loads ref's device (ref.Device empty: a new, unpaired one) and prepares a Driver without
// connecting. When a paired device's keys are gone (logged out, deleted), the Driver opens all the
// same; its Connect fails with whatsapp.ErrNotPaired and Pair links a new device.
func (c *Connector) Open(ctx context.Context, ref whatsapp.SessionRef, on whatsapp.Handler) (whatsapp.Driver, error) {
	d, err := c.OpenDriver(ctx, ref, on)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// OpenDriver is Open with the concrete type, for callers that need Driver.SetLogLevel.
func (c *Connector) OpenDriver(ctx context.Context, ref whatsapp.SessionRef, on whatsapp.Handler) (*Driver, error) {
	if on == nil {
		return nil, fmt.Errorf("whatsmeow: open session %s: no event handler", ref.ID)
	}
	var device *store.Device
	if !ref.Device.IsEmpty() {
		var err error
		device, err = c.container.GetDevice(ctx, jidToWA(ref.Device))
		if err != nil {
			return nil, fmt.Errorf("whatsmeow: load device of session %s: %w", ref.ID, err)
		}
		if device == nil {
			c.log.WarnContext(ctx, "no device keys stored for a paired session; it must pair again", "session_id", ref.ID)
		}
	}
	if device == nil {
		// Nothing is written until pairing saves the device.
		device = c.container.NewDevice()
	}
	d := newDriver(c, ref, on, device)
	c.mu.Lock()
	c.open[ref.ID] = d
	c.mu.Unlock()
	return d, nil
}

// Delete wipes ref's device keys (whatsmeow_device and, by cascade, its Signal sessions, pre-keys,
// contacts…) whether or not a client is open. A client open in this process is disconnected first.
// The LID↔phone-number map is shared by every session of the store and stays. A device that is
// already gone is not an error.
func (c *Connector) Delete(ctx context.Context, ref whatsapp.SessionRef) error {
	c.mu.Lock()
	d := c.open[ref.ID]
	delete(c.open, ref.ID)
	c.mu.Unlock()
	if d != nil {
		d.Disconnect()
		if dev := d.dev(); dev.ID != nil {
			if err := dev.Delete(ctx); err != nil {
				return fmt.Errorf("whatsmeow: delete device of session %s: %w", ref.ID, err)
			}
		}
	}
	if ref.Device.IsEmpty() {
		return nil
	}
	device, err := c.container.GetDevice(ctx, jidToWA(ref.Device))
	if err != nil {
		return fmt.Errorf("whatsmeow: load device of session %s: %w", ref.ID, err)
	}
	if device == nil {
		return nil
	}
	if err := device.Delete(ctx); err != nil {
		return fmt.Errorf("whatsmeow: delete device of session %s: %w", ref.ID, err)
	}
	return nil
}

// httpClient is a client whose every connection goes through dial.
func httpClient(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // a proxy would be dialled through dial too, but the target must be what we see
	t.DialContext = dial
	t.DialTLSContext = nil
	return &http.Client{Transport: t}
}

// processMu guards whatsmeow's process-wide settings (package variables of its store package).
var processMu sync.Mutex

// configureProcess applies the settings whatsmeow keeps process-wide. whatsmeow reads them only
// while connecting, so they are set before any client exists.
func configureProcess(opts Options) error {
	processMu.Lock()
	defer processMu.Unlock()
	if store.DeviceProps.GetOs() != opts.DeviceName {
		store.DeviceProps.Os = &opts.DeviceName
	}
	if opts.WAVersion == "" {
		return nil
	}
	v, err := store.ParseVersion(opts.WAVersion)
	if err != nil {
		return fmt.Errorf("whatsmeow: WhatsApp Web version %q: %w", opts.WAVersion, err)
	}
	store.SetWAVersion(v)
	// The pinned version's SetWAVersion leaves the version sent at login untouched (WHATSAPP.md
	// §10; fixed upstream in a763037b): set it too.
	store.BaseClientPayload.UserAgent.AppVersion = v.ProtoAppVersion()
	return nil
}
