package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/store"
)

// SweepConfig tunes the sweeper. Zero values take the defaults.
type SweepConfig struct {
	// PromoteEvery is how often due scheduled messages are queued (default 250 ms: "within 1 s of send_at").
	PromoteEvery time.Duration
	// SweepEvery is how often unsent messages are checked for a lost task (default 5 s).
	SweepEvery time.Duration
	// Grace is how long a queued message may go unlooked-at before its task is enqueued again
	// (default 30 s). An existing task is left alone, so a short grace costs Redis calls, not duplicates.
	Grace time.Duration
	Batch int // rows per round (default 500)
}

// Sweeper makes Redis losses harmless (invariant 1): it queues scheduled messages when due (they
// live only in Postgres until then), enqueues again the task of any unsent message not looked at for
// Grace, and expires messages whose session stayed down past their expiry, giving their quota back.
// Every worker instance runs one; rows are taken with SKIP LOCKED, so they share the work.
type Sweeper struct {
	db  store.DB
	enq message.Enqueuer
	obs message.Observer
	cfg SweepConfig
	log *slog.Logger
	now chan struct{} // SweepNow's nudge
}

// NewSweeper returns a sweeper enqueueing through enq.
func NewSweeper(db store.DB, enq message.Enqueuer, obs message.Observer, cfg SweepConfig, log *slog.Logger) *Sweeper {
	if cfg.PromoteEvery <= 0 {
		cfg.PromoteEvery = 250 * time.Millisecond
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = 5 * time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 30 * time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sweeper{db: db, enq: enq, obs: obs, cfg: cfg, now: make(chan struct{}, 1), log: log.With("component", "message_sweeper")}
}

// Run sweeps until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	promote := time.NewTicker(s.cfg.PromoteEvery)
	defer promote.Stop()
	sweep := time.NewTicker(s.cfg.SweepEvery)
	defer sweep.Stop()
	var lastClean time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-promote.C:
			for {
				n, err := s.Promote(ctx)
				if err != nil && ctx.Err() == nil {
					s.log.WarnContext(ctx, "promote scheduled messages", "err", err)
				}
				if n < s.cfg.Batch {
					break
				}
			}
		case <-s.now:
			// Redis lost its data: every unsent message's task is gone, so none waits out the grace.
			cutoff := time.Now() // rows swept in this loop are checked after it, so none comes twice
			for {
				n, err := s.sweep(ctx, cutoff)
				if err != nil && ctx.Err() == nil {
					s.log.WarnContext(ctx, "re-enqueue after redis lost its data", "err", err)
				}
				if err != nil || n < s.cfg.Batch {
					break
				}
			}
		case <-sweep.C:
			if _, err := s.Expire(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "expire messages", "err", err)
			}
			if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "sweep messages", "err", err)
			}
			if time.Since(lastClean) > time.Minute {
				lastClean = time.Now()
				if _, err := store.New(s.db).IdempotencyDeleteExpired(ctx); err != nil && ctx.Err() == nil {
					s.log.WarnContext(ctx, "delete expired idempotency keys", "err", err)
				}
			}
		}
	}
}

// Promote queues the scheduled messages that are due and enqueues their tasks.
func (s *Sweeper) Promote(ctx context.Context) (int, error) {
	var rows []store.Message
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		var err error
		rows, err = q.MessagePromoteDue(ctx, int32(s.cfg.Batch))
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := message.RecordStatus(ctx, q, r, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		s.obs.Status(message.StatusQueued, message.FromRow(r))
		if err := s.enq.EnqueueSend(ctx, r.TenantID, r.ID, r.Queue, time.Time{}); err != nil {
			s.log.WarnContext(ctx, "enqueue promoted message; the sweep will retry", "message_id", r.ID, "err", err)
		}
	}
	return len(rows), nil
}

// Sweep enqueues again the tasks of unsent messages not looked at for Grace (Redis lost them, or an
// enqueue after commit failed). Tasks that exist are left as they are.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	return s.sweep(ctx, time.Now().Add(-s.cfg.Grace))
}

// SweepNow re-enqueues every unsent message at once, whatever its grace (Redis lost its data, and
// with it every task). It returns at once; the sweep runs on Run's goroutine.
func (s *Sweeper) SweepNow(context.Context) {
	select {
	case s.now <- struct{}{}:
	default: // one is due already
	}
}

// sweep re-enqueues unsent messages not looked at since before.
func (s *Sweeper) sweep(ctx context.Context, before time.Time) (int, error) {
	rows, err := store.New(s.db).MessageSweepPending(ctx, store.MessageSweepPendingParams{
		CheckedBefore: before, MaxRows: int32(s.cfg.Batch)})
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		if err := s.enq.EnqueueSend(ctx, r.TenantID, r.ID, r.Queue, time.Time{}); err != nil {
			s.log.WarnContext(ctx, "re-enqueue message", "message_id", r.ID, "err", err)
		}
	}
	return len(rows), nil
}

// Expire ends queued messages past their expiry and gives their quota back.
func (s *Sweeper) Expire(ctx context.Context) (int, error) {
	var rows []store.Message
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		var err error
		rows, err = q.MessageExpireDue(ctx, store.MessageExpireDueParams{ErrorReason: ExpiredReason, MaxRows: int32(s.cfg.Batch)})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := message.GiveBack(ctx, q, r); err != nil {
				return err
			}
			if err := message.RecordStatus(ctx, q, r, ExpiredReason); err != nil {
				return err
			}
		}
		return nil
	})
	for _, r := range rows {
		s.obs.Status(message.StatusExpired, message.FromRow(r))
	}
	return len(rows), err
}
