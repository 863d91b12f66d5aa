// Package audit writes and reads the append-only audit log: every operator action and every security
// event (logins, failures, password and 2FA changes, keys created or revoked, suspensions). Who acted
// travels in the context (WithActor, set once per request by the web layer), so services record
// entries inside their own transactions without being handed request details.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
)

// Actor types.
const (
	ActorUser      = "user"
	ActorOperator  = "operator"
	ActorAPIKey    = "api_key"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// Actions. Dotted names sort and filter by prefix ("user." lists every user event).
const (
	UserLogin           = "user.login"
	UserLoginFailed     = "user.login_failed"
	UserLogout          = "user.logout"
	UserPasswordChanged = "user.password_changed"
	UserPasswordReset   = "user.password_reset"
	UserResetLinkMade   = "user.reset_link_created"
	User2FAEnabled      = "user.2fa_enabled"
	User2FADisabled     = "user.2fa_disabled"
	User2FAFailed       = "user.2fa_failed"
	MemberInvited       = "member.invited"
	MemberInviteRevoked = "member.invitation_revoked"
	MemberJoined        = "member.joined"
	MemberRoleChanged   = "member.role_changed"
	MemberRemoved       = "member.removed"
	APIKeyCreated       = "api_key.created"
	APIKeyRevoked       = "api_key.revoked"
	TenantSignedUp      = "tenant.signed_up"
	TenantUpdated       = "tenant.updated"
	TenantApproved      = "tenant.approved"
	TenantSuspended     = "tenant.suspended"
	TenantReactivated   = "tenant.reactivated"
	TenantPlanChanged   = "tenant.plan_changed"
	PlanCreated         = "plan.created"
	PlanUpdated         = "plan.updated"
	SignupModeChanged   = "settings.signup_mode_changed"
	OperatorCreated     = "operator.created"
	OperatorLogin       = "operator.login"
	OperatorLoginFailed = "operator.login_failed"
	OperatorLogout      = "operator.logout"
	Operator2FAEnabled  = "operator.2fa_enabled"
	Operator2FAFailed   = "operator.2fa_failed"
	OperatorPassword    = "operator.password_changed"
)

// Actor is who did something, and from where.
type Actor struct {
	Type      string
	ID        *uuid.UUID
	Email     string
	IP        string
	UserAgent string
}

type ctxKey struct{}

// WithActor returns ctx carrying actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// ActorFrom returns the actor in ctx; without one, the system acted.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(ctxKey{}).(Actor); ok {
		return a
	}
	return Actor{Type: ActorSystem}
}

// Entry is one event.
type Entry struct {
	TenantID   *uuid.UUID // nil for platform events
	Action     string
	TargetType string
	TargetID   string
	Details    map[string]any
}

// Record appends e, done by the actor in ctx, through q (pass the transaction that made the change,
// so the change and its record commit together).
func Record(ctx context.Context, q *store.Queries, e Entry) error {
	return RecordAs(ctx, q, ActorFrom(ctx), e)
}

// RecordAs appends e done by actor (for events whose actor is not the caller, such as a failed login
// by someone who is not logged in).
func RecordAs(ctx context.Context, q *store.Queries, actor Actor, e Entry) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("audit details: %w", err)
		}
	}
	err := q.AuditInsert(ctx, store.AuditInsertParams{
		ID: uuid.Must(uuid.NewV7()), TenantID: e.TenantID, ActorType: actor.Type, ActorID: actor.ID,
		ActorEmail: clean(actor.Email, 320), Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID,
		Ip: clean(actor.IP, 64), UserAgent: clean(actor.UserAgent, 300), Details: details,
	})
	if err != nil {
		return fmt.Errorf("record %s: %w", e.Action, err)
	}
	return nil
}

// clean makes s valid UTF-8 (Postgres refuses anything else, and a failed insert would lose the
// record of, say, a guessed password) and cuts it to n runes.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Filter narrows a listing. Before is the cursor: the id of the last entry of the previous page.
type Filter struct {
	TenantID *uuid.UUID
	Action   string
	Actor    string
	Before   *uuid.UUID
	Limit    int
}

// Page is one page of entries, newest first, with the cursor of the next page (nil at the end).
type Page struct {
	Entries []Item
	Next    *uuid.UUID
}

// Item is an entry with its tenant's name (for the console).
type Item struct {
	ID         uuid.UUID
	TenantID   *uuid.UUID
	TenantName string
	ActorType  string
	ActorEmail string
	Action     string
	TargetType string
	TargetID   string
	IP         string
	Details    map[string]any
	CreatedAt  time.Time
}

func limitOf(f Filter) int32 {
	if f.Limit <= 0 || f.Limit > 200 {
		return 50
	}
	return int32(f.Limit)
}

func nilIfEmpty(s string) *string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "")
	if s == "" {
		return nil
	}
	return &s
}

// Log reads the audit log for the pages that show it: a tenant's own entries, and every entry for
// operators.
type Log struct {
	db store.DBTX
}

// NewLog returns the audit log reader on db.
func NewLog(db store.DBTX) *Log { return &Log{db: db} }

// ListForTenant lists a tenant's own entries.
func (l *Log) ListForTenant(ctx context.Context, tenantID uuid.UUID, f Filter) (Page, error) {
	return ListForTenant(ctx, l.db, tenantID, f)
}

// ListAll lists every entry, for operators.
func (l *Log) ListAll(ctx context.Context, f Filter) (Page, error) {
	return ListAll(ctx, l.db, f)
}

// ListForTenant lists a tenant's own entries.
func ListForTenant(ctx context.Context, db store.DBTX, tenantID uuid.UUID, f Filter) (Page, error) {
	n := limitOf(f)
	rows, err := store.New(db).AuditListByTenant(ctx, store.AuditListByTenantParams{
		TenantID: &tenantID, Action: nilIfEmpty(f.Action), BeforeID: f.Before, RowLimit: n + 1,
	})
	if err != nil {
		return Page{}, fmt.Errorf("list audit log: %w", err)
	}
	var p Page
	for _, r := range rows {
		p.Entries = append(p.Entries, item(r, ""))
	}
	return paginate(p, int(n)), nil
}

// ListAll lists every entry, for operators.
func ListAll(ctx context.Context, db store.DBTX, f Filter) (Page, error) {
	n := limitOf(f)
	rows, err := store.New(db).AuditListAll(ctx, store.AuditListAllParams{
		FilterTenant: f.TenantID, Action: nilIfEmpty(f.Action), Actor: nilIfEmpty(f.Actor), BeforeID: f.Before, RowLimit: n + 1,
	})
	if err != nil {
		return Page{}, fmt.Errorf("list audit log: %w", err)
	}
	var p Page
	for _, r := range rows {
		p.Entries = append(p.Entries, item(store.AuditLog{
			ID: r.ID, TenantID: r.TenantID, ActorType: r.ActorType, ActorID: r.ActorID, ActorEmail: r.ActorEmail,
			Action: r.Action, TargetType: r.TargetType, TargetID: r.TargetID, Ip: r.Ip, UserAgent: r.UserAgent,
			Details: r.Details, CreatedAt: r.CreatedAt,
		}, r.TenantName))
	}
	return paginate(p, int(n)), nil
}

func paginate(p Page, n int) Page {
	if len(p.Entries) > n {
		p.Entries = p.Entries[:n]
		last := p.Entries[n-1].ID
		p.Next = &last
	}
	return p
}

func item(r store.AuditLog, tenantName string) Item {
	it := Item{ID: r.ID, TenantID: r.TenantID, TenantName: tenantName, ActorType: r.ActorType, ActorEmail: r.ActorEmail,
		Action: r.Action, TargetType: r.TargetType, TargetID: r.TargetID, IP: r.Ip, CreatedAt: r.CreatedAt}
	_ = json.Unmarshal(r.Details, &it.Details)
	return it
}
