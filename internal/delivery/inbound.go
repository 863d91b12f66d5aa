package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// InboundMedia is the part of the media store inbound messages use: a pending row written in the
// message's transaction (before the ack), and the bytes stored once fetched (after it).
type InboundMedia interface {
	InsertPending(ctx context.Context, q *store.Queries, tenantID, sessionID uuid.UUID, mime, fileName string, size int64, handle []byte) (uuid.UUID, error)
	StorePending(ctx context.Context, tenantID, id uuid.UUID, r io.Reader) error
	// ListPending lists a session's media still pending since before olderThan.
	ListPending(ctx context.Context, sessionID uuid.UUID, olderThan time.Time, limit int) ([]PendingMedia, error)
}

// PendingMedia is inbound media whose bytes were never fetched (the holder died first, or the fetch
// queue was full).
type PendingMedia struct {
	ID, TenantID, SessionID uuid.UUID
	Handle                  whatsapp.MediaHandle
}

// Inbound stores what WhatsApp delivers to held sessions (session.HostConfig.Inbound): messages,
// receipts, reactions, edits and revokes, each with its events row in the same transaction, before
// the driver acks (DESIGN.md, Inbound flow). Nothing else happens on the ack path: media bytes are
// fetched afterwards, by a few goroutines of this process.
type Inbound struct {
	db      store.DB
	media   InboundMedia
	drivers Drivers
	obs     message.Observer
	cfg     InboundConfig
	log     *slog.Logger
	fetch   chan fetchJob
}

// InboundConfig tunes the inbound side. Zero values take the defaults.
type InboundConfig struct {
	// Fetchers is how many inbound media downloads run at once (default 4).
	Fetchers int
	// RetryEvery and RetryAfter: how often the holder looks for inbound media left pending (default
	// 30 s), and how old it must be (default 1 min).
	RetryEvery time.Duration
	RetryAfter time.Duration
}

type fetchJob struct {
	tenantID, sessionID, mediaID uuid.UUID
	handle                       whatsapp.MediaHandle
}

// NewInbound returns the inbound handler of the sessions drivers holds; media keeps inbound files.
func NewInbound(db store.DB, media InboundMedia, drivers Drivers, obs message.Observer, cfg InboundConfig, log *slog.Logger) *Inbound {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Fetchers <= 0 {
		cfg.Fetchers = 4
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = 30 * time.Second
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = time.Minute
	}
	return &Inbound{db: db, media: media, drivers: drivers, obs: obs, cfg: cfg, log: log.With("component", "message_inbound"),
		fetch: make(chan fetchJob, 1024)}
}

// RunFetchers downloads inbound media until ctx ends, and every RetryEvery looks for media of the
// held sessions left pending for longer than RetryAfter (a holder that died before fetching, a full
// queue) and fetches it then.
func (in *Inbound) RunFetchers(ctx context.Context) {
	go in.retryPending(ctx, in.cfg.RetryEvery, in.cfg.RetryAfter)
	for range in.cfg.Fetchers {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-in.fetch:
					in.download(ctx, j)
				}
			}
		}()
	}
}

func (in *Inbound) retryPending(ctx context.Context, every, after time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, sid := range in.drivers.HeldSessions() {
			pending, err := in.media.ListPending(ctx, sid, time.Now().Add(-after), 50)
			if err != nil {
				in.log.WarnContext(ctx, "list pending media", "session_id", sid, "err", err)
				continue
			}
			for _, p := range pending {
				select {
				case in.fetch <- fetchJob{tenantID: p.TenantID, sessionID: p.SessionID, mediaID: p.ID, handle: p.Handle}:
				default: // the queue is full: next round
				}
			}
		}
	}
}

func (in *Inbound) download(ctx context.Context, j fetchJob) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, drv, ok := in.drivers.Held(j.sessionID)
	var r io.Reader
	if !ok || drv == nil {
		r = errReader{fmt.Errorf("session %s is not held here any more", j.sessionID)}
	} else if rc, err := drv.Download(ctx, j.handle); err != nil {
		r = errReader{err}
	} else {
		defer rc.Close()
		r = rc
	}
	if err := in.media.StorePending(ctx, j.tenantID, j.mediaID, r); err != nil {
		in.log.WarnContext(ctx, "inbound media not stored", "media_id", j.mediaID, "err", err)
	}
}

// errReader hands StorePending a download that failed, so the file is marked failed with the cause.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Handle stores one event of a held session; returning nil lets the driver ack it.
func (in *Inbound) Handle(ctx context.Context, h session.Held, e whatsapp.Event) error {
	switch ev := e.(type) {
	case whatsapp.MessageReceived:
		return in.message(ctx, h, ev.Message)
	case whatsapp.Receipt:
		return in.receipt(ctx, h, ev)
	case whatsapp.Reaction:
		return in.update(ctx, h, ev.Target, func(q *store.Queries) (store.Message, error) {
			return q.MessageSetReaction(ctx, store.MessageSetReactionParams{TenantID: h.TenantID, SessionID: h.SessionID,
				WaID: string(ev.Target), Reaction: ev.Emoji})
		}, "Reaction: "+ev.Emoji)
	case whatsapp.Edited:
		at := ev.Timestamp
		return in.update(ctx, h, ev.Target, func(q *store.Queries) (store.Message, error) {
			return q.MessageSetEdited(ctx, store.MessageSetEditedParams{TenantID: h.TenantID, SessionID: h.SessionID,
				WaID: string(ev.Target), Body: ev.Text, At: &at})
		}, "Edited")
	case whatsapp.Revoked:
		at := ev.Timestamp
		return in.update(ctx, h, ev.Target, func(q *store.Queries) (store.Message, error) {
			return q.MessageSetRevoked(ctx, store.MessageSetRevokedParams{TenantID: h.TenantID, SessionID: h.SessionID,
				WaID: string(ev.Target), At: &at})
		}, "Deleted for everyone")
	}
	return nil // history syncs and anything else: acknowledged, not stored
}

func (in *Inbound) message(ctx context.Context, h session.Held, m whatsapp.Incoming) error {
	if m.Chat.Server == whatsapp.ServerBroadcast {
		return nil // status updates and broadcast lists are not conversations
	}
	arg := store.MessageInsertInboundParams{TenantID: h.TenantID, SessionID: h.SessionID, WaID: string(m.ID),
		ChatJid: m.Chat.String(), SenderJid: m.Sender.String(), SenderAlt: m.SenderAlt.String(), PushName: m.PushName,
		FromMe: m.IsFromMe, Kind: string(m.Kind), Body: m.Text, ReplyTo: string(m.ReplyTo)}
	arg.ID, _ = uuid.NewV7()
	if arg.Kind == "" {
		arg.Kind = string(whatsapp.KindUnknown)
	}
	arg.Phone = phoneOf(m.Chat, m.SenderAlt)
	ts := m.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	arg.WaTimestamp = &ts
	if m.IsFromMe {
		// Sent from the phone itself: an outbound message the gateway did not send.
		arg.Direction, arg.Status, arg.SentAt = string(message.DirectionOut), string(message.StatusSent), &ts
	} else {
		arg.Direction, arg.Status = string(message.DirectionIn), string(message.StatusReceived)
	}
	switch {
	case m.Location != nil:
		arg.Detail, _ = json.Marshal(m.Location)
	case m.Contact != nil:
		arg.Detail, _ = json.Marshal(m.Contact)
	}
	var job *fetchJob
	var row store.Message
	err := store.WithTx(ctx, in.db, func(q *store.Queries) error {
		if m.Media != nil {
			id, err := in.media.InsertPending(ctx, q, h.TenantID, h.SessionID, m.Media.MIME, m.Media.FileName, m.Media.Size, m.Media.Handle)
			if err != nil {
				return fmt.Errorf("inbound media: %w", err)
			}
			arg.MediaID, arg.FileName = &id, m.Media.FileName
			job = &fetchJob{tenantID: h.TenantID, sessionID: h.SessionID, mediaID: id, handle: m.Media.Handle}
		}
		var err error
		row, err = q.MessageInsertInbound(ctx, arg)
		if err != nil {
			return err
		}
		return message.RecordEvent(ctx, q, row, message.EventReceived, "")
	})
	if store.IsNotFound(err) {
		return nil // a redelivery of a message stored already (the transaction rolled its media row back)
	} else if err != nil {
		return fmt.Errorf("store inbound message: %w", err)
	}
	in.obs.Status(message.Status(row.Status), message.FromRow(row))
	if job != nil {
		select {
		case in.fetch <- *job:
		default:
			in.log.WarnContext(ctx, "media fetch queue full; the file stays pending", "media_id", job.mediaID)
		}
	}
	return nil
}

// phoneOf is the E.164 number of a chat when it is a person's: the chat itself, or its phone-number
// alternative when the chat is a LID.
func phoneOf(chat, alt whatsapp.JID) string {
	switch {
	case chat.Server == whatsapp.ServerUser:
		return "+" + chat.User
	case chat.Server == whatsapp.ServerLID && alt.Server == whatsapp.ServerUser:
		return "+" + alt.User
	}
	return ""
}

func (in *Inbound) receipt(ctx context.Context, h session.Held, r whatsapp.Receipt) error {
	ids := make([]string, len(r.MessageIDs))
	for i, id := range r.MessageIDs {
		ids[i] = string(id)
	}
	at := r.Timestamp
	if at.IsZero() {
		at = time.Now()
	}
	var changed []store.Message
	err := store.WithTx(ctx, in.db, func(q *store.Queries) error {
		var err error
		switch r.Type {
		case whatsapp.ReceiptDelivered:
			changed, err = q.MessageMarkDelivered(ctx, store.MessageMarkDeliveredParams{TenantID: h.TenantID,
				SessionID: h.SessionID, WaIds: ids, At: &at})
		case whatsapp.ReceiptRead, whatsapp.ReceiptPlayed:
			changed, err = q.MessageMarkRead(ctx, store.MessageMarkReadParams{TenantID: h.TenantID,
				SessionID: h.SessionID, WaIds: ids, At: &at})
		default:
			return nil
		}
		if err != nil {
			return err
		}
		for _, row := range changed {
			if err := message.RecordStatus(ctx, q, row, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store receipt: %w", err)
	}
	for _, row := range changed {
		in.obs.Status(message.Status(row.Status), message.FromRow(row))
	}
	return nil
}

func (in *Inbound) update(ctx context.Context, h session.Held, target whatsapp.MessageID, set func(*store.Queries) (store.Message, error), detail string) error {
	err := store.WithTx(ctx, in.db, func(q *store.Queries) error {
		row, err := set(q)
		if err != nil {
			return err
		}
		return message.RecordEvent(ctx, q, row, message.EventUpdated, detail)
	})
	if store.IsNotFound(err) {
		return nil // about a message we never stored (before the gateway, or history)
	} else if err != nil {
		return fmt.Errorf("store update of %s: %w", target, err)
	}
	return nil
}
