// Package simulator is the stand-in WhatsApp driver (WA_DRIVER=simulator) for tests and demos. It
// behaves like WhatsApp as seen through whatsmeow: QR codes that rotate and time out, phone pairing
// codes, sends acknowledged and then delivered and read, numbers that are not on WhatsApp, inbound
// messages and media, drops, log-outs, temporary bans, and a second connection of a session
// replacing the first.
//
// Its "server side" lives in Postgres tables of its own (sim_*, db/migrations/00003_simulator.sql),
// shared by every process on the database, so the test hooks (Scan, EnterCode, Inject, FailNext,
// Freeze, …) work from any process and a Redis flush cannot erase it. Drivers learn what WhatsApp did
// by polling their own rows every Options.PollInterval. Every logged-in connection is recorded with
// its holder's lease counter, heartbeats and how it ended, so tests can prove invariant 3.
//
// It imports no WhatsApp library and no pgx (only internal/store); it is never used in production.
package simulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// Options tune the simulator. Zero durations take the defaults below, except DeliveredAfter and
// ReadAfter, where zero means no such receipt.
type Options struct {
	// Instance names this process on the connections it opens (e.g. the cluster instance id).
	Instance string
	// PollInterval is how often a driver looks at its rows (connection ended or frozen, inbox due,
	// pairing confirmed). Default 150 ms.
	PollInterval time.Duration
	// HeartbeatInterval is how often a live connection heartbeats. Default 1 s.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how old a live connection's heartbeat may be before the next login records it
	// as "heartbeat_lost" instead of "replaced". Default 5 s; keep it shorter than the lease TTL.
	HeartbeatTimeout time.Duration
	// QRFirst is how long the first QR code is valid (whatsmeow: 60 s), QRNext each later one (20 s),
	// QRCodes how many codes one pairing shows (6: 160 s in all) before PairTimeout.
	QRFirst time.Duration
	QRNext  time.Duration
	QRCodes int
	// PairCodeWindow is how long a phone pairing code can be entered. Default 160 s.
	PairCodeWindow time.Duration
	// DeliveredAfter and ReadAfter are the delays, after a send, of its delivered and read receipts;
	// zero means the receipt never comes.
	DeliveredAfter time.Duration
	ReadAfter      time.Duration
	// RedeliverAfter is how long an inbound event whose handler failed waits before it is delivered
	// again. Default 1 s.
	RedeliverAfter time.Duration
	// MaxMediaBytes is the largest media file WhatsApp accepts. Default 100 MiB.
	MaxMediaBytes int64
	// SendTimeout is how long a send on a silently dead (frozen) link hangs before it fails, like
	// whatsmeow's 75 s wait for the server's ack. Default 75 s.
	SendTimeout time.Duration
	// Logger gets the simulator's own troubles (database errors in its loops). Default: discard.
	Logger *slog.Logger
}

// DefaultOptions are the settings for a demo: receipts arrive after 1 s and 3 s.
func DefaultOptions() Options {
	return Options{DeliveredAfter: time.Second, ReadAfter: 3 * time.Second}
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollInterval, 150*time.Millisecond)
	def(&o.HeartbeatInterval, time.Second)
	def(&o.HeartbeatTimeout, 5*time.Second)
	def(&o.QRFirst, 60*time.Second)
	def(&o.QRNext, 20*time.Second)
	def(&o.PairCodeWindow, 160*time.Second)
	def(&o.RedeliverAfter, time.Second)
	def(&o.SendTimeout, 75*time.Second)
	if o.QRCodes <= 0 {
		o.QRCodes = 6
	}
	if o.MaxMediaBytes <= 0 {
		o.MaxMediaBytes = 100 << 20
	}
	if o.DeliveredAfter < 0 {
		o.DeliveredAfter = 0
	}
	if o.ReadAfter < 0 {
		o.ReadAfter = 0
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// QRWindow is how long a QR pairing lasts before PairTimeout with these options.
func (o Options) QRWindow() time.Duration {
	o = o.withDefaults()
	return o.QRFirst + time.Duration(o.QRCodes-1)*o.QRNext
}

// Connector opens simulator Drivers on a database holding the simulator's tables. Its hooks act on
// WhatsApp's side and work across processes, except SetNetworkDown, which is this process's network.
type Connector struct {
	db      store.DB
	q       *store.Queries
	opts    Options
	process string // this Connector's id on the connections it opens

	mu     sync.Mutex
	down   bool
	downCh chan struct{} // closed when the network goes down; a fresh one when it is back
}

var _ whatsapp.Connector = (*Connector)(nil)

// NewConnector returns a Connector on db.
func NewConnector(db store.DB, opts Options) *Connector {
	return &Connector{db: db, q: store.New(db), opts: opts.withDefaults(), process: uuid.NewString(),
		downCh: make(chan struct{})}
}

// Name is "simulator".
func (c *Connector) Name() string { return "simulator" }

// Options returns the options in effect (defaults filled in).
func (c *Connector) Options() Options { return c.opts }

// Open prepares a Driver for ref without touching WhatsApp.
func (c *Connector) Open(_ context.Context, ref whatsapp.SessionRef, on whatsapp.Handler) (whatsapp.Driver, error) {
	if ref.ID == uuid.Nil {
		return nil, errors.New("simulator: open: session id is required")
	}
	if on == nil {
		return nil, errors.New("simulator: open: handler is required")
	}
	return newDriver(c, ref, on), nil
}

// Delete wipes ref's device keys, connected or not: a later Connect with the old device fails with
// ErrNotPaired and the session must pair again. A live connection ends as logged_out (its holder gets
// LoggedOut). Deleting a session that was never paired is not an error.
func (c *Connector) Delete(ctx context.Context, ref whatsapp.SessionRef) error {
	err := store.WithTx(ctx, c.db, func(q *store.Queries) error {
		if _, err := q.SimAccountGetForUpdate(ctx, ref.ID); err != nil {
			if store.IsNotFound(err) {
				return nil
			}
			return err
		}
		if _, err := q.SimAccountSetState(ctx, store.SimAccountSetStateParams{
			SessionID: ref.ID, State: stateDeleted, LogoutReason: "",
		}); err != nil {
			return err
		}
		if _, err := q.SimConnectionEndLive(ctx, store.SimConnectionEndLiveParams{
			SessionID: ref.ID, EndReason: ptr(reasonLoggedOut), EndDetail: "device deleted",
		}); err != nil {
			return err
		}
		if err := q.SimPairingDeleteBySession(ctx, ref.ID); err != nil {
			return err
		}
		return q.SimInboxDeleteBySession(ctx, ref.ID)
	})
	if err != nil {
		return fmt.Errorf("simulator: delete session %s: %w", ref.ID, err)
	}
	return nil
}

// SetNetworkDown cuts (true) or restores (false) this process's link to WhatsApp. While it is down,
// Connect and Pair fail with whatsapp.ErrConnect, and live links drop with a Disconnected event;
// WhatsApp does not see them close, so their connections end as heartbeat_lost later.
func (c *Connector) SetNetworkDown(down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case down && !c.down:
		c.down = true
		close(c.downCh)
	case !down && c.down:
		c.down = false
		c.downCh = make(chan struct{})
	}
}

// netWatch returns a channel that is closed once the network is down (already closed while it is).
func (c *Connector) netWatch() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.downCh
}

func (c *Connector) isDown() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.down
}

func (c *Connector) dialErr() error {
	if c.isDown() {
		return fmt.Errorf("simulator: dial WhatsApp: network is down: %w", whatsapp.ErrConnect)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
