// Package outbox reads the events table, the outbox every status change and inbound message writes
// into in the transaction of the change, and feeds it to live readers: Feed fans new events out to
// each tenant's subscribers (the portal's SSE streams); webhook delivery will read the same table.
// It only reads events; it must not import web, worker or transport libraries.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
)

// Event is one row of the outbox.
type Event struct {
	ID        int64
	TenantID  uuid.UUID
	SessionID *uuid.UUID
	MessageID *uuid.UUID
	Type      string // message.status, message.received, message.updated
	Status    string
	Payload   json.RawMessage
	CreatedAt time.Time
}

const (
	// DefaultEvery is how often a feed polls when NewFeed is given no interval.
	DefaultEvery = 200 * time.Millisecond
	// GapHold is how long the feed's cursor waits below a missing id. Identity values are taken at
	// insert but become visible at commit, so id 6 may commit after id 7 was read; a missing id is
	// waited for this long (while what was read is delivered at once) and then given up as rolled back.
	GapHold = 2 * time.Second
	// SubscriberBuffer is how many events a subscriber may fall behind before it loses some.
	SubscriberBuffer = 256
	// slowGrace is how long delivery waits for a subscriber with a full buffer, once per episode.
	slowGrace = 20 * time.Millisecond
	// pageSize is how many rows one query reads; a poll reads pages until it is caught up.
	pageSize = 500
)

// Feed polls the events table and hands each new event, once, to the subscribers of its tenant. It
// starts at the newest event when Run starts: there is no replay of history, which the caller reads
// from Postgres (the feed only says what changed since).
//
// Slow subscribers lose events instead of slowing the feed for everyone: each has a buffer of
// SubscriberBuffer events; when it is full the feed waits up to 20 ms for room (a reader that keeps
// up may be outrun by one burst), then drops that subscriber's events, without waiting again, until
// its buffer is half empty. Drops are logged. Events are hints for live views; a view that may have
// missed some reloads from Postgres.
type Feed struct {
	db    store.DB
	log   *slog.Logger
	every time.Duration
	ready chan struct{}

	mu   sync.Mutex
	subs map[uuid.UUID]map[*subscriber]struct{}

	// Owned by Run's goroutine; cursor is atomic only so tests may watch it.
	cursor  atomic.Int64        // every id <= cursor was delivered, or given up as never committed
	seen    map[int64]time.Time // ids above cursor already delivered, and when they were first read
	started bool
}

type subscriber struct {
	ch      chan Event
	lagging bool // its buffer was full past slowGrace: events are dropped until it has drained half
}

// NewFeed returns a feed on db polling every interval (DefaultEvery when <= 0). Run starts it.
func NewFeed(db store.DB, log *slog.Logger, every time.Duration) *Feed {
	if every <= 0 {
		every = DefaultEvery
	}
	return &Feed{db: db, log: log, every: every, ready: make(chan struct{}),
		subs: make(map[uuid.UUID]map[*subscriber]struct{}), seen: make(map[int64]time.Time)}
}

// Ready is closed once Run knows where it starts: events committed after that are delivered.
func (f *Feed) Ready() <-chan struct{} { return f.ready }

// Subscribe returns a channel of the events of tenantID only, closed when ctx ends.
func (f *Feed) Subscribe(ctx context.Context, tenantID uuid.UUID) <-chan Event {
	s := &subscriber{ch: make(chan Event, SubscriberBuffer)}
	f.mu.Lock()
	if f.subs[tenantID] == nil {
		f.subs[tenantID] = make(map[*subscriber]struct{})
	}
	f.subs[tenantID][s] = struct{}{}
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs[tenantID], s)
		if len(f.subs[tenantID]) == 0 {
			delete(f.subs, tenantID)
		}
		close(s.ch) // under f.mu, and after leaving subs: deliver never sends on it again
	}()
	return s.ch
}

// Run polls until ctx ends; call it once per feed. Errors are logged and the next tick tries again.
func (f *Feed) Run(ctx context.Context) {
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		if err := f.poll(ctx); err != nil && ctx.Err() == nil {
			f.log.ErrorContext(ctx, "outbox poll failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (f *Feed) poll(ctx context.Context) error {
	q := store.New(f.db)
	if !f.started {
		last, err := q.EventLastID(ctx)
		if err != nil {
			return fmt.Errorf("outbox start: %w", err)
		}
		f.cursor.Store(last)
		f.started = true
		close(f.ready)
		return nil
	}
	// Read from the cursor, not from the highest id seen: rows below the highest may commit late.
	// Rows read before are skipped by id, so each event is delivered once.
	after := f.cursor.Load()
	for {
		rows, err := q.EventListAfter(ctx, store.EventListAfterParams{AfterID: after, MaxRows: pageSize})
		if err != nil {
			return fmt.Errorf("outbox read after %d: %w", after, err)
		}
		now := time.Now()
		for _, r := range rows {
			if _, ok := f.seen[r.ID]; ok {
				continue
			}
			f.seen[r.ID] = now
			f.deliver(ctx, Event{ID: r.ID, TenantID: r.TenantID, SessionID: r.SessionID, MessageID: r.MessageID,
				Type: r.Type, Status: r.Status, Payload: json.RawMessage(r.Payload), CreatedAt: r.CreatedAt})
		}
		if len(rows) < pageSize {
			break
		}
		after = rows[len(rows)-1].ID
	}
	f.advance(ctx, time.Now())
	return nil
}

// advance moves the cursor over the delivered ids just above it, and over missing ids that have
// been waited for GapHold since an id above them was first read.
func (f *Feed) advance(ctx context.Context, now time.Time) {
	cursor := f.cursor.Load()
	defer func() { f.cursor.Store(cursor) }()
	for len(f.seen) > 0 {
		if _, ok := f.seen[cursor+1]; ok {
			delete(f.seen, cursor+1)
			cursor++
			continue
		}
		// cursor+1 is missing and every seen id is above it: the gap runs up to the lowest seen id,
		// and it has existed since the first of them was read.
		lowest, since := int64(0), now
		for id, at := range f.seen {
			if lowest == 0 || id < lowest {
				lowest = id
			}
			if at.Before(since) {
				since = at
			}
		}
		if now.Sub(since) < GapHold {
			return
		}
		f.log.DebugContext(ctx, "outbox gap given up", "from", cursor+1, "to", lowest-1)
		cursor = lowest - 1
	}
}

func (f *Feed) deliver(ctx context.Context, e Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs[e.TenantID] {
		select {
		case s.ch <- e:
			if s.lagging && len(s.ch) <= cap(s.ch)/2 {
				s.lagging = false
			}
			continue
		default:
		}
		if s.lagging {
			continue // dropped: it was given its grace already
		}
		// A reader that keeps up can still be outrun by one burst (a campaign's thousand "queued"
		// events in one poll): wait a moment for it before deciding it is too slow.
		t := time.NewTimer(slowGrace)
		select {
		case s.ch <- e:
		case <-t.C:
			s.lagging = true
			f.log.WarnContext(ctx, "outbox subscriber too slow, dropping events", "tenant_id", e.TenantID)
		}
		t.Stop()
	}
}
