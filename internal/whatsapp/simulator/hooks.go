package simulator

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// The test hooks below act on WhatsApp's side, in Postgres: they work from any process, and the
// driver holding the session notices within a poll interval.

// Provision links a device for the session directly, as if it had been paired earlier, and returns
// its device JID (put it in SessionRef.Device). For tests that need a paired session without pairing.
func (c *Connector) Provision(ctx context.Context, sessionID uuid.UUID, phone string) (whatsapp.JID, error) {
	digits, err := normalizePhone(phone)
	if err != nil {
		return whatsapp.JID{}, err
	}
	var acc store.SimAccount
	err = store.WithTx(ctx, c.db, func(q *store.Queries) error {
		acc, err = c.linkAccount(ctx, q, sessionID, digits)
		return err
	})
	if err != nil {
		return whatsapp.JID{}, fmt.Errorf("simulator: provision session %s: %w", sessionID, err)
	}
	return whatsapp.ParseJID(acc.Device)
}

// FailNext makes the session's next Send (in any process) fail with err; calls queue up, one failure
// per send. The whatsapp sentinels, *whatsapp.ServerError and *whatsapp.RateLimitedError survive the
// trip through Postgres intact (errors.Is/As work); any other error comes back as a plain error with
// the same text.
func (c *Connector) FailNext(ctx context.Context, sessionID uuid.UUID, err error) error {
	if err == nil {
		return errors.New("simulator: FailNext needs an error")
	}
	p := store.SimFailureInsertParams{SessionID: sessionID, Kind: "other", Message: err.Error()}
	var (
		se *whatsapp.ServerError
		rl *whatsapp.RateLimitedError
	)
	switch {
	case errors.As(err, &se):
		p.Kind, p.Code, p.Message = "server", int32(se.Code), se.Text
	case errors.As(err, &rl):
		p.Kind, p.RetryAfterMs = "rate_limited", rl.RetryAfter.Milliseconds()
	default:
		for name, s := range sentinels {
			if err == s {
				p.Kind, p.Name = "sentinel", name
			}
		}
	}
	if err := c.q.SimFailureInsert(ctx, p); err != nil {
		return fmt.Errorf("simulator: fail next send: %w", err)
	}
	return nil
}

// Inject makes WhatsApp deliver e to the session. Traffic (MessageReceived, Receipt, Reaction, Edited,
// Revoked, HistorySynced, PushNameChanged, KeepAliveTimeout, KeepAliveRestored) is queued and handed
// to the holder's handler, now or when the session next logs in, until the handler returns nil
// (at-least-once). The others act on the account or its link:
//   - LoggedOut: the device is unlinked (keys void); the live holder gets LoggedOut, or else the next
//     login gets LoggedOut{OnConnect: true} and ErrLoggedOut.
//   - TemporaryBan: the number is banned for Expire (0: until Unban); the live holder gets
//     TemporaryBan, and logins fail with it while the ban lasts.
//   - StreamReplaced: the live connection ends as replaced (as if another client logged in).
//   - Disconnected: WhatsApp closes the live connection (ended as dropped); the holder gets
//     Disconnected and may reconnect.
//   - ClientOutdated, ConnectFailure: the next login is refused with that event.
//
// StreamReplaced and Disconnected need a live connection (ErrNoConnection); the account events need a
// linked account (ErrNoAccount). Connected and PairSucceeded cannot be injected.
func (c *Connector) Inject(ctx context.Context, sessionID uuid.UUID, e whatsapp.Event) error {
	var err error
	switch ev := e.(type) {
	case whatsapp.LoggedOut:
		err = c.remoteLogout(ctx, sessionID, ev)
	case whatsapp.TemporaryBan:
		err = c.ban(ctx, sessionID, ev)
	case whatsapp.StreamReplaced:
		err = c.endLive(ctx, c.q, sessionID, reasonReplaced, "replaced by another client", 0)
	case whatsapp.Disconnected:
		reason := ev.Reason
		if reason == "" {
			reason = "closed by WhatsApp"
		}
		err = c.endLive(ctx, c.q, sessionID, reasonDropped, reason, 0)
	case whatsapp.ClientOutdated:
		err = c.refuse(ctx, sessionID, 405, "client outdated")
	case whatsapp.ConnectFailure:
		err = c.refuse(ctx, sessionID, int32(ev.Code), ev.Message)
	default:
		var (
			kind    string
			payload []byte
		)
		if kind, payload, err = encodeEvent(e); err == nil {
			err = c.q.SimInboxInsert(ctx, store.SimInboxInsertParams{SessionID: sessionID, Kind: kind, Payload: payload})
		}
	}
	if err != nil {
		return fmt.Errorf("simulator: inject %T into session %s: %w", e, sessionID, err)
	}
	return nil
}

// InjectText delivers a text message from a phone number (digits) to the session and returns its id.
func (c *Connector) InjectText(ctx context.Context, sessionID uuid.UUID, fromPhone, text string) (whatsapp.MessageID, error) {
	digits, err := normalizePhone(fromPhone)
	if err != nil {
		return "", err
	}
	from := whatsapp.UserJID(digits)
	in := whatsapp.Incoming{
		ID: whatsapp.NewMessageID(), Chat: from, Sender: from, PushName: "Contact " + digits[len(digits)-4:],
		Timestamp: time.Now().UTC().Truncate(time.Second), Kind: whatsapp.KindText, Text: text,
	}
	if err := c.Inject(ctx, sessionID, whatsapp.MessageReceived{Message: in}); err != nil {
		return "", err
	}
	return in.ID, nil
}

// StoreMedia keeps inbound media bytes WhatsApp-side and returns the IncomingMedia to put in an
// injected message; Driver.Download of its Handle returns the bytes.
func (c *Connector) StoreMedia(ctx context.Context, sessionID uuid.UUID, mime, fileName string, data []byte) (*whatsapp.IncomingMedia, error) {
	id := uuid.New()
	sum := sha256.Sum256(data)
	if err := c.q.SimMediaInsert(ctx, store.SimMediaInsertParams{
		ID: id, SessionID: sessionID, Mime: mime, FileName: fileName, Data: data, Sha256: sum[:],
	}); err != nil {
		return nil, fmt.Errorf("simulator: store media: %w", err)
	}
	return &whatsapp.IncomingMedia{
		MIME: mime, FileName: fileName, Size: int64(len(data)), SHA256: sum[:], Handle: whatsapp.MediaHandle(id.String()),
	}, nil
}

// Freeze makes the session's live link silently dead: its holder still says connected, but it
// stops heartbeating and hears nothing more, and its sends hang (Options.SendTimeout). For testing
// the session host's watchdog. A new connection is healthy again.
func (c *Connector) Freeze(ctx context.Context, sessionID uuid.UUID) error {
	ids, err := c.q.SimConnectionFreeze(ctx, sessionID)
	if err != nil {
		return fmt.Errorf("simulator: freeze session %s: %w", sessionID, err)
	}
	if len(ids) == 0 {
		return ErrNoConnection
	}
	return nil
}

// Unban lifts the session's temporary ban.
func (c *Connector) Unban(ctx context.Context, sessionID uuid.UUID) error {
	n, err := c.q.SimAccountUnban(ctx, sessionID)
	if err != nil {
		return fmt.Errorf("simulator: unban session %s: %w", sessionID, err)
	}
	if n == 0 {
		return ErrNoAccount
	}
	return nil
}

// GroupOptions describe a group for CreateGroup.
type GroupOptions struct {
	Name         string
	Participants int // including the account; default 3
	AnnounceOnly bool
}

// CreateGroup puts the session's account in a new group and returns its JID.
func (c *Connector) CreateGroup(ctx context.Context, sessionID uuid.UUID, g GroupOptions) (whatsapp.JID, error) {
	if g.Participants <= 0 {
		g.Participants = 3
	}
	if g.Name == "" {
		g.Name = "Simulated group"
	}
	jid := whatsapp.JID{User: "120363" + randomDigits(12), Server: whatsapp.ServerGroup}
	if err := c.q.SimGroupInsert(ctx, store.SimGroupInsertParams{
		SessionID: sessionID, Jid: jid.String(), Name: g.Name, Participants: int32(g.Participants), AnnounceOnly: g.AnnounceOnly,
	}); err != nil {
		return whatsapp.JID{}, fmt.Errorf("simulator: create group: %w", err)
	}
	return jid, nil
}

// Number overrides what WhatsApp says about a phone number.
type Number struct {
	OnWhatsApp   bool
	Canonical    string // the digits WhatsApp answers with, when they differ (Brazil's 9th digit …)
	VerifiedName string // a business's verified name
}

// SetNumber overrides the default rule (every number is on WhatsApp except those ending in 0000).
func (c *Connector) SetNumber(ctx context.Context, phone string, n Number) error {
	digits, err := normalizePhone(phone)
	if err != nil {
		return err
	}
	if n.Canonical != "" {
		if n.Canonical, err = normalizePhone(n.Canonical); err != nil {
			return err
		}
	}
	if err := c.q.SimNumberUpsert(ctx, store.SimNumberUpsertParams{
		Phone: digits, OnWhatsapp: n.OnWhatsApp, Canonical: n.Canonical, VerifiedName: n.VerifiedName,
	}); err != nil {
		return fmt.Errorf("simulator: set number: %w", err)
	}
	return nil
}

// Sweep ends every live connection whose heartbeat is older than Options.HeartbeatTimeout as
// heartbeat_lost (logins do this for their own session; Sweep does it for all) and returns them.
func (c *Connector) Sweep(ctx context.Context) ([]Connection, error) {
	rows, err := c.q.SimConnectionEndStale(ctx, c.opts.HeartbeatTimeout.Seconds())
	if err != nil {
		return nil, fmt.Errorf("simulator: sweep connections: %w", err)
	}
	out := make([]Connection, len(rows))
	for i, r := range rows {
		out[i] = connectionOf(r)
	}
	return out, nil
}

func (c *Connector) remoteLogout(ctx context.Context, sessionID uuid.UUID, ev whatsapp.LoggedOut) error {
	code := ev.Code
	if code == 0 {
		code = 401
	}
	reason := ev.Reason
	if reason == "" {
		reason = "the device was unlinked"
	}
	return store.WithTx(ctx, c.db, func(q *store.Queries) error {
		if _, err := q.SimAccountGetForUpdate(ctx, sessionID); store.IsNotFound(err) {
			return ErrNoAccount
		} else if err != nil {
			return err
		}
		if _, err := q.SimAccountSetState(ctx, store.SimAccountSetStateParams{
			SessionID: sessionID, State: stateLoggedOut, LogoutReason: logoutRemote,
		}); err != nil {
			return err
		}
		if err := c.endLive(ctx, q, sessionID, reasonLoggedOut, reason, int32(code)); err != nil && !errors.Is(err, ErrNoConnection) {
			return err
		} else if err == nil {
			// The holder hears it now; the next login must not report it again.
			if err := q.SimAccountLogoutReported(ctx, sessionID); err != nil {
				return err
			}
		}
		return q.SimInboxDeleteBySession(ctx, sessionID)
	})
}

func (c *Connector) ban(ctx context.Context, sessionID uuid.UUID, ev whatsapp.TemporaryBan) error {
	return store.WithTx(ctx, c.db, func(q *store.Queries) error {
		n, err := q.SimAccountBan(ctx, store.SimAccountBanParams{
			SessionID: sessionID, Seconds: ev.Expire.Seconds(), BanCode: int32(ev.Code),
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNoAccount
		}
		if err := c.endLive(ctx, q, sessionID, reasonBanned, banReason(ev.Code), 0); err != nil && !errors.Is(err, ErrNoConnection) {
			return err
		}
		return nil
	})
}

func (c *Connector) refuse(ctx context.Context, sessionID uuid.UUID, code int32, msg string) error {
	n, err := c.q.SimAccountSetRefusal(ctx, store.SimAccountSetRefusalParams{SessionID: sessionID, RefuseCode: code, RefuseMessage: msg})
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNoAccount
	}
	return nil
}

func (c *Connector) endLive(ctx context.Context, q *store.Queries, sessionID uuid.UUID, reason, detail string, code int32) error {
	ids, err := q.SimConnectionEndLive(ctx, store.SimConnectionEndLiveParams{
		SessionID: sessionID, EndReason: &reason, EndDetail: detail, EndCode: code,
	})
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return ErrNoConnection
	}
	return nil
}
