package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// RetryError tells the worker to run the task again after After. Failure false means nothing went
// wrong (a pacing wait, a session that is down): the task's retry budget is not spent.
type RetryError struct {
	After   time.Duration
	Failure bool
	Reason  string
}

func (e *RetryError) Error() string { return fmt.Sprintf("retry in %s: %s", e.After, e.Reason) }

// DispatchConfig tunes the worker side of sends.
type DispatchConfig struct {
	// ClaimTTL is how long a worker's claim on a message lasts; past it another worker sends it again
	// with the same WhatsApp id (the at-least-once window). Default 60 s.
	ClaimTTL time.Duration
	// RPCTimeout bounds waiting for another instance's holder. Default ClaimTTL - 5 s.
	RPCTimeout time.Duration
	// Ahead is how early a paced task may run and leave the last wait to the holder, which waits for
	// the slot itself (ExecRequest.NotBefore). Default 1.25 s: Asynq runs retries at whole seconds
	// (rounded up, never early), so a task sent back comes back up to a second after the time asked
	// for; asking for a second before the slot lets the holder keep the drawn gap to the millisecond.
	Ahead time.Duration
}

// Dispatcher runs one message's send task (the worker side): expiry, per-recipient order, the
// session's pace across the cluster (a Redis ticket: the task goes back to the queue until its slot
// instead of holding a worker), the claim, and the hand-over to the session's holder.
type Dispatcher struct {
	db     store.DB
	pacer  *ratelimit.Pacer
	router *Router
	kicker Kicker
	obs    message.Observer
	cfg    DispatchConfig
	log    *slog.Logger
}

// NewDispatcher returns the worker side of sends: router hands claimed messages to their holders,
// kicker wakes the next message of a chat when one is done.
func NewDispatcher(db store.DB, pacer *ratelimit.Pacer, router *Router, kicker Kicker, obs message.Observer,
	cfg DispatchConfig, log *slog.Logger) *Dispatcher {
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = 60 * time.Second
	}
	if cfg.RPCTimeout <= 0 {
		cfg.RPCTimeout = max(cfg.ClaimTTL-5*time.Second, cfg.ClaimTTL/2)
	}
	if cfg.Ahead <= 0 {
		cfg.Ahead = 1250 * time.Millisecond
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{db: db, pacer: pacer, router: router, kicker: kicker, obs: obs, cfg: cfg,
		log: log.With("component", "message_dispatch")}
}

// Process runs the send task of one message. nil: nothing more to do (sent, failed, canceled,
// expired, gone); *RetryError: run again later; another error: a failure, retried with backoff.
func (d *Dispatcher) Process(ctx context.Context, tenantID, id uuid.UUID) error {
	q := store.New(d.db)
	row, err := q.MessageGet(ctx, store.MessageGetParams{TenantID: tenantID, ID: id})
	if store.IsNotFound(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("send task: %w", err)
	}
	now := time.Now()
	switch message.Status(row.Status) {
	case message.StatusQueued:
	case message.StatusSending:
		if row.ClaimUntil != nil && row.ClaimUntil.After(now) {
			// Another worker is on it (or was, and its claim has not run out yet).
			return &RetryError{After: row.ClaimUntil.Sub(now) + 100*time.Millisecond, Reason: "claimed by another worker"}
		}
	default:
		// scheduled: the promoter queues it when due; anything else is done.
		d.release(ctx, id)
		return nil
	}
	if row.ExpiresAt != nil && !row.ExpiresAt.After(now) {
		return d.expire(ctx, row)
	}
	sess, err := q.MessageSessionInfo(ctx, store.MessageSessionInfoParams{TenantID: tenantID, ID: row.SessionID})
	if store.IsNotFound(err) {
		return nil // the session was deleted, and its messages with it
	} else if err != nil {
		return fmt.Errorf("send task: session: %w", err)
	}
	if sess.DeviceJid == "" && sess.HolderInstanceID == nil {
		return d.fail(ctx, row, whatsapp.ErrLoggedOut)
	}
	if sess.HolderInstanceID == nil || sess.HolderFence == nil {
		return &RetryError{After: d.waitForSession(row), Reason: "no instance holds the session"}
	}
	if row.Status == string(message.StatusQueued) {
		earlier, err := q.MessageEarlierUnsent(ctx, store.MessageEarlierUnsentParams{TenantID: tenantID,
			SessionID: row.SessionID, ChatJid: row.ChatJid, ID: row.ID})
		if err != nil {
			return fmt.Errorf("send task: order: %w", err)
		}
		if len(earlier) > 0 {
			return &RetryError{After: time.Second, Reason: fmt.Sprintf("an earlier message to the same chat goes first (%s, %s)",
				earlier[0].ID, earlier[0].Status)}
		}
	}
	var notBefore time.Time
	if d.pacer != nil {
		wait, err := d.pacer.Ticket(ctx, row.SessionID.String(), id.String(), ratelimit.PlanPace(sess.SendRatePerMinute, sess.DelayMinMs, sess.DelayMaxMs))
		switch {
		case err != nil:
			// Redis trouble: the holder's gate still paces, so a send may go ahead; the queue does not
			// spin on an unreachable Redis either way (Asynq needs it too).
			d.log.WarnContext(ctx, "pacing unavailable", "err", err)
		case wait > d.cfg.Ahead:
			d.obs.PacingWait(wait)
			// Back a second before the slot (Asynq rounds the retry up to a whole second), so the
			// task returns within the last second and the holder waits for the slot itself: the gaps
			// between sends follow the drawn delays instead of falling on whole seconds.
			return &RetryError{After: wait - time.Second, Reason: "pacing"}
		case wait > 0:
			notBefore = time.Now().Add(wait)
		}
	}

	claimed, err := d.claim(ctx, row)
	if err != nil {
		return err
	}
	if claimed == nil {
		return nil
	}
	t := message.Target{TenantID: tenantID, SessionID: row.SessionID, Fence: *sess.HolderFence}
	res, err := d.router.Send(ctx, *sess.HolderInstanceID, ExecRequest{Target: t, MessageID: id, NotBefore: notBefore}, d.cfg.RPCTimeout)
	if errors.Is(err, ErrHolderGone) {
		// The old holder is provably stopped (fencing by time): send again now, through the new one.
		return d.unclaim(ctx, claimed, &RetryError{After: 200 * time.Millisecond, Reason: "the session's holder changed"})
	}
	if errors.Is(err, cluster.ErrRPCNotDelivered) {
		// Taken back from the holder's list unread: it was never sent, so it need not wait for its claim.
		return d.unclaim(ctx, claimed, &RetryError{After: time.Second, Failure: true, Reason: "the holder did not take the request"})
	}
	if err != nil {
		// The holder may or may not have sent it: the row stays claimed, and once the claim runs out
		// the message is sent again with the same WhatsApp id (recipients' apps show it once).
		return &RetryError{After: time.Until(*claimed.ClaimUntil) + 100*time.Millisecond, Failure: true,
			Reason: "holder did not answer: " + err.Error()}
	}
	switch res.Outcome {
	case OutcomeSent, OutcomeFailed, OutcomeSkipped:
		d.release(ctx, id)
		d.kickNext(ctx, claimed)
		return nil
	case OutcomeNotHeld:
		return d.unclaim(ctx, claimed, &RetryError{After: time.Second, Reason: "the session changed holder"})
	default: // requeued
		if res.RetryAfter > 0 {
			return &RetryError{After: res.RetryAfter, Reason: "holder asked to wait"}
		}
		return &RetryError{After: backoff(int(claimed.Attempts)), Failure: true, Reason: res.Reason}
	}
}

// Kicker runs a waiting task now (worker.Enqueuer): the next message to a chat need not wait out its
// retry delay once the one before it is done.
type Kicker interface {
	Kick(ctx context.Context, queue string, messageID uuid.UUID) error
}

// kickNext wakes the next queued message to the same chat. Per-recipient order makes it wait for
// this one; without a kick it would sit out its retry delay (whole seconds in Asynq), and a burst to
// one recipient would crawl.
func (d *Dispatcher) kickNext(ctx context.Context, row *store.Message) {
	if row == nil {
		return
	}
	next, err := store.New(d.db).MessageNextUnsent(ctx, store.MessageNextUnsentParams{TenantID: row.TenantID,
		SessionID: row.SessionID, ChatJid: row.ChatJid, ID: row.ID})
	if err != nil || len(next) == 0 {
		return
	}
	if err := d.kicker.Kick(ctx, next[0].Queue, next[0].ID); err != nil {
		// Not fatal: the next message runs at its retry time, or the sweeper re-enqueues it.
		d.log.WarnContext(ctx, "wake the next message of the chat", "message_id", next[0].ID, "err", err)
	}
}

// unclaim puts a claimed message that was certainly not sent back to queued, keeping its last error,
// and returns retry.
func (d *Dispatcher) unclaim(ctx context.Context, claimed *store.Message, retry *RetryError) error {
	_, err := store.New(d.db).MessageRequeue(ctx, store.MessageRequeueParams{TenantID: claimed.TenantID, ID: claimed.ID,
		ErrorCode: claimed.ErrorCode, ErrorReason: claimed.ErrorReason})
	if err != nil && !store.IsNotFound(err) {
		return fmt.Errorf("send task: requeue: %w", err)
	}
	return retry
}

// claim marks the message sending for ClaimTTL. nil without error: someone else changed it meanwhile.
func (d *Dispatcher) claim(ctx context.Context, row store.Message) (*store.Message, error) {
	var claimed store.Message
	err := store.WithTx(ctx, d.db, func(q *store.Queries) error {
		var err error
		claimed, err = q.MessageClaim(ctx, store.MessageClaimParams{TenantID: row.TenantID, ID: row.ID,
			ClaimUntil: ptr(time.Now().Add(d.cfg.ClaimTTL))})
		if err != nil {
			return err
		}
		if row.Status == string(message.StatusQueued) {
			return message.RecordStatus(ctx, q, claimed, "")
		}
		return message.RecordStatus(ctx, q, claimed, "Sending again: the previous attempt's outcome is unknown.")
	})
	if store.IsNotFound(err) {
		cur, gerr := store.New(d.db).MessageGet(ctx, store.MessageGetParams{TenantID: row.TenantID, ID: row.ID})
		if gerr == nil && (cur.Status == string(message.StatusQueued) || cur.Status == string(message.StatusSending)) {
			return nil, &RetryError{After: time.Second, Reason: "claim refused: an earlier message to the same chat goes first"}
		}
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("send task: claim: %w", err)
	}
	if row.Status == string(message.StatusQueued) {
		d.obs.Status(message.StatusSending, message.FromRow(claimed))
	}
	return &claimed, nil
}

func (d *Dispatcher) fail(ctx context.Context, row store.Message, cause error) error {
	code, reason := failure(cause)
	err := store.WithTx(ctx, d.db, func(q *store.Queries) error {
		r, err := q.MessageFail(ctx, store.MessageFailParams{TenantID: row.TenantID, ID: row.ID, ErrorCode: code, ErrorReason: reason})
		if err != nil {
			return err
		}
		d.obs.Status(message.StatusFailed, message.FromRow(r))
		return message.RecordStatus(ctx, q, r, reason)
	})
	if err != nil && !store.IsNotFound(err) {
		return fmt.Errorf("send task: fail: %w", err)
	}
	d.release(ctx, row.ID)
	return nil
}

// expire ends a message whose session stayed down past its expiry, and gives its quota back.
func (d *Dispatcher) expire(ctx context.Context, row store.Message) error {
	err := store.WithTx(ctx, d.db, func(q *store.Queries) error {
		r, err := q.MessageExpire(ctx, store.MessageExpireParams{TenantID: row.TenantID, ID: row.ID, ErrorReason: ExpiredReason})
		if err != nil {
			return err
		}
		if err := message.GiveBack(ctx, q, r); err != nil {
			return err
		}
		d.obs.Status(message.StatusExpired, message.FromRow(r))
		return message.RecordStatus(ctx, q, r, ExpiredReason)
	})
	if err != nil && !store.IsNotFound(err) {
		return fmt.Errorf("send task: expire: %w", err)
	}
	d.release(ctx, row.ID)
	return nil
}

// ExpiredReason is the error reason of a message that expired unsent.
const ExpiredReason = "The session was not available before the message expired; it was not sent."

func (d *Dispatcher) release(ctx context.Context, id uuid.UUID) {
	if d.pacer != nil {
		_ = d.pacer.Release(ctx, id.String())
	}
}

// waitForSession: how long a message waits before looking for its session's holder again.
func (d *Dispatcher) waitForSession(row store.Message) time.Duration {
	w := 5*time.Second + time.Duration(rand.Int64N(int64(5*time.Second)))
	if row.ExpiresAt != nil {
		if until := time.Until(*row.ExpiresAt); until > 0 && until < w {
			w = until + 100*time.Millisecond
		}
	}
	return w
}

// backoff after the n-th failed attempt: 2 s, 4 s, 8 s … up to 5 min, with jitter.
func backoff(n int) time.Duration {
	d := 2 * time.Second << min(max(n-1, 0), 8)
	d = min(d, 5*time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func ptr[T any](v T) *T { return &v }
