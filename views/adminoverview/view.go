// Package adminoverview renders the console's overview: tenants by status, tenants awaiting
// approval, recent audit entries and the live instances. It takes view models only and must not
// import fiber, services or the store.
package adminoverview

import (
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/views/adminui"
	"github.com/wagate/wagate/views/layout"
)

// Page is the overview.
type Page struct {
	Shell       layout.AdminShell
	Counts      Counts
	Pending     []PendingTenant
	PendingMore bool // more are waiting than the list shows
	Recent      []adminui.AuditEntry
	Instances   []Instance
}

// Counts are the tenants in each status.
type Counts struct {
	Pending, Active, Suspended int64
}

// Total is every tenant.
func (c Counts) Total() int64 { return c.Pending + c.Active + c.Suspended }

// PendingTenant is a tenant awaiting approval.
type PendingTenant struct {
	ID         uuid.UUID
	Name       string
	OwnerEmail string
	CreatedAt  time.Time
}

// Instance is a live wagate process.
type Instance struct {
	Hostname    string
	PID         int32
	Roles       []string
	Version     string
	StartedAt   time.Time
	HeartbeatAt time.Time
	Draining    bool
}
