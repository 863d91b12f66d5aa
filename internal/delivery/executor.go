package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// ExecRequest asks a session's holder to send a claimed message.
type ExecRequest struct {
	message.Target
	MessageID uuid.UUID `json:"message_id"`
	// NotBefore is the message's pacing slot: the holder sends no earlier (zero: now).
	NotBefore time.Time `json:"not_before,omitzero"`
}

// Outcomes of an ExecRequest.
const (
	OutcomeSent     = "sent"     // WhatsApp acknowledged it; the row says sent
	OutcomeFailed   = "failed"   // refused for good; the row says failed with the reason
	OutcomeRequeued = "requeued" // back to queued; try again after RetryAfter (0: the caller's backoff)
	OutcomeNotHeld  = "not_held" // this process does not hold the session under that fence; nothing changed
	OutcomeSkipped  = "skipped"  // the row was not claimed for sending (canceled, done): nothing to do
)

// ExecResult is what the holder did.
type ExecResult struct {
	Outcome    string        `json:"outcome"`
	RetryAfter time.Duration `json:"retry_after"`
	Reason     string        `json:"reason,omitempty"`
}

// Drivers is what this process holds, as the holder side sees it (session.Registry).
type Drivers interface {
	// Held reports whether this process holds the session now, and its Driver.
	Held(id uuid.UUID) (session.Held, whatsapp.Driver, bool)
	// HeldSessions lists the sessions held now.
	HeldSessions() []uuid.UUID
}

// Executor sends messages on the sessions this process holds (the holder side of a send). Its
// writes of a send's outcome are fenced by the lease (invariant 3); a last per-session gate just
// before Send keeps pacing gaps that a Redis hop could otherwise shrink.
type Executor struct {
	db       store.DB
	drivers  Drivers
	media    message.Media
	gate     *ratelimit.Gate
	instance uuid.UUID
	obs      message.Observer
	log      *slog.Logger

	mu      sync.Mutex
	numbers map[string]numberEntry // session/digits → canonical JID, so each recipient is looked up once a day
	seeded  map[uuid.UUID]int64    // session → fence the gate was seeded under
}

type numberEntry struct {
	jid whatsapp.JID
	on  bool
	at  time.Time
}

const (
	numberCacheTTL = 24 * time.Hour
	numberCacheMax = 100_000
	// gateMaxWait: a send whose gate would wait longer goes back to the queue instead of holding a worker.
	gateMaxWait = 3 * time.Second
)

// NewExecutor returns the holder-side sender for the sessions drivers holds on instance.
func NewExecutor(db store.DB, drivers Drivers, media message.Media, instance uuid.UUID, obs message.Observer, log *slog.Logger) *Executor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Executor{db: db, drivers: drivers, media: media, gate: ratelimit.NewGate(), instance: instance, obs: obs,
		log: log.With("component", "message_executor"), numbers: map[string]numberEntry{}, seeded: map[uuid.UUID]int64{}}
}

// Execute sends the claimed message req names, on this process's driver of its session.
func (e *Executor) Execute(ctx context.Context, req ExecRequest) (ExecResult, error) {
	drv, ok := e.held(req.Target)
	if !ok {
		return ExecResult{Outcome: OutcomeNotHeld}, nil
	}
	q := store.New(e.db)
	row, err := q.MessageGet(ctx, store.MessageGetParams{TenantID: req.TenantID, ID: req.MessageID})
	if store.IsNotFound(err) {
		return ExecResult{Outcome: OutcomeSkipped}, nil
	} else if err != nil {
		return ExecResult{}, fmt.Errorf("execute: %w", err)
	}
	if row.Status != string(message.StatusSending) {
		return ExecResult{Outcome: OutcomeSkipped}, nil
	}
	if st := drv.State(); !st.Connected || !st.LoggedIn {
		return e.requeue(ctx, req, row, "session_unavailable", "The session is not connected; the message waits for it.", 2*time.Second)
	}
	sess, err := q.MessageSessionInfo(ctx, store.MessageSessionInfoParams{TenantID: req.TenantID, ID: req.SessionID})
	if err != nil {
		return ExecResult{}, fmt.Errorf("execute: session: %w", err)
	}
	out, err := e.build(ctx, drv, row)
	if err != nil {
		return e.outcome(ctx, req, row, err)
	}
	e.seed(ctx, req)
	if wait := time.Until(req.NotBefore); wait > gateMaxWait {
		return e.requeueQuiet(ctx, req, row, wait)
	} else if wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ExecResult{}, ctx.Err()
		}
	}
	release, err := e.gate.Acquire(ctx, req.SessionID.String(), ratelimit.PlanPace(sess.SendRatePerMinute, sess.DelayMinMs, sess.DelayMaxMs), gateMaxWait)
	var we *ratelimit.WaitError
	if errors.As(err, &we) {
		return e.requeueQuiet(ctx, req, row, we.Wait)
	} else if err != nil {
		return ExecResult{}, fmt.Errorf("execute: gate: %w", err)
	}
	// The claim bounds the send: past it, another worker may claim the message again.
	sctx, cancel := context.WithDeadline(ctx, claimDeadline(row))
	defer cancel()
	t0 := time.Now()
	sent, err := drv.Send(sctx, out)
	release(err == nil)
	if err != nil {
		return e.outcome(ctx, req, row, err)
	}
	e.obs.Sent(time.Since(t0), time.Since(row.CreatedAt))
	ts := sent.Timestamp
	var marked store.Message
	err = store.WithTx(ctx, e.db, func(q *store.Queries) error {
		marked, err = q.MessageHostMarkSent(ctx, store.MessageHostMarkSentParams{TenantID: req.TenantID, ID: req.MessageID,
			WaTimestamp: &ts, ChatJid: out.To.String(), InstanceID: e.instance, Fence: req.Fence})
		if err != nil {
			return err
		}
		return message.RecordStatus(ctx, q, marked, "")
	})
	if store.IsNotFound(err) {
		// A receipt got there first (fine), or the lease was lost under us: the message did go out,
		// and a new holder resends it after the claim runs out (the at-least-once window).
		e.log.InfoContext(ctx, "sent, but the row was not marked sent", "message_id", req.MessageID)
		return ExecResult{Outcome: OutcomeSent}, nil
	} else if err != nil {
		return ExecResult{}, fmt.Errorf("execute: mark sent: %w", err)
	}
	e.obs.Status(message.StatusSent, message.FromRow(marked))
	return ExecResult{Outcome: OutcomeSent}, nil
}

func claimDeadline(row store.Message) time.Time {
	d := time.Now().Add(30 * time.Second)
	if row.ClaimUntil != nil {
		d = row.ClaimUntil.Add(-2 * time.Second)
	}
	if min := time.Now().Add(2 * time.Second); d.Before(min) {
		d = min
	}
	return d
}

func (e *Executor) held(t message.Target) (whatsapp.Driver, bool) {
	h, drv, ok := e.drivers.Held(t.SessionID)
	if !ok || drv == nil || h.Fence != t.Fence || h.TenantID != t.TenantID {
		return nil, false
	}
	return drv, true
}

// seed gives the gate the session's latest sends when this holder first sends on it under this fence
// (it may have just taken the session over from another instance).
func (e *Executor) seed(ctx context.Context, req ExecRequest) {
	e.mu.Lock()
	done := e.seeded[req.SessionID] == req.Fence
	e.seeded[req.SessionID] = req.Fence
	e.mu.Unlock()
	if done {
		return
	}
	times, err := store.New(e.db).MessageRecentSendTimes(ctx, store.MessageRecentSendTimesParams{TenantID: req.TenantID,
		SessionID: req.SessionID, MaxRows: 1000})
	if err != nil {
		e.log.WarnContext(ctx, "seed pacing gate", "session_id", req.SessionID, "err", err)
		return
	}
	e.gate.Seed(req.SessionID.String(), times)
}

// build turns a row into what the driver sends: the canonical recipient (asked of WhatsApp through
// drv once a day per number: it may differ from the number given; nil drv keeps the row's chat), the
// media opener, the quoted message.
func (e *Executor) build(ctx context.Context, drv whatsapp.Driver, row store.Message) (whatsapp.Outgoing, error) {
	m := message.FromRow(row)
	to, err := whatsapp.ParseJID(row.ChatJid)
	if err != nil {
		return whatsapp.Outgoing{}, fmt.Errorf("%w: %v", whatsapp.ErrInvalidRecipient, err)
	}
	if to.Server == whatsapp.ServerUser && drv != nil {
		if to, err = e.canonical(ctx, drv, row.SessionID, to); err != nil {
			return whatsapp.Outgoing{}, err
		}
	}
	out := whatsapp.Outgoing{ID: whatsapp.MessageID(row.WaID), To: to, Kind: m.Kind, Location: m.Location, Contact: m.Contact}
	switch m.Kind {
	case whatsapp.KindText:
		out.Text = m.Text
	case whatsapp.KindImage, whatsapp.KindVideo, whatsapp.KindAudio, whatsapp.KindDocument, whatsapp.KindSticker:
		if row.MediaID == nil {
			return out, fmt.Errorf("%w: the file was deleted", whatsapp.ErrMediaRejected)
		}
		info, err := e.media.Info(ctx, row.TenantID, *row.MediaID)
		if err != nil {
			return out, fmt.Errorf("%w: the file is gone: %v", whatsapp.ErrMediaRejected, err)
		}
		tenantID, mediaID := row.TenantID, *row.MediaID
		out.Media = &whatsapp.Media{MIME: info.MIME, Size: info.Size, Open: func(ctx context.Context) (io.ReadCloser, error) {
			return e.media.Open(ctx, tenantID, mediaID)
		}}
		out.Caption, out.FileName, out.VoiceNote = m.Text, m.FileName, m.VoiceNote
	}
	if row.ReplyTo != "" {
		quote := &whatsapp.Quote{ID: whatsapp.MessageID(row.ReplyTo)}
		orig, err := store.New(e.db).MessageFindForReply(ctx, store.MessageFindForReplyParams{TenantID: row.TenantID,
			SessionID: row.SessionID, Ref: row.ReplyTo})
		if err == nil {
			quote.Text = orig.Body
			if orig.Direction == string(message.DirectionIn) && !orig.FromMe {
				quote.Sender, _ = whatsapp.ParseJID(orig.SenderJid)
			}
		}
		out.ReplyTo = quote
	}
	return out, nil
}

func (e *Executor) canonical(ctx context.Context, drv whatsapp.Driver, sessionID uuid.UUID, to whatsapp.JID) (whatsapp.JID, error) {
	key := sessionID.String() + "/" + to.User
	e.mu.Lock()
	ent, ok := e.numbers[key]
	e.mu.Unlock()
	if !ok || time.Since(ent.at) > numberCacheTTL {
		res, err := drv.CheckNumbers(ctx, []string{to.User})
		if err != nil {
			return to, err
		}
		ent = numberEntry{at: time.Now()}
		for _, r := range res {
			if r.OnWhatsApp && !r.JID.IsEmpty() {
				ent.on, ent.jid = true, r.JID
			}
		}
		e.mu.Lock()
		if len(e.numbers) >= numberCacheMax {
			clear(e.numbers)
		}
		e.numbers[key] = ent
		e.mu.Unlock()
	}
	if !ent.on {
		return to, whatsapp.ErrNotOnWhatsApp
	}
	return ent.jid, nil
}

// outcome records a failed send: at once for good when retrying cannot help, else back to the queue.
func (e *Executor) outcome(ctx context.Context, req ExecRequest, row store.Message, err error) (ExecResult, error) {
	code, reason := failure(err)
	if whatsapp.IsPermanent(err) {
		var failed store.Message
		txErr := store.WithTx(ctx, e.db, func(q *store.Queries) error {
			var err error
			failed, err = q.MessageHostFail(ctx, store.MessageHostFailParams{TenantID: req.TenantID, ID: req.MessageID,
				ErrorCode: code, ErrorReason: reason, InstanceID: e.instance, Fence: req.Fence})
			if err != nil {
				return err
			}
			return message.RecordStatus(ctx, q, failed, reason)
		})
		if store.IsNotFound(txErr) {
			return ExecResult{Outcome: OutcomeSkipped}, nil
		} else if txErr != nil {
			return ExecResult{}, fmt.Errorf("execute: mark failed: %w", txErr)
		}
		e.obs.Status(message.StatusFailed, message.FromRow(failed))
		return ExecResult{Outcome: OutcomeFailed, Reason: reason}, nil
	}
	var after time.Duration
	var rl *whatsapp.RateLimitedError
	if errors.As(err, &rl) {
		after = rl.RetryAfter
	}
	e.log.WarnContext(ctx, "send failed; will retry", "message_id", req.MessageID, "err", err)
	return e.requeue(ctx, req, row, code, reason, after)
}

// requeue puts a message it could not send back to queued with the reason shown, fenced by the
// lease: a holder that lost the session leaves the row to the new one.
func (e *Executor) requeue(ctx context.Context, req ExecRequest, row store.Message, code, reason string, after time.Duration) (ExecResult, error) {
	err := store.WithTx(ctx, e.db, func(q *store.Queries) error {
		r, err := q.MessageHostRequeue(ctx, store.MessageHostRequeueParams{TenantID: row.TenantID, ID: row.ID, ErrorCode: code,
			ErrorReason: reason, InstanceID: e.instance, Fence: req.Fence})
		if err != nil {
			return err
		}
		return message.RecordStatus(ctx, q, r, reason)
	})
	if store.IsNotFound(err) {
		// No longer sending (canceled meanwhile) or no longer ours: the worker puts it back, and the
		// row's current state decides what comes next.
		return ExecResult{Outcome: OutcomeNotHeld}, nil
	} else if err != nil {
		return ExecResult{}, fmt.Errorf("execute: requeue: %w", err)
	}
	return ExecResult{Outcome: OutcomeRequeued, RetryAfter: after, Reason: reason}, nil
}

// requeueQuiet puts a message back for a pacing wait: nothing went wrong, so no event and no error.
func (e *Executor) requeueQuiet(ctx context.Context, req ExecRequest, row store.Message, after time.Duration) (ExecResult, error) {
	_, err := store.New(e.db).MessageHostRequeue(ctx, store.MessageHostRequeueParams{TenantID: row.TenantID, ID: row.ID,
		ErrorCode: row.ErrorCode, ErrorReason: row.ErrorReason, InstanceID: e.instance, Fence: req.Fence})
	if store.IsNotFound(err) {
		return ExecResult{Outcome: OutcomeNotHeld}, nil
	} else if err != nil {
		return ExecResult{}, fmt.Errorf("execute: requeue: %w", err)
	}
	return ExecResult{Outcome: OutcomeRequeued, RetryAfter: after}, nil
}

// Groups lists the groups of a held session.
func (e *Executor) Groups(ctx context.Context, t message.Target) ([]whatsapp.Group, error) {
	drv, ok := e.held(t)
	if !ok {
		return nil, message.ErrSessionUnavailable
	}
	gs, err := drv.Groups(ctx)
	if errors.Is(err, whatsapp.ErrNotConnected) {
		return nil, message.ErrSessionUnavailable
	}
	return gs, err
}

// CheckNumbers asks WhatsApp about phones (international digits) on a held session.
func (e *Executor) CheckNumbers(ctx context.Context, t message.Target, phones []string) ([]whatsapp.NumberStatus, error) {
	drv, ok := e.held(t)
	if !ok {
		return nil, message.ErrSessionUnavailable
	}
	res, err := drv.CheckNumbers(ctx, phones)
	if errors.Is(err, whatsapp.ErrNotConnected) {
		return nil, message.ErrSessionUnavailable
	}
	return res, err
}

// failure turns a send error into a stable code and a sentence for people.
func failure(err error) (code, reason string) {
	var se *whatsapp.ServerError
	var rl *whatsapp.RateLimitedError
	switch {
	case errors.Is(err, whatsapp.ErrNotOnWhatsApp):
		return "not_on_whatsapp", "The number is not on WhatsApp."
	case errors.Is(err, whatsapp.ErrInvalidRecipient):
		return "invalid_recipient", "WhatsApp does not accept this recipient."
	case errors.Is(err, whatsapp.ErrMediaRejected):
		return "media_rejected", "WhatsApp rejected the file (or it is no longer stored)."
	case errors.Is(err, whatsapp.ErrNotInGroup):
		return "not_in_group", "The session's account is not in that group."
	case errors.Is(err, whatsapp.ErrMessageTooLarge):
		return "too_large", "The message is too large for WhatsApp."
	case errors.Is(err, whatsapp.ErrLoggedOut), errors.Is(err, whatsapp.ErrNotPaired):
		return "logged_out", "The session was logged out of WhatsApp; pair it again and resend."
	case errors.Is(err, whatsapp.ErrNotConnected):
		return "session_unavailable", "The session is not connected; the message waits for it."
	case errors.As(err, &rl):
		return "rate_limited", "WhatsApp asked to slow down; retrying later."
	case errors.As(err, &se):
		if se.Text != "" {
			// Kept on the message: the explanation (463: reach-out limit) is what the tenant can act on.
			return fmt.Sprintf("whatsapp_%d", se.Code), fmt.Sprintf("WhatsApp refused the message (error %d): %s.", se.Code, se.Text)
		}
		return fmt.Sprintf("whatsapp_%d", se.Code), fmt.Sprintf("WhatsApp refused the message (error %d).", se.Code)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout", "WhatsApp did not acknowledge the message in time; retrying."
	}
	return "send_error", "Sending failed; retrying."
}
