package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/tenant"
)

// Me is what GET /me answers: the key's workspace, its plan, what it uses of it, and the key.
type Me struct {
	Tenant Tenant `json:"tenant"`
	Plan   Plan   `json:"plan"`
	Usage  Usage  `json:"usage"`
	Key    APIKey `json:"key"`
}

// Tenant is a workspace.
type Tenant struct {
	ID             uuid.UUID `json:"id" format:"uuid" doc:"The workspace's id." example:"01966b0e-6f3a-7cc1-9d2e-4b8f0a1c2d3e"`
	Name           string    `json:"name" doc:"The workspace's name." example:"Acme Trading"`
	Status         string    `json:"status" enum:"pending,active,suspended" doc:"active: works. pending: awaits an operator's approval. suspended: stopped by the operator." example:"active"`
	Timezone       string    `json:"timezone" doc:"IANA time zone; daily quotas follow it." example:"Europe/Berlin"`
	DefaultCountry string    `json:"default_country" doc:"ISO 3166 country whose calling code numbers without one get." example:"DE"`
	CreatedAt      time.Time `json:"created_at" doc:"When the workspace was created." example:"2025-05-01T09:30:00Z"`
}

// Plan is a workspace's plan: its limits.
type Plan struct {
	ID                    uuid.UUID `json:"id" format:"uuid" doc:"The plan's id." example:"01966b0e-1a2b-7c3d-8e4f-5a6b7c8d9e0f"`
	Name                  string    `json:"name" doc:"The plan's name." example:"Starter"`
	MaxSessions           int32     `json:"max_sessions" doc:"How many WhatsApp numbers (sessions) the workspace may link." example:"3"`
	MessagesPerDay        int32     `json:"messages_per_day" doc:"How many messages the workspace may send per day, in its own time zone." example:"5000"`
	SendRatePerMinute     int32     `json:"send_rate_per_minute" doc:"The most messages one session sends in any minute." example:"20"`
	SendDelayMinMs        int32     `json:"send_delay_min_ms" doc:"The shortest random pause between two sends of one session, in milliseconds." example:"1000"`
	SendDelayMaxMs        int32     `json:"send_delay_max_ms" doc:"The longest random pause between two sends of one session, in milliseconds." example:"4000"`
	MaxCampaignRecipients int32     `json:"max_campaign_recipients" doc:"Not in use: this version has no bulk campaigns, and nothing reads this limit." example:"1000"`
	MaxMediaBytes         int64     `json:"max_media_bytes" doc:"The largest media file one message may carry, in bytes." example:"16777216"`
	StorageQuotaBytes     int64     `json:"storage_quota_bytes" doc:"How much media the workspace may keep stored, in bytes." example:"1073741824"`
	APIRequestsPerMinute  int32     `json:"api_requests_per_minute" doc:"API requests a minute, for all of the workspace's keys together." example:"120"`
	MaxWebhookEndpoints   int32     `json:"max_webhook_endpoints" doc:"Not in use: this version has no webhooks, and nothing reads this limit." example:"5"`
}

// Usage is what the workspace uses of its plan so far.
type Usage struct {
	Members       int64 `json:"members" doc:"People in the workspace's team." example:"4"`
	ActiveAPIKeys int64 `json:"active_api_keys" doc:"API keys not revoked." example:"2"`
}

// APIKey is the key that made the request.
type APIKey struct {
	ID     uuid.UUID `json:"id" format:"uuid" doc:"The key's id." example:"01966b0f-2b3c-7d4e-9f50-6a7b8c9d0e1f"`
	Name   string    `json:"name" doc:"The name the key was given in the portal." example:"Order system"`
	Scopes []string  `json:"scopes" nullable:"false" enum:"read,send,manage" doc:"What the key may do: read (look), send (send messages), manage (create, pair, reconnect, log out and delete sessions)." example:"[\"read\",\"send\"]"`
}

type meOutput struct {
	Body Me
}

func registerMe(a huma.API, d Deps) {
	h := meHandler{tenants: d.Tenants}
	huma.Register(a, operation(huma.Operation{
		OperationID: "get-me",
		Method:      http.MethodGet,
		Path:        "/me",
		Summary:     "Get the key's workspace",
		Description: "Returns the workspace the API key belongs to, its plan's limits, what it uses of them so far, and the key itself. Use it to check a key.",
		Tags:        []string{tagAccount},
	}, auth.ScopeRead), h.get)
}

type meHandler struct {
	tenants *tenant.Service
}

func (h meHandler) get(ctx context.Context, _ *struct{}) (*meOutput, error) {
	o, err := h.tenants.Overview(ctx, auth.TenantID(ctx))
	if err != nil {
		return nil, err
	}
	k, _ := auth.Key(ctx)
	return &meOutput{Body: meOf(o, k)}, nil
}

func meOf(o tenant.Overview, k auth.KeyPrincipal) Me {
	p := o.Plan
	return Me{
		Tenant: Tenant{ID: o.ID, Name: o.Name, Status: o.Status, Timezone: o.Timezone, DefaultCountry: o.DefaultCountry, CreatedAt: o.CreatedAt.UTC()},
		Plan: Plan{ID: p.ID, Name: p.Name, MaxSessions: p.MaxSessions, MessagesPerDay: p.MessagesPerDay,
			SendRatePerMinute: p.SendRatePerMinute, SendDelayMinMs: p.DelayMinMs, SendDelayMaxMs: p.DelayMaxMs,
			MaxCampaignRecipients: p.MaxCampaignSize, MaxMediaBytes: p.MaxMediaBytes, StorageQuotaBytes: p.StorageQuotaBytes,
			APIRequestsPerMinute: p.APIRequestsPerMinute, MaxWebhookEndpoints: p.MaxWebhookEndpoints},
		Usage: Usage{Members: o.Usage.Members, ActiveAPIKeys: o.Usage.ActiveAPIKeys},
		Key:   APIKey{ID: k.ID, Name: k.Name, Scopes: append([]string{}, k.Scopes...)},
	}
}
