package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// HostConfig tunes the session host. Zero values take the defaults of DefaultHostConfig.
type HostConfig struct {
	// Instance is this process's cluster instance id: leases are taken in its name.
	Instance uuid.UUID
	Lease    cluster.LeaseConfig
	// BackoffMin and BackoffMax bound the exponential backoff (with jitter) between connect attempts.
	BackoffMin time.Duration
	BackoffMax time.Duration
	// ParkAfter failures within ParkWindow park the session until a user's Reconnect. A connection
	// that stayed up StableAfter clears the count.
	ParkAfter   int
	ParkWindow  time.Duration
	StableAfter time.Duration
	// WatchdogEvery is how often connected sessions are checked against their Driver's own state;
	// StaleAfter, when positive, also reconnects a link whose LastActivity is older (0: off, for
	// drivers that report activity only on traffic).
	WatchdogEvery time.Duration
	StaleAfter    time.Duration
	// PairWindow is how long after a pairing request an interrupted pairing is resumed by a new holder.
	PairWindow time.Duration
	// MaxPlace bounds the orphans looked at per placement round.
	MaxPlace int
}

// Inbound receives the traffic events (messages, receipts, reactions, edits, revokes, history) of
// held sessions. Returning nil lets the driver ack the event; an error leaves it unacked, so
// WhatsApp delivers it again (DESIGN.md, Inbound flow).
type Inbound interface {
	Handle(ctx context.Context, h Held, e whatsapp.Event) error
}

// AckAll is the Inbound of a host whose process stores nothing: every event is acknowledged and
// dropped (session tests, tools that only pair).
var AckAll Inbound = ackAll{}

type ackAll struct{}

func (ackAll) Handle(context.Context, Held, whatsapp.Event) error { return nil }

// Registry is what this process holds: each held session's runner and Driver. The host writes it;
// the senders and the inbound side read it (Held, HeldSessions). It is built before both and
// passed to each, so the host, which hands inbound events to the messaging side, and the messaging
// side, which sends through the host's drivers, need not know each other.
type Registry struct {
	mu      sync.Mutex
	runners map[uuid.UUID]*runner
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{runners: map[uuid.UUID]*runner{}} }

// Held reports whether this process holds the session now, and its Driver (for senders).
func (g *Registry) Held(id uuid.UUID) (Held, whatsapp.Driver, bool) {
	r := g.get(id)
	if r == nil || r.stopping.Load() {
		return Held{}, nil, false
	}
	return Held{SessionID: r.id, TenantID: r.tenantID, Fence: r.fence}, r.driver(), true
}

// HeldSessions lists the sessions this process holds now.
func (g *Registry) HeldSessions() []uuid.UUID {
	var ids []uuid.UUID
	for _, r := range g.snapshot() {
		if !r.stopping.Load() {
			ids = append(ids, r.id)
		}
	}
	return ids
}

// Count is how many sessions this process holds (stopping ones included).
func (g *Registry) Count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.runners)
}

func (g *Registry) get(id uuid.UUID) *runner {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.runners[id]
}

func (g *Registry) put(id uuid.UUID, r *runner) {
	g.mu.Lock()
	g.runners[id] = r
	g.mu.Unlock()
}

// drop forgets r unless a newer runner took its place.
func (g *Registry) drop(id uuid.UUID, r *runner) {
	g.mu.Lock()
	if g.runners[id] == r {
		delete(g.runners, id)
	}
	g.mu.Unlock()
}

func (g *Registry) snapshot() []*runner {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*runner, 0, len(g.runners))
	for _, r := range g.runners {
		out = append(out, r)
	}
	return out
}

// DefaultHostConfig: backoff 1 s → 2 min, parked after 5 failures within 10 min, watchdog every 10 s.
func DefaultHostConfig() HostConfig {
	return HostConfig{Lease: cluster.DefaultLeaseConfig(), BackoffMin: time.Second, BackoffMax: 2 * time.Minute,
		ParkAfter: 5, ParkWindow: 10 * time.Minute, StableAfter: time.Minute, WatchdogEvery: 10 * time.Second,
		PairWindow: 3 * time.Minute, MaxPlace: 100}
}

func (c HostConfig) withDefaults() HostConfig {
	d := DefaultHostConfig()
	if c.Lease.TTL == 0 {
		c.Lease = d.Lease
	}
	if c.Lease.PlaceFresh == 0 {
		c.Lease.PlaceFresh = d.Lease.PlaceFresh
	}
	if c.Lease.OrphanGrace == 0 {
		c.Lease.OrphanGrace = d.Lease.OrphanGrace
	}
	def := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.BackoffMin, d.BackoffMin)
	def(&c.BackoffMax, d.BackoffMax)
	def(&c.ParkWindow, d.ParkWindow)
	def(&c.StableAfter, d.StableAfter)
	def(&c.WatchdogEvery, d.WatchdogEvery)
	def(&c.PairWindow, d.PairWindow)
	if c.ParkAfter <= 0 {
		c.ParkAfter = d.ParkAfter
	}
	if c.MaxPlace <= 0 {
		c.MaxPlace = d.MaxPlace
	}
	return c
}

// Held names a session this host holds, for Inbound and senders.
type Held struct {
	SessionID uuid.UUID
	TenantID  uuid.UUID
	Fence     int64
}

// Host is the session host (the `host` role): it leases sessions by the placement rules, holds a
// Driver per held session, and keeps each one in the state its row and its user ask for. Fencing is
// by time (invariant 3): a lease that could not be renewed has its client stopped StopMargin before
// it expires, and a lease is taken only once expired.
type Host struct {
	db     store.DB
	conn   whatsapp.Connector
	bus    *cluster.PubSub
	leases *cluster.Leases
	cfg    HostConfig
	log    *slog.Logger

	reg     *Registry
	inbound Inbound
	kick    chan struct{}

	// Test hooks (in-package tests only): lease renewals and placement fail as if Postgres were unreachable; the fencing
	// guard does nothing (to prove the invariant check catches broken fencing).
	renewBlocked atomic.Bool
	noFenceStop  atomic.Bool
}

// NewHost returns a session host for cfg.Instance that records what it holds in reg and hands
// traffic events to inbound (AckAll when nothing stores them). bus may be nil (then holders notice
// requests only at their next renewal).
func NewHost(db store.DB, conn whatsapp.Connector, bus *cluster.PubSub, reg *Registry, inbound Inbound, cfg HostConfig,
	log *slog.Logger) (*Host, error) {
	cfg = cfg.withDefaults()
	if cfg.Instance == uuid.Nil {
		return nil, errors.New("session host: instance id is required")
	}
	if reg == nil || inbound == nil {
		return nil, errors.New("session host: a registry and an inbound handler are required")
	}
	if err := cfg.Lease.Validate(); err != nil {
		return nil, fmt.Errorf("session host: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Host{db: db, conn: conn, bus: bus, leases: cluster.NewLeases(db, cfg.Instance, cfg.Lease), cfg: cfg,
		log: log.With("component", "session_host"), reg: reg, inbound: inbound, kick: make(chan struct{}, 1)}, nil
}

// Run holds sessions until ctx ends, then stops every client and releases every lease (graceful
// shutdown: other instances take the sessions over at once). Run it once.
func (h *Host) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); h.renewLoop(ctx) }()
	go func() { defer wg.Done(); h.guardLoop(ctx) }()

	var msgs <-chan cluster.Message
	subscribe := func() {
		if h.bus == nil || msgs != nil {
			return
		}
		m, err := h.bus.Subscribe(ctx, intentChannel)
		if err != nil {
			h.log.WarnContext(ctx, "subscribe to session requests; polling only", "err", err)
			return
		}
		msgs = m
	}
	subscribe()
	tick := time.NewTicker(h.cfg.Lease.RenewEvery)
	defer tick.Stop()
	h.round(ctx)
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			subscribe()
			h.round(ctx)
		case <-h.kick:
			h.round(ctx)
		case m, ok := <-msgs:
			if !ok {
				msgs = nil
				continue
			}
			var im intentMsg
			if json.Unmarshal(m.Payload, &im) != nil {
				continue
			}
			if r := h.runner(im.SessionID); r != nil {
				r.poke()
			} else {
				h.round(ctx)
			}
		}
	}
	wg.Wait()
	h.stopAll(true)
}

// round drains the instance when asked to, or else takes the orphans placement gives it.
func (h *Host) round(ctx context.Context) {
	if h.renewBlocked.Load() {
		return // test hook: this host cannot reach Postgres for its leases
	}
	draining, err := cluster.Draining(ctx, h.db, h.cfg.Instance)
	if err != nil {
		h.log.WarnContext(ctx, "read draining flag", "err", err)
		return
	}
	if draining {
		if n := h.stopAll(true); n > 0 {
			h.log.InfoContext(ctx, "draining: released sessions", "count", n)
		}
		return
	}
	orphans, hosts, err := h.leases.Placement(ctx, h.cfg.MaxPlace)
	if err != nil {
		h.log.WarnContext(ctx, "placement", "err", err)
		return
	}
	for _, o := range cluster.Place(orphans, hosts, h.cfg.Instance, time.Now(), h.cfg.Lease.OrphanGrace) {
		if ctx.Err() != nil || h.runner(o.SessionID) != nil {
			continue
		}
		before := time.Now()
		lease, ok, err := h.leases.Acquire(ctx, o.SessionID)
		if err != nil {
			h.log.WarnContext(ctx, "acquire lease", "session_id", o.SessionID, "err", err)
			continue
		}
		if !ok {
			continue
		}
		h.start(o.TenantID, lease, before.Add(h.cfg.Lease.TTL-h.cfg.Lease.StopMargin))
	}
}

func (h *Host) start(tenantID uuid.UUID, lease cluster.Lease, validUntil time.Time) {
	r := newRunner(h, tenantID, lease, validUntil)
	h.reg.put(lease.SessionID, r)
	h.log.Info("session acquired", "session_id", lease.SessionID, "fence", lease.Fence)
	go func() {
		r.run()
		h.reg.drop(lease.SessionID, r)
		if r.release.Load() {
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := h.leases.Release(rctx, lease.SessionID, lease.Fence); err != nil {
				h.log.Warn("release lease", "session_id", lease.SessionID, "err", err)
			}
		}
		close(r.exited)
	}()
}

func (h *Host) runner(id uuid.UUID) *runner { return h.reg.get(id) }

func (h *Host) snapshot() []*runner { return h.reg.snapshot() }

// stopAll stops every runner (release: give the leases up once the clients are stopped) and waits.
func (h *Host) stopAll(release bool) int {
	rs := h.snapshot()
	for _, r := range rs {
		r.stop("host stopping", release)
	}
	for _, r := range rs {
		<-r.exited
	}
	return len(rs)
}

// renewLoop renews every held lease each RenewEvery. A lease missing from the answer was lost: its
// client stops at once. A failed round changes nothing: the guard stops clients whose lease could not
// be renewed in time.
func (h *Host) renewLoop(ctx context.Context) {
	t := time.NewTicker(h.cfg.Lease.RenewEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rs := h.snapshot()
		ids := make([]uuid.UUID, 0, len(rs))
		for _, r := range rs {
			if !r.stopping.Load() {
				ids = append(ids, r.id)
			}
		}
		if len(ids) == 0 || h.renewBlocked.Load() {
			continue
		}
		sent := time.Now()
		rctx, cancel := context.WithTimeout(ctx, h.cfg.Lease.RenewEvery)
		got, err := h.leases.Renew(rctx, ids)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				h.log.WarnContext(ctx, "renew leases", "err", err)
			}
			continue
		}
		for _, r := range rs {
			if r.stopping.Load() {
				continue
			}
			rn, ok := got[r.id]
			if !ok || rn.Fence != r.fence {
				h.log.WarnContext(ctx, "lease lost", "session_id", r.id, "fence", r.fence)
				r.stop("lease lost", false)
				continue
			}
			// The database extended the lease from a time after sent: sent+TTL is a safe lower bound.
			r.setValidUntil(sent.Add(h.cfg.Lease.TTL - h.cfg.Lease.StopMargin))
			if rn.IntentSeq > r.seenSeq.Load() {
				r.poke()
			}
		}
	}
}

// guardLoop stops the client of every session whose lease could not be renewed and is now within
// StopMargin of expiring: fencing by time, since whatsmeow's own writes cannot check a fence.
func (h *Host) guardLoop(ctx context.Context) {
	every := h.cfg.Lease.StopMargin / 10
	if every > 250*time.Millisecond {
		every = 250 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if h.noFenceStop.Load() {
			continue
		}
		now := time.Now()
		for _, r := range h.snapshot() {
			if !r.stopping.Load() && now.After(r.validUntil()) {
				h.log.WarnContext(ctx, "lease not renewed in time: stopping the client", "session_id", r.id, "fence", r.fence)
				r.stop("lease not renewed", false)
			}
		}
	}
}

// Held reports whether this host holds the session now, and its Driver (Registry.Held).
func (h *Host) Held(id uuid.UUID) (Held, whatsapp.Driver, bool) { return h.reg.Held(id) }

// HeldSessions lists the sessions this host holds now.
func (h *Host) HeldSessions() []uuid.UUID { return h.reg.HeldSessions() }

// Count is how many sessions this host holds.
func (h *Host) Count() int { return h.reg.Count() }

// crash ends the host as a dying process would, for tests: its renewals stop and its runners end
// without disconnecting or releasing anything. The caller cuts the simulator's network first, so
// WhatsApp does not hear the links close.
func (h *Host) crash() {
	h.renewBlocked.Store(true)
	h.noFenceStop.Store(true)
	for _, r := range h.snapshot() {
		r.abandon()
	}
}
