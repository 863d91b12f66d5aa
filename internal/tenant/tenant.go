// Package tenant owns tenants (the businesses using Wagate), the plans they are on, the platform's
// sign-up mode, and usage against plan limits. It must not import web, worker or auth.
package tenant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/validate"
)

// Statuses of a tenant.
const (
	StatusPending   = "pending"
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Sign-up modes the operator chooses between.
const (
	SignupOpen     = "open"     // anyone may sign up and start at once
	SignupApproval = "approval" // anyone may sign up; an operator approves before the tenant may act
	SignupInvite   = "invite"   // no public sign-up; people join by invitation only
)

// SignupModes lists the modes in the order the console shows them.
var SignupModes = []string{SignupOpen, SignupApproval, SignupInvite}

var (
	ErrNotFound      = errors.New("tenant not found")
	ErrPlanNotFound  = errors.New("plan not found")
	ErrInvalidStatus = errors.New("the tenant is not in a state that allows this")
)

// Tenant is a tenant with its plan.
type Tenant struct {
	ID              uuid.UUID
	Name            string
	Status          string
	SuspendedReason string // why an operator suspended it, for its users
	Timezone        string
	DefaultCountry  string // for phone numbers typed without a country code
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Plan            Plan
}

// tenantOf is the one conversion of a tenants row and its plan's.
func tenantOf(t store.Tenant, p store.Plan) Tenant {
	return Tenant{ID: t.ID, Name: t.Name, Status: t.Status, SuspendedReason: t.SuspendedReason, Timezone: t.Timezone,
		DefaultCountry: t.DefaultCountry, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Plan: planOf(p)}
}

// Service manages tenants and plans.
type Service struct {
	db store.DB
}

// NewService returns a Service on db.
func NewService(db store.DB) *Service { return &Service{db: db} }

// Get returns the tenant with its plan.
func (s *Service) Get(ctx context.Context, tenantID uuid.UUID) (Tenant, error) {
	row, err := store.New(s.db).TenantWithPlan(ctx, tenantID)
	if store.IsNotFound(err) {
		return Tenant{}, ErrNotFound
	} else if err != nil {
		return Tenant{}, fmt.Errorf("get tenant %s: %w", tenantID, err)
	}
	return tenantOf(row.Tenant, row.Plan), nil
}

// CreateInput is what a new tenant starts with.
type CreateInput struct {
	Name   string
	Status string
}

// Create inserts a tenant on the default plan, inside the caller's transaction q (sign-up creates
// the tenant and its owner together).
func Create(ctx context.Context, q *store.Queries, in CreateInput) (Tenant, error) {
	plan, err := q.PlanGetDefault(ctx)
	if err != nil {
		return Tenant{}, fmt.Errorf("default plan: %w", err)
	}
	t, err := q.TenantInsert(ctx, store.TenantInsertParams{
		ID: uuid.Must(uuid.NewV7()), Name: strings.TrimSpace(in.Name), Status: in.Status, PlanID: plan.ID,
		Timezone: "UTC", DefaultCountry: "US",
	})
	if err != nil {
		return Tenant{}, fmt.Errorf("insert tenant: %w", err)
	}
	return tenantOf(t, plan), nil
}

// SignupMode returns the platform's current sign-up mode.
func (s *Service) SignupMode(ctx context.Context) (string, error) {
	st, err := store.New(s.db).SettingsGet(ctx)
	if err != nil {
		return "", fmt.Errorf("read settings: %w", err)
	}
	return st.SignupMode, nil
}

// SetSignupMode changes the sign-up mode (operators).
func (s *Service) SetSignupMode(ctx context.Context, mode string) error {
	valid := false
	for _, m := range SignupModes {
		valid = valid || m == mode
	}
	if !valid {
		return validate.Field("signup_mode", "Choose open, approval or invite.")
	}
	return store.WithTx(ctx, s.db, func(q *store.Queries) error {
		if _, err := q.SettingsSetSignupMode(ctx, mode); err != nil {
			return fmt.Errorf("set signup mode: %w", err)
		}
		return audit.Record(ctx, q, audit.Entry{Action: audit.SignupModeChanged, TargetType: "settings", Details: map[string]any{"signup_mode": mode}})
	})
}

// ListFilter narrows the console's tenant list. Cursor is the last row of the previous page.
type ListFilter struct {
	Search string
	Status string
	Cursor *Cursor
	Limit  int
}

// Cursor is a keyset position in the tenant list.
type Cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// ListItem is a tenant as the console lists it.
type ListItem struct {
	ID          uuid.UUID
	Name        string
	Status      string
	PlanName    string
	MemberCount int64
	OwnerEmail  string // the first owner's
	CreatedAt   time.Time
}

// ListPage is one page of tenants and the cursor of the next (nil at the end).
type ListPage struct {
	Items []ListItem
	Next  *Cursor
}

// List lists tenants for operators, newest first.
func (s *Service) List(ctx context.Context, f ListFilter) (ListPage, error) {
	limit := f.Limit
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	p := store.TenantAdminListParams{RowLimit: int32(limit + 1)}
	if v := strings.ToValidUTF8(strings.TrimSpace(f.Search), ""); v != "" {
		p.Search = &v
	}
	if f.Status != "" {
		p.Status = &f.Status
	}
	if f.Cursor != nil {
		p.BeforeCreated, p.BeforeID = &f.Cursor.CreatedAt, &f.Cursor.ID
	}
	rows, err := store.New(s.db).TenantAdminList(ctx, p)
	if err != nil {
		return ListPage{}, fmt.Errorf("list tenants: %w", err)
	}
	page := ListPage{Items: make([]ListItem, len(rows))}
	for i, r := range rows {
		page.Items[i] = ListItem{ID: r.ID, Name: r.Name, Status: r.Status, PlanName: r.PlanName, MemberCount: r.MemberCount,
			OwnerEmail: r.OwnerEmail, CreatedAt: r.CreatedAt}
	}
	if len(rows) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = &Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return page, nil
}

// StatusCounts is how many tenants are in each status.
type StatusCounts struct {
	Pending   int64
	Active    int64
	Suspended int64
}

// Counts returns how many tenants are in each status.
func (s *Service) Counts(ctx context.Context) (StatusCounts, error) {
	c, err := store.New(s.db).TenantAdminCount(ctx)
	if err != nil {
		return StatusCounts{}, fmt.Errorf("count tenants: %w", err)
	}
	return StatusCounts{Pending: c.Pending, Active: c.Active, Suspended: c.Suspended}, nil
}

// Approve activates a pending tenant.
func (s *Service) Approve(ctx context.Context, id uuid.UUID) error {
	return s.setStatus(ctx, id, []string{StatusPending}, StatusActive, "", audit.TenantApproved)
}

// Suspend stops a tenant: its users see a notice and cannot act, its API keys get 403.
func (s *Service) Suspend(ctx context.Context, id uuid.UUID, reason string) error {
	reason = strings.TrimSpace(reason)
	if len(reason) > 500 {
		return validate.Field("reason", "Must be at most 500 characters.")
	}
	return s.setStatus(ctx, id, []string{StatusPending, StatusActive}, StatusSuspended, reason, audit.TenantSuspended)
}

// Reactivate lifts a suspension.
func (s *Service) Reactivate(ctx context.Context, id uuid.UUID) error {
	return s.setStatus(ctx, id, []string{StatusSuspended}, StatusActive, "", audit.TenantReactivated)
}

func (s *Service) setStatus(ctx context.Context, id uuid.UUID, from []string, to, reason, action string) error {
	return store.WithTx(ctx, s.db, func(q *store.Queries) error {
		t, err := q.TenantGet(ctx, id)
		if store.IsNotFound(err) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("get tenant: %w", err)
		}
		_, err = q.TenantSetStatus(ctx, store.TenantSetStatusParams{ID: id, Status: to, SuspendedReason: reason, FromStatuses: from})
		if store.IsNotFound(err) {
			return ErrInvalidStatus
		} else if err != nil {
			return fmt.Errorf("set tenant status: %w", err)
		}
		details := map[string]any{"from": t.Status, "to": to}
		if reason != "" {
			details["reason"] = reason
		}
		return audit.Record(ctx, q, audit.Entry{TenantID: &id, Action: action, TargetType: "tenant", TargetID: id.String(), Details: details})
	})
}

// ChangePlan moves a tenant to another plan.
func (s *Service) ChangePlan(ctx context.Context, id, planID uuid.UUID) error {
	return store.WithTx(ctx, s.db, func(q *store.Queries) error {
		t, err := q.TenantGet(ctx, id)
		if store.IsNotFound(err) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("get tenant: %w", err)
		}
		plan, err := q.PlanGet(ctx, planID)
		if store.IsNotFound(err) {
			return validate.Field("plan_id", "Choose one of the plans.")
		} else if err != nil {
			return fmt.Errorf("get plan: %w", err)
		}
		if _, err := q.TenantSetPlan(ctx, store.TenantSetPlanParams{ID: id, PlanID: planID}); err != nil {
			return fmt.Errorf("set plan: %w", err)
		}
		return audit.Record(ctx, q, audit.Entry{TenantID: &id, Action: audit.TenantPlanChanged, TargetType: "tenant",
			TargetID: id.String(), Details: map[string]any{"from_plan_id": t.PlanID.String(), "to_plan": plan.Name}})
	})
}

// Settings are what a tenant's owner or admin may change about it.
type Settings struct {
	Name           string
	Timezone       string
	DefaultCountry string
}

// UpdateSettings changes the tenant's name, time zone and default country, and returns them as saved.
func (s *Service) UpdateSettings(ctx context.Context, tenantID uuid.UUID, in Settings) (Settings, error) {
	var c validate.Checker
	c.Required("name", in.Name, 100)
	if _, err := time.LoadLocation(in.Timezone); err != nil || in.Timezone == "" || in.Timezone == "Local" {
		c.Add("timezone", "Choose a time zone such as Europe/Berlin or UTC.")
	}
	in.DefaultCountry = strings.ToUpper(strings.TrimSpace(in.DefaultCountry))
	c.Check(len(in.DefaultCountry) == 2 && in.DefaultCountry[0] >= 'A' && in.DefaultCountry[0] <= 'Z' && in.DefaultCountry[1] >= 'A' && in.DefaultCountry[1] <= 'Z',
		"default_country", "Use a two-letter country code such as US or DE.")
	if err := c.Err(); err != nil {
		return Settings{}, err
	}
	var out Settings
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		t, err := q.TenantUpdateSettings(ctx, store.TenantUpdateSettingsParams{TenantID: tenantID, Name: strings.TrimSpace(in.Name), Timezone: in.Timezone, DefaultCountry: in.DefaultCountry})
		if store.IsNotFound(err) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("update tenant: %w", err)
		}
		out = Settings{Name: t.Name, Timezone: t.Timezone, DefaultCountry: t.DefaultCountry}
		return audit.Record(ctx, q, audit.Entry{TenantID: &tenantID, Action: audit.TenantUpdated, TargetType: "tenant", TargetID: tenantID.String()})
	})
	return out, err
}

// Usage is what a tenant uses of its plan so far.
type Usage struct {
	Members       int64
	ActiveAPIKeys int64
}

// Usage counts the tenant's use of its plan.
func (s *Service) Usage(ctx context.Context, tenantID uuid.UUID) (Usage, error) {
	u, err := store.New(s.db).TenantUsage(ctx, tenantID)
	if err != nil {
		return Usage{}, fmt.Errorf("tenant usage: %w", err)
	}
	return Usage{Members: u.Members, ActiveAPIKeys: u.ActiveApiKeys}, nil
}
