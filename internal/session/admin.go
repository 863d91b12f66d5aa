package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/store"
)

// ActionParked is the audit action of an operator's force disconnect.
const ActionParked = "session.force_disconnected"

// ReasonParkedByOperator is what the tenant reads on a session an operator disconnected.
const ReasonParkedByOperator = "Disconnected by the platform operator. It stays disconnected until you press Reconnect."

// AdminSession is a session as the operator console lists it: any tenant's, with its tenant's name.
type AdminSession struct {
	Session
	TenantName string
}

// AdminPage is one page of the console's session list.
type AdminPage struct {
	Sessions []AdminSession
	Total    int64
}

// ListAll returns every tenant's sessions, newest first, filtered by query (a tenant name or phone
// digits; "" for all), limit at a time from offset. For the operator console only.
func (s *Service) ListAll(ctx context.Context, query string, limit, offset int) (AdminPage, error) {
	query = strings.TrimSpace(query)
	if d, ok := normalizePhone(query); ok {
		query = d // "+49 151 …" matches stored digits
	}
	q := store.New(s.db)
	rows, err := q.SessionAdminList(ctx, store.SessionAdminListParams{Query: query, MaxRows: int32(limit), SkipRows: int32(offset)})
	if err != nil {
		return AdminPage{}, fmt.Errorf("list all sessions: %w", err)
	}
	total, err := q.SessionAdminCount(ctx, query)
	if err != nil {
		return AdminPage{}, fmt.Errorf("count all sessions: %w", err)
	}
	p := AdminPage{Total: total, Sessions: make([]AdminSession, len(rows))}
	for i, r := range rows {
		p.Sessions[i] = AdminSession{TenantName: r.TenantName, Session: Session{
			ID: r.ID, TenantID: r.TenantID, Name: r.Name, Status: r.Status, StatusReason: r.StatusReason,
			StatusChangedAt: r.StatusChangedAt, Phone: r.Phone, PushName: r.PushName, Holder: r.HolderInstanceID,
			CreatedAt: r.CreatedAt,
		}}
	}
	return p, nil
}

// Park force-disconnects a session of any tenant (an operator's action, audited): it is parked at
// once, its holder disconnects it, and it stays parked until someone reconnects it. reason is what
// the tenant reads (ReasonParkedByOperator when empty). ErrNotFound for an unknown id.
func (s *Service) Park(ctx context.Context, id uuid.UUID, reason string) (Session, error) {
	if strings.TrimSpace(reason) == "" {
		reason = ReasonParkedByOperator
	}
	var row store.WaSession
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		var err error
		row, err = q.SessionAdminRequestPark(ctx, store.SessionAdminRequestParkParams{ID: id, StatusReason: reason})
		if store.IsNotFound(err) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if err := insertEvent(ctx, q, row, nil); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Entry{TenantID: &row.TenantID, Action: ActionParked, TargetType: "session",
			TargetID: id.String(), Details: map[string]any{"name": row.Name}})
	})
	if err == ErrNotFound {
		return Session{}, err
	} else if err != nil {
		return Session{}, fmt.Errorf("park session: %w", err)
	}
	s.announce(ctx, row)
	return sessionOf(row, nil), nil
}
