// Package admintenants renders the console's tenant pages: the searchable, paged list, a tenant's
// detail (members, plan, usage, activity and the operator's actions), the suspension confirmation
// and a freshly made password-reset link. It takes view models only and must not import fiber,
// services or the store.
package admintenants

import (
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/views/adminui"
	"github.com/wagate/wagate/views/layout"
)

// ListID is the element the tenant list (table and pager) renders into; searches swap it.
const ListID = "tenant-list"

// ListPage is the tenant list.
type ListPage struct {
	Shell  layout.AdminShell
	Query  string
	Status string
	Tabs   []Tab
	Rows   []Row
	Pager  adminui.Pager
}

// Filtered reports whether a search or status narrows the list (for the empty state's wording).
func (p ListPage) Filtered() bool { return p.Query != "" || p.Status != "" }

// Tab is a status filter with its count.
type Tab struct {
	Label  string
	Status string
	Count  int64
	URL    string
	Active bool
}

// Row is a tenant in the list.
type Row struct {
	ID         uuid.UUID
	Name       string
	OwnerEmail string
	PlanName   string
	Members    int64
	Status     string
	CreatedAt  time.Time
}

// DetailPage is one tenant's page.
type DetailPage struct {
	Shell     layout.AdminShell
	Tenant    Tenant
	Limits    Limits
	Usage     Usage
	Members   []Member
	Plans     []PlanOption
	PlanError string // the change-plan form's error
	Recent    []adminui.AuditEntry
}

// Tenant is what the console shows about a tenant.
type Tenant struct {
	ID              uuid.UUID
	Name            string
	Status          string
	SuspendedReason string
	PlanID          uuid.UUID
	PlanName        string
	Timezone        string
	DefaultCountry  string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Limits are the tenant's plan limits worth seeing next to its usage.
type Limits struct {
	MaxSessions          int32
	MessagesPerDay       int32
	SendRatePerMinute    int32
	APIRequestsPerMinute int32
	MaxWebhookEndpoints  int32
	MaxMediaBytes        int64
	StorageQuotaBytes    int64
}

// Usage is what the tenant uses so far.
type Usage struct {
	Members       int64
	ActiveAPIKeys int64
}

// Member is a user of the tenant.
type Member struct {
	ID        uuid.UUID
	Name      string
	Email     string
	Role      string
	TwoFactor bool
	LastLogin *time.Time
	CreatedAt time.Time
}

// PlanOption is a plan the tenant may be moved to.
type PlanOption struct {
	ID        uuid.UUID
	Name      string
	IsDefault bool
}

// SuspendPage confirms a suspension and asks for its reason.
type SuspendPage struct {
	Shell      layout.AdminShell
	TenantID   uuid.UUID
	TenantName string
	Members    int64
	Reason     string
	Error      string
}

// ResetLinkPage shows a password-reset link once, to hand to the user.
type ResetLinkPage struct {
	Shell      layout.AdminShell
	TenantID   uuid.UUID
	TenantName string
	UserName   string
	UserEmail  string
	Link       string
}

func roleLabel(role string) string {
	switch role {
	case "owner":
		return "Owner"
	case "admin":
		return "Admin"
	case "member":
		return "Member"
	}
	return role
}

func (p ListPage) emptyTitle() string {
	if p.Filtered() {
		return "No tenants match"
	}
	return "No tenants yet"
}

func (p ListPage) emptyText() string {
	if p.Filtered() {
		return "Try another name or email, or clear the filters."
	}
	return "Workspaces appear here as soon as someone signs up."
}

func limitText[T ~int32 | ~int64](n T, unit string) string {
	if n == 0 {
		return "None"
	}
	return adminui.Count(n) + unit
}
