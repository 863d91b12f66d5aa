package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
)

// LeaseConfig times session leases (invariant 3). A holder renews every RenewEvery; a lease it does
// not renew expires TTL after its last renewal; a holder that could not renew stops the session's
// WhatsApp client once the lease is within StopMargin of expiring, so the client is gone before any
// other instance may take the lease. PlaceFresh is how recent a host's heartbeat must be for
// placement to send it sessions; OrphanGrace is how long an orphaned session waits for the instance
// placement chose before any live host takes it (the chosen one may have died since its last heartbeat).
type LeaseConfig struct {
	TTL         time.Duration
	RenewEvery  time.Duration
	StopMargin  time.Duration
	PlaceFresh  time.Duration
	OrphanGrace time.Duration
}

// DefaultLeaseConfig: a dead holder's sessions are free at most 15 s after its last renewal and are
// taken within another RenewEvery (or OrphanGrace when placement first picked a dead instance), well
// inside the 45 s DESIGN.md promises. Five renewals fit in one TTL, so one slow query loses nothing.
func DefaultLeaseConfig() LeaseConfig {
	return LeaseConfig{TTL: 15 * time.Second, RenewEvery: 3 * time.Second, StopMargin: 5 * time.Second,
		PlaceFresh: 12 * time.Second, OrphanGrace: 10 * time.Second}
}

// Validate reports a configuration under which fencing by time cannot hold.
func (c LeaseConfig) Validate() error {
	switch {
	case c.TTL <= 0 || c.RenewEvery <= 0 || c.StopMargin <= 0:
		return fmt.Errorf("lease config: durations must be positive")
	case c.RenewEvery*2 > c.TTL-c.StopMargin:
		return fmt.Errorf("lease config: RenewEvery %s leaves no room for a retry before StopMargin %s of TTL %s", c.RenewEvery, c.StopMargin, c.TTL)
	}
	return nil
}

// Lease is a held lease.
type Lease struct {
	SessionID  uuid.UUID
	InstanceID uuid.UUID
	Fence      int64
	AcquiredAt time.Time
	ExpiresAt  time.Time // by the database's clock
}

// Leases takes, renews and gives up session leases for one instance.
type Leases struct {
	db       store.DB
	instance uuid.UUID
	cfg      LeaseConfig
}

// NewLeases returns the lease keeper of instance.
func NewLeases(db store.DB, instance uuid.UUID, cfg LeaseConfig) *Leases {
	return &Leases{db: db, instance: instance, cfg: cfg}
}

// Instance is the id the leases are taken for.
func (l *Leases) Instance() uuid.UUID { return l.instance }

// Config returns the timing in effect.
func (l *Leases) Config() LeaseConfig { return l.cfg }

// Acquire takes the session's lease when nobody holds it (never leased, released, or expired), with the
// previous fence + 1, and records it in the lease history (closing the previous holder's entry as
// expired at its expiry). ok is false when another instance holds a valid lease.
func (l *Leases) Acquire(ctx context.Context, sessionID uuid.UUID) (lease Lease, ok bool, err error) {
	err = store.WithTx(ctx, l.db, func(q *store.Queries) error {
		prev, err := q.SessionLeaseGetForUpdate(ctx, sessionID)
		hadPrev := err == nil
		if err != nil && !store.IsNotFound(err) {
			return err
		}
		row, err := q.SessionLeaseAcquire(ctx, store.SessionLeaseAcquireParams{
			SessionID: sessionID, InstanceID: l.instance, TtlSeconds: l.cfg.TTL.Seconds(),
		})
		if store.IsNotFound(err) {
			return nil // held by someone else
		} else if err != nil {
			return err
		}
		if hadPrev {
			// A released lease's history is closed already; this closes an expired one.
			end := prev.ExpiresAt
			if err := q.SessionLeaseHistoryEnd(ctx, store.SessionLeaseHistoryEndParams{
				SessionID: sessionID, Fence: prev.Fence, EndedAt: &end, EndReason: ptr("expired"),
			}); err != nil {
				return err
			}
		}
		if err := q.SessionLeaseHistoryInsert(ctx, store.SessionLeaseHistoryInsertParams{
			SessionID: sessionID, Fence: row.Fence, InstanceID: l.instance, AcquiredAt: row.AcquiredAt,
		}); err != nil {
			return err
		}
		lease, ok = leaseOf(row), true
		return nil
	})
	if err != nil {
		return Lease{}, false, fmt.Errorf("acquire lease of session %s: %w", sessionID, err)
	}
	return lease, ok, nil
}

// Renewed is the answer of Renew for one session still held.
type Renewed struct {
	Fence     int64
	ExpiresAt time.Time
	IntentSeq int64 // the session's intent counter (see wa_sessions)
}

// Renew extends the leases this instance holds on sessions. A session missing from the answer, or
// back with another fence than the caller's, is lost: its client must stop at once.
func (l *Leases) Renew(ctx context.Context, sessions []uuid.UUID) (map[uuid.UUID]Renewed, error) {
	out := make(map[uuid.UUID]Renewed, len(sessions))
	if len(sessions) == 0 {
		return out, nil
	}
	rows, err := store.New(l.db).SessionLeaseRenew(ctx, store.SessionLeaseRenewParams{
		TtlSeconds: l.cfg.TTL.Seconds(), InstanceID: l.instance, SessionIds: sessions,
	})
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", err)
	}
	for _, r := range rows {
		out[r.SessionID] = Renewed{Fence: r.Fence, ExpiresAt: r.ExpiresAt, IntentSeq: r.IntentSeq}
	}
	return out, nil
}

// Release gives a lease up at once, after its client was stopped, so another instance may take the
// session without waiting for expiry. Releasing a lease that was lost already is not an error.
func (l *Leases) Release(ctx context.Context, sessionID uuid.UUID, fence int64) error {
	err := store.WithTx(ctx, l.db, func(q *store.Queries) error {
		at, err := q.SessionLeaseRelease(ctx, store.SessionLeaseReleaseParams{
			SessionID: sessionID, InstanceID: l.instance, Fence: fence,
		})
		if store.IsNotFound(err) {
			return nil
		} else if err != nil {
			return err
		}
		return q.SessionLeaseHistoryEnd(ctx, store.SessionLeaseHistoryEndParams{
			SessionID: sessionID, Fence: fence, EndedAt: &at, EndReason: ptr("released"),
		})
	})
	if err != nil {
		return fmt.Errorf("release lease of session %s: %w", sessionID, err)
	}
	return nil
}

// Orphan is a session nobody holds.
type Orphan struct {
	SessionID     uuid.UUID
	TenantID      uuid.UUID
	OrphanedSince time.Time
}

// HostLoad is a live session host and how many sessions it holds.
type HostLoad struct {
	Instance uuid.UUID
	Held     int
}

// Placement lists up to max orphaned sessions and the live, non-draining hosts by load.
func (l *Leases) Placement(ctx context.Context, max int) ([]Orphan, []HostLoad, error) {
	q := store.New(l.db)
	rows, err := q.SessionLeaseOrphans(ctx, int32(max))
	if err != nil {
		return nil, nil, fmt.Errorf("list orphaned sessions: %w", err)
	}
	orphans := make([]Orphan, len(rows))
	for i, r := range rows {
		orphans[i] = Orphan{SessionID: r.ID, TenantID: r.TenantID, OrphanedSince: r.OrphanedSince}
	}
	loads, err := q.SessionLeaseHostLoads(ctx, l.cfg.PlaceFresh.Seconds())
	if err != nil {
		return nil, nil, fmt.Errorf("list host loads: %w", err)
	}
	hosts := make([]HostLoad, len(loads))
	for i, r := range loads {
		hosts[i] = HostLoad{Instance: r.ID, Held: int(r.Held)}
	}
	return orphans, hosts, nil
}

// Place assigns each orphan to the least-loaded host, counting the assignments as it goes (ties go to
// the lowest instance id, so every host computes the same plan), and returns the orphans assigned to
// self. An orphan older than grace goes to self too (when self is a candidate at all): the host chosen
// for it may have died since its last heartbeat.
func Place(orphans []Orphan, hosts []HostLoad, self uuid.UUID, now time.Time, grace time.Duration) []Orphan {
	selfLive := false
	load := make([]HostLoad, len(hosts))
	copy(load, hosts)
	for _, h := range hosts {
		if h.Instance == self {
			selfLive = true
		}
	}
	if !selfLive {
		return nil
	}
	var mine []Orphan
	for _, o := range orphans {
		best := -1
		for i, h := range load {
			if best < 0 || h.Held < load[best].Held || (h.Held == load[best].Held && h.Instance.String() < load[best].Instance.String()) {
				best = i
			}
		}
		load[best].Held++
		if load[best].Instance == self || now.Sub(o.OrphanedSince) > grace {
			mine = append(mine, o)
		}
	}
	return mine
}

// History lists every fence a session was held under, oldest first.
func History(ctx context.Context, db store.DB, sessionID uuid.UUID) ([]store.SessionLeaseHistory, error) {
	rows, err := store.New(db).SessionLeaseHistoryList(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("lease history of session %s: %w", sessionID, err)
	}
	return rows, nil
}

// Draining reports whether the instance was asked to drain.
func Draining(ctx context.Context, db store.DB, instance uuid.UUID) (bool, error) {
	d, err := store.New(db).HostDrainingGet(ctx, instance)
	if store.IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("read draining flag: %w", err)
	}
	return d, nil
}

// SetDraining asks an instance to drain (its host releases its sessions to others) or stops that.
func SetDraining(ctx context.Context, db store.DB, instance uuid.UUID, draining bool) error {
	if _, err := store.New(db).HostDrainingSet(ctx, store.HostDrainingSetParams{ID: instance, Draining: draining}); err != nil {
		return fmt.Errorf("set draining: %w", err)
	}
	return nil
}

func leaseOf(r store.SessionLease) Lease {
	return Lease{SessionID: r.SessionID, InstanceID: r.InstanceID, Fence: r.Fence, AcquiredAt: r.AcquiredAt, ExpiresAt: r.ExpiresAt}
}

func ptr[T any](v T) *T { return &v }
