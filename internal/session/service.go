package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/whatsapp"
)

// Audit actions of users' requests on sessions.
const (
	ActionCreated        = "session.created"
	ActionPairRequested  = "session.pair_requested"
	ActionReconnected    = "session.reconnect_requested"
	ActionLogoutRequest  = "session.logout_requested"
	ActionDeleteRequest  = "session.deleted"
	maxNameLen           = 60
	defaultHistoryLength = 50
)

// Service carries out users' requests on sessions (HTTP, API). It writes the intent to Postgres and
// wakes the session's holder over Redis; the holder (Host, on whichever instance leases the session)
// does the WhatsApp side. It never opens a socket itself, except Connector.Delete to wipe the keys of
// a session nobody holds.
type Service struct {
	db   store.DB
	conn whatsapp.Connector
	bus  *cluster.PubSub
	log  *slog.Logger
}

// NewService returns the session service. bus may be nil (no live updates: holders notice by polling).
func NewService(db store.DB, conn whatsapp.Connector, bus *cluster.PubSub, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, conn: conn, bus: bus, log: log}
}

// Create adds a session named name, within the plan's max_sessions (*LimitError otherwise; a bad
// name is a validate.Errors on "name"). Hosts place it at once; it waits in status new for RequestPair.
func (s *Service) Create(ctx context.Context, tenantID uuid.UUID, name string) (Session, error) {
	name = strings.TrimSpace(name)
	var c validate.Checker
	c.Required("name", name, maxNameLen)
	if err := c.Err(); err != nil {
		return Session{}, err
	}
	var row store.WaSession
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		max, err := q.SessionTenantLimitForUpdate(ctx, tenantID)
		if store.IsNotFound(err) {
			return fmt.Errorf("tenant %s: %w", tenantID, ErrNotFound)
		} else if err != nil {
			return err
		}
		n, err := q.SessionCountByTenant(ctx, tenantID)
		if err != nil {
			return err
		}
		if n >= int64(max) {
			return &LimitError{Max: int(max)}
		}
		row, err = q.SessionInsert(ctx, store.SessionInsertParams{
			ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Name: name,
			StatusReason: "Created. Pair it with your phone: by QR code, or by a code sent to your number.",
		})
		if err != nil {
			return err
		}
		if err := insertEvent(ctx, q, row, nil); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Entry{TenantID: &tenantID, Action: ActionCreated, TargetType: "session",
			TargetID: row.ID.String(), Details: map[string]any{"name": name}})
	})
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	s.announce(ctx, row)
	return sessionOf(row, nil), nil
}

// List returns the tenant's sessions, oldest first.
func (s *Service) List(ctx context.Context, tenantID uuid.UUID) ([]Session, error) {
	rows, err := store.New(s.db).SessionListByTenant(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		out[i] = sessionOf(store.WaSession{
			ID: r.ID, TenantID: r.TenantID, Name: r.Name, Status: r.Status, StatusReason: r.StatusReason,
			StatusChangedAt: r.StatusChangedAt, Phone: r.Phone, PushName: r.PushName, DeviceJid: r.DeviceJid,
			Lid: r.Lid, PairMethod: r.PairMethod, PairPhone: r.PairPhone, Qr: r.Qr, QrExpiresAt: r.QrExpiresAt,
			PairCode: r.PairCode, PairCodeExpiresAt: r.PairCodeExpiresAt, ConnectedAt: r.ConnectedAt,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		}, r.HolderInstanceID)
		if r.HolderSilent {
			out[i] = silentHolder(out[i])
		}
	}
	return out, nil
}

// Get returns one of the tenant's sessions; ErrNotFound for an unknown id or another tenant's.
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (Session, error) {
	r, err := store.New(s.db).SessionGet(ctx, store.SessionGetParams{TenantID: tenantID, ID: id})
	if store.IsNotFound(err) {
		return Session{}, ErrNotFound
	} else if err != nil {
		return Session{}, fmt.Errorf("get session: %w", err)
	}
	out := sessionOf(store.WaSession{
		ID: r.ID, TenantID: r.TenantID, Name: r.Name, Status: r.Status, StatusReason: r.StatusReason,
		StatusChangedAt: r.StatusChangedAt, Phone: r.Phone, PushName: r.PushName, DeviceJid: r.DeviceJid,
		Lid: r.Lid, PairMethod: r.PairMethod, PairPhone: r.PairPhone, Qr: r.Qr, QrExpiresAt: r.QrExpiresAt,
		PairCode: r.PairCode, PairCodeExpiresAt: r.PairCodeExpiresAt, ConnectedAt: r.ConnectedAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}, r.HolderInstanceID)
	if r.HolderSilent {
		out = silentHolder(out)
	}
	return out, nil
}

// ReasonHolderSilent is what a session shows while the row still says connected but its holder died:
// it never got to write its status, and the next holder has not taken over yet.
const ReasonHolderSilent = "Reconnecting: the instance holding it stopped answering; another instance takes it over."

// silentHolder tells the truth about a session whose holder died.
func silentHolder(s Session) Session {
	s.Status, s.StatusReason, s.Holder = StatusDisconnected, ReasonHolderSilent, nil
	return s
}

// History returns the session's status history, newest first (at most limit entries; 50 when limit ≤ 0).
func (s *Service) History(ctx context.Context, tenantID, id uuid.UUID, limit int) ([]Event, error) {
	if _, err := s.Get(ctx, tenantID, id); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = defaultHistoryLength
	}
	rows, err := store.New(s.db).SessionEventList(ctx, store.SessionEventListParams{TenantID: tenantID, SessionID: id, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("session history: %w", err)
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = Event{ID: r.ID, Status: r.Status, Reason: r.Reason, Instance: r.InstanceID, At: r.At}
	}
	return out, nil
}

// RequestPair asks the holder to pair the session: by QR codes when phone is empty, else by a pairing
// code for that number (international format; a bad one is a validate.Errors on "phone"). The codes
// appear in Session.QR / PairCode and in Updates. ErrAlreadyPaired when a device is linked.
func (s *Service) RequestPair(ctx context.Context, tenantID, id uuid.UUID, phone string) (Session, error) {
	method, digits, reason := "qr", "", "Waiting for a QR code from WhatsApp…"
	if strings.TrimSpace(phone) != "" {
		var ok bool
		if digits, ok = normalizePhone(phone); !ok {
			return Session{}, validate.Field("phone", "Enter the number in international format, e.g. +49 151 23456789.")
		}
		method, reason = "code", "Asking WhatsApp for a pairing code for +"+digits+"…"
	}
	row, err := s.request(ctx, tenantID, id, ActionPairRequested, map[string]any{"method": method},
		func(q *store.Queries, cur store.WaSession) (store.WaSession, error) {
			if cur.DeviceJid != "" && cur.Status != StatusLoggedOut {
				return cur, ErrAlreadyPaired
			}
			return q.SessionRequestPair(ctx, store.SessionRequestPairParams{
				TenantID: tenantID, ID: id, PairMethod: method, PairPhone: digits, StatusReason: reason,
			})
		})
	if err != nil {
		return Session{}, err
	}
	return sessionOf(row, nil), nil
}

// Reconnect asks the holder to connect the session again now, whatever its state (parked, failed,
// banned, disconnected, or connected: then the link is renewed). ErrNotPaired without a device.
func (s *Service) Reconnect(ctx context.Context, tenantID, id uuid.UUID) (Session, error) {
	row, err := s.request(ctx, tenantID, id, ActionReconnected, nil,
		func(q *store.Queries, cur store.WaSession) (store.WaSession, error) {
			if cur.DeviceJid == "" {
				return cur, ErrNotPaired
			}
			return q.SessionRequestReconnect(ctx, store.SessionRequestReconnectParams{
				TenantID: tenantID, ID: id, StatusReason: "Reconnecting at your request…",
			})
		})
	if err != nil {
		return Session{}, err
	}
	return sessionOf(row, nil), nil
}

// Logout unlinks the session's device, on WhatsApp too when it is connected, and wipes its keys; the
// session stays, in status logged_out, ready to pair again. The holder does it; when no instance holds
// the session, the keys are wiped here at once.
func (s *Service) Logout(ctx context.Context, tenantID, id uuid.UUID) (Session, error) {
	row, err := s.request(ctx, tenantID, id, ActionLogoutRequest, nil,
		func(q *store.Queries, cur store.WaSession) (store.WaSession, error) {
			if cur.DeviceJid == "" {
				return cur, ErrNotPaired
			}
			return q.SessionRequestLogout(ctx, store.SessionRequestLogoutParams{TenantID: tenantID, ID: id})
		})
	if err != nil {
		return Session{}, err
	}
	held, err := store.New(s.db).SessionIsHeld(ctx, store.SessionIsHeldParams{TenantID: tenantID, ID: id})
	if err != nil || held {
		return sessionOf(row, nil), nil // the holder carries it out
	}
	if err := s.conn.Delete(ctx, refOf(row, 0)); err != nil {
		return sessionOf(row, nil), fmt.Errorf("log out session: %w", err)
	}
	err = store.WithTx(ctx, s.db, func(q *store.Queries) error {
		r, err := q.SessionLogoutUnheld(ctx, store.SessionLogoutUnheldParams{
			TenantID: tenantID, ID: id, StatusReason: reasonLoggedOutByUser,
		})
		if store.IsNotFound(err) {
			return nil // a holder took it meanwhile: it will see the request
		} else if err != nil {
			return err
		}
		row = r
		return insertEvent(ctx, q, r, nil)
	})
	if err != nil {
		return sessionOf(row, nil), fmt.Errorf("log out session: %w", err)
	}
	s.publish(ctx, row)
	return sessionOf(row, nil), nil
}

// Delete removes the session: its holder logs it out when connected, wipes the device keys and
// removes the row; when no instance holds it, that happens here at once (the keys are wiped even
// though nothing is connected). The session disappears from List and Get immediately.
func (s *Service) Delete(ctx context.Context, tenantID, id uuid.UUID) error {
	row, err := s.request(ctx, tenantID, id, ActionDeleteRequest, nil,
		func(q *store.Queries, _ store.WaSession) (store.WaSession, error) {
			return q.SessionRequestDelete(ctx, store.SessionRequestDeleteParams{TenantID: tenantID, ID: id})
		})
	if err != nil {
		return err
	}
	deleted := updateOf(row)
	deleted.Status, deleted.Reason, deleted.At = StatusDeleted, "Deleted.", time.Now().UTC()
	s.publishUpdate(ctx, deleted)
	held, err := store.New(s.db).SessionIsHeld(ctx, store.SessionIsHeldParams{TenantID: tenantID, ID: id})
	if err != nil || held {
		return nil
	}
	if err := s.conn.Delete(ctx, refOf(row, 0)); err != nil {
		// Nothing is lost: a host takes the session over and finishes the deletion.
		s.log.WarnContext(ctx, "wipe keys of a deleted session", "session_id", id, "err", err)
		return nil
	}
	if _, err := store.New(s.db).SessionDeleteUnheld(ctx, store.SessionDeleteUnheldParams{TenantID: tenantID, ID: id}); err != nil {
		s.log.WarnContext(ctx, "remove deleted session", "session_id", id, "err", err)
	}
	return nil
}

// Subscribe streams the tenant's session updates until ctx ends (for SSE). Updates are liveness only:
// a page must load the current state with List/Get first; a lost update is repaired by the next.
func (s *Service) Subscribe(ctx context.Context, tenantID uuid.UUID) (<-chan Update, error) {
	if s.bus == nil {
		return nil, errors.New("session updates: no pub/sub configured")
	}
	msgs, err := s.bus.Subscribe(ctx, TenantChannel(tenantID))
	if err != nil {
		return nil, err
	}
	out := make(chan Update, 16)
	go func() {
		defer close(out)
		for m := range msgs {
			var u Update
			if json.Unmarshal(m.Payload, &u) != nil || u.TenantID != tenantID {
				continue
			}
			select {
			case out <- u:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// request runs a user's request: lock the row, apply change, record history (when the status changed)
// and audit in one transaction; then publish the update and wake the holder.
func (s *Service) request(ctx context.Context, tenantID, id uuid.UUID, action string, details map[string]any,
	change func(q *store.Queries, cur store.WaSession) (store.WaSession, error)) (store.WaSession, error) {
	var row store.WaSession
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		cur, err := q.SessionGetForUpdate(ctx, store.SessionGetForUpdateParams{TenantID: tenantID, ID: id})
		if store.IsNotFound(err) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if row, err = change(q, cur); err != nil {
			return err
		}
		if row.Status != cur.Status {
			if err := insertEvent(ctx, q, row, nil); err != nil {
				return err
			}
		}
		return audit.Record(ctx, q, audit.Entry{TenantID: &tenantID, Action: action, TargetType: "session",
			TargetID: id.String(), Details: details})
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotPaired) || errors.Is(err, ErrAlreadyPaired) {
			return row, err
		}
		return row, fmt.Errorf("%s: %w", action, err)
	}
	s.announce(ctx, row)
	return row, nil
}

// announce publishes the row's update and wakes its holder (or placement, for a new session).
func (s *Service) announce(ctx context.Context, row store.WaSession) {
	s.publish(ctx, row)
	if s.bus == nil {
		return
	}
	if err := s.bus.Publish(ctx, intentChannel, intentMsg{SessionID: row.ID}); err != nil {
		s.log.WarnContext(ctx, "wake session holder", "session_id", row.ID, "err", err)
	}
}

func (s *Service) publish(ctx context.Context, row store.WaSession) {
	s.publishUpdate(ctx, updateOf(row))
}

func (s *Service) publishUpdate(ctx context.Context, u Update) {
	if s.bus == nil {
		return
	}
	if err := s.bus.Publish(ctx, TenantChannel(u.TenantID), u); err != nil {
		s.log.WarnContext(ctx, "publish session update", "session_id", u.SessionID, "err", err)
	}
}

func insertEvent(ctx context.Context, q *store.Queries, row store.WaSession, instance *uuid.UUID) error {
	return q.SessionEventInsert(ctx, store.SessionEventInsertParams{
		SessionID: row.ID, TenantID: row.TenantID, Status: row.Status, Reason: row.StatusReason, InstanceID: instance,
	})
}

func refOf(row store.WaSession, fence int64) whatsapp.SessionRef {
	ref := whatsapp.SessionRef{ID: row.ID, TenantID: row.TenantID, Fence: fence}
	if row.DeviceJid != "" {
		if jid, err := whatsapp.ParseJID(row.DeviceJid); err == nil {
			ref.Device = jid
		}
	}
	return ref
}

// normalizePhone accepts an international number with the usual punctuation and returns its digits
// (7 to 15, not starting with 0, as WhatsApp's pairing requires).
func normalizePhone(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", false
		}
	}
	d := b.String()
	if len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return "", false
	}
	return d, true
}
