package tenant

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/validate"
)

// Plan is what a tenant may do: its limits. Sizes are in bytes, delays in milliseconds.
type Plan struct {
	ID                   uuid.UUID
	Name                 string
	MaxSessions          int32
	MessagesPerDay       int32
	SendRatePerMinute    int32
	DelayMinMs           int32
	DelayMaxMs           int32
	MaxCampaignSize      int32
	MaxMediaBytes        int64
	StorageQuotaBytes    int64
	APIRequestsPerMinute int32
	MaxWebhookEndpoints  int32
	IsDefault            bool // new tenants start on it
}

// planOf is the one conversion of a plans row.
func planOf(p store.Plan) Plan {
	return Plan{ID: p.ID, Name: p.Name, MaxSessions: p.MaxSessions, MessagesPerDay: p.MessagesPerDay,
		SendRatePerMinute: p.SendRatePerMinute, DelayMinMs: p.DelayMinMs, DelayMaxMs: p.DelayMaxMs,
		MaxCampaignSize: p.MaxCampaignSize, MaxMediaBytes: p.MaxMediaBytes, StorageQuotaBytes: p.StorageQuotaBytes,
		APIRequestsPerMinute: p.ApiRequestsPerMinute, MaxWebhookEndpoints: p.MaxWebhookEndpoints, IsDefault: p.IsDefault}
}

// PlanListItem is a plan as the console lists it: with how many tenants are on it.
type PlanListItem struct {
	Plan
	Tenants int64
}

// PlanInput is every field of a plan an operator sets. Sizes are in bytes, delays in milliseconds.
type PlanInput struct {
	Name                 string
	MaxSessions          int32
	MessagesPerDay       int32
	SendRatePerMinute    int32
	DelayMinMs           int32
	DelayMaxMs           int32
	MaxCampaignSize      int32
	MaxMediaBytes        int64
	StorageQuotaBytes    int64
	APIRequestsPerMinute int32
	MaxWebhookEndpoints  int32
	Default              bool
}

// FromPlan returns the input that would recreate p, for edit forms.
func FromPlan(p Plan) PlanInput {
	return PlanInput{Name: p.Name, MaxSessions: p.MaxSessions, MessagesPerDay: p.MessagesPerDay,
		SendRatePerMinute: p.SendRatePerMinute, DelayMinMs: p.DelayMinMs, DelayMaxMs: p.DelayMaxMs,
		MaxCampaignSize: p.MaxCampaignSize, MaxMediaBytes: p.MaxMediaBytes, StorageQuotaBytes: p.StorageQuotaBytes,
		APIRequestsPerMinute: p.APIRequestsPerMinute, MaxWebhookEndpoints: p.MaxWebhookEndpoints, Default: p.IsDefault}
}

// MaxUploadBytes bounds any plan's media size: the HTTP layer buffers whole bodies up to it.
const MaxUploadBytes = 100 << 20

func (in PlanInput) check() error {
	var c validate.Checker
	c.Required("name", in.Name, 60)
	c.Check(in.MaxSessions >= 0 && in.MaxSessions <= 10000, "max_sessions", "Between 0 and 10,000.")
	c.Check(in.MessagesPerDay >= 0 && in.MessagesPerDay <= 10_000_000, "messages_per_day", "Between 0 and 10,000,000.")
	c.Check(in.SendRatePerMinute >= 1 && in.SendRatePerMinute <= 600, "send_rate_per_minute", "Between 1 and 600.")
	c.Check(in.DelayMinMs >= 0 && in.DelayMinMs <= 600_000, "delay_min_ms", "Between 0 and 600,000 ms.")
	c.Check(in.DelayMaxMs >= in.DelayMinMs && in.DelayMaxMs <= 600_000, "delay_max_ms", "At least the minimum delay, and at most 600,000 ms.")
	c.Check(in.MaxCampaignSize >= 0 && in.MaxCampaignSize <= 10_000_000, "max_campaign_size", "Between 0 and 10,000,000.")
	c.Check(in.MaxMediaBytes >= 0 && in.MaxMediaBytes <= MaxUploadBytes, "max_media_bytes", "Between 0 and 100 MiB.")
	c.Check(in.StorageQuotaBytes >= 0, "storage_quota_bytes", "Must not be negative.")
	c.Check(in.APIRequestsPerMinute >= 1 && in.APIRequestsPerMinute <= 100_000, "api_requests_per_minute", "Between 1 and 100,000.")
	c.Check(in.MaxWebhookEndpoints >= 0 && in.MaxWebhookEndpoints <= 100, "max_webhook_endpoints", "Between 0 and 100.")
	return c.Err()
}

// Plans lists every plan with how many tenants are on it, the default first.
func (s *Service) Plans(ctx context.Context) ([]PlanListItem, error) {
	rows, err := store.New(s.db).PlanList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	out := make([]PlanListItem, len(rows))
	for i, r := range rows {
		out[i] = PlanListItem{Tenants: r.TenantCount, Plan: planOf(store.Plan{ID: r.ID, Name: r.Name, MaxSessions: r.MaxSessions,
			MessagesPerDay: r.MessagesPerDay, SendRatePerMinute: r.SendRatePerMinute, DelayMinMs: r.DelayMinMs,
			DelayMaxMs: r.DelayMaxMs, MaxCampaignSize: r.MaxCampaignSize, MaxMediaBytes: r.MaxMediaBytes,
			StorageQuotaBytes: r.StorageQuotaBytes, ApiRequestsPerMinute: r.ApiRequestsPerMinute,
			MaxWebhookEndpoints: r.MaxWebhookEndpoints, IsDefault: r.IsDefault})}
	}
	return out, nil
}

// Plan returns one plan.
func (s *Service) Plan(ctx context.Context, id uuid.UUID) (Plan, error) {
	p, err := store.New(s.db).PlanGet(ctx, id)
	if store.IsNotFound(err) {
		return Plan{}, ErrPlanNotFound
	} else if err != nil {
		return Plan{}, fmt.Errorf("get plan: %w", err)
	}
	return planOf(p), nil
}

// LargestMediaBytes is the largest media size any plan allows: what the HTTP layer must be ready
// to buffer.
func (s *Service) LargestMediaBytes(ctx context.Context) (int64, error) {
	n, err := store.New(s.db).PlanMaxMediaBytes(ctx)
	if err != nil {
		return 0, fmt.Errorf("read plans' media limits: %w", err)
	}
	return n, nil
}

// CreatePlan adds a plan.
func (s *Service) CreatePlan(ctx context.Context, in PlanInput) (Plan, error) {
	if err := in.check(); err != nil {
		return Plan{}, err
	}
	var out Plan
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		p, err := q.PlanInsert(ctx, store.PlanInsertParams{
			ID: uuid.Must(uuid.NewV7()), Name: strings.TrimSpace(in.Name), MaxSessions: in.MaxSessions,
			MessagesPerDay: in.MessagesPerDay, SendRatePerMinute: in.SendRatePerMinute, DelayMinMs: in.DelayMinMs,
			DelayMaxMs: in.DelayMaxMs, MaxCampaignSize: in.MaxCampaignSize, MaxMediaBytes: in.MaxMediaBytes,
			StorageQuotaBytes: in.StorageQuotaBytes, ApiRequestsPerMinute: in.APIRequestsPerMinute,
			MaxWebhookEndpoints: in.MaxWebhookEndpoints,
		})
		if store.IsUniqueViolation(err, "plans_name_key") {
			return validate.Field("name", "A plan with this name exists already.")
		} else if err != nil {
			return fmt.Errorf("insert plan: %w", err)
		}
		if in.Default {
			if err := makeDefault(ctx, q, p.ID); err != nil {
				return err
			}
			p.IsDefault = true
		}
		out = planOf(p)
		return audit.Record(ctx, q, audit.Entry{Action: audit.PlanCreated, TargetType: "plan", TargetID: p.ID.String(), Details: map[string]any{"name": p.Name}})
	})
	return out, err
}

// UpdatePlan changes a plan; tenants on it get the new limits at once.
func (s *Service) UpdatePlan(ctx context.Context, id uuid.UUID, in PlanInput) (Plan, error) {
	if err := in.check(); err != nil {
		return Plan{}, err
	}
	var out Plan
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		p, err := q.PlanUpdate(ctx, store.PlanUpdateParams{
			ID: id, Name: strings.TrimSpace(in.Name), MaxSessions: in.MaxSessions,
			MessagesPerDay: in.MessagesPerDay, SendRatePerMinute: in.SendRatePerMinute, DelayMinMs: in.DelayMinMs,
			DelayMaxMs: in.DelayMaxMs, MaxCampaignSize: in.MaxCampaignSize, MaxMediaBytes: in.MaxMediaBytes,
			StorageQuotaBytes: in.StorageQuotaBytes, ApiRequestsPerMinute: in.APIRequestsPerMinute,
			MaxWebhookEndpoints: in.MaxWebhookEndpoints,
		})
		if store.IsNotFound(err) {
			return ErrPlanNotFound
		} else if store.IsUniqueViolation(err, "plans_name_key") {
			return validate.Field("name", "A plan with this name exists already.")
		} else if err != nil {
			return fmt.Errorf("update plan: %w", err)
		}
		if in.Default && !p.IsDefault {
			if err := makeDefault(ctx, q, p.ID); err != nil {
				return err
			}
			p.IsDefault = true
		}
		out = planOf(p)
		return audit.Record(ctx, q, audit.Entry{Action: audit.PlanUpdated, TargetType: "plan", TargetID: p.ID.String(), Details: map[string]any{"name": p.Name}})
	})
	return out, err
}

// makeDefault moves the default flag to id. The default cannot be unset, only moved: there is always
// one for new tenants.
func makeDefault(ctx context.Context, q *store.Queries, id uuid.UUID) error {
	if err := q.PlanClearDefault(ctx, id); err != nil {
		return fmt.Errorf("clear default plan: %w", err)
	}
	if _, err := q.PlanSetDefault(ctx, id); err != nil {
		return fmt.Errorf("set default plan: %w", err)
	}
	return nil
}
