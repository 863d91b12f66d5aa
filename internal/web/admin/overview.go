package admin

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/adminoverview"
	"github.com/wagate/wagate/views/layout"
)

// How much the overview shows of each list.
const (
	overviewPending = 5
	overviewRecent  = 8
)

func (h *handlers) overview(c *fiber.Ctx) error {
	page, err := h.loadOverview(c.UserContext())
	if err != nil {
		return err
	}
	page.Shell = h.shell(c, layout.AdminOverview, "Overview")
	return httpx.Render(c, fiber.StatusOK, adminoverview.Index(page))
}

// loadOverview gathers the overview's read-only figures.
func (h *handlers) loadOverview(ctx context.Context) (adminoverview.Page, error) {
	var p adminoverview.Page
	counts, err := h.Tenants.Counts(ctx)
	if err != nil {
		return p, err
	}
	p.Counts = adminoverview.Counts{Pending: counts.Pending, Active: counts.Active, Suspended: counts.Suspended}
	pending, err := h.Tenants.List(ctx, tenant.ListFilter{Status: tenant.StatusPending, Limit: overviewPending})
	if err != nil {
		return p, err
	}
	for _, t := range pending.Items {
		p.Pending = append(p.Pending, adminoverview.PendingTenant{ID: t.ID, Name: t.Name, OwnerEmail: t.OwnerEmail, CreatedAt: t.CreatedAt})
	}
	p.PendingMore = pending.Next != nil
	recent, err := h.Audit.ListAll(ctx, audit.Filter{Limit: overviewRecent})
	if err != nil {
		return p, err
	}
	p.Recent = auditEntries(recent.Entries)
	live, err := h.Instances.Live(ctx)
	if err != nil {
		return p, err
	}
	for _, in := range live {
		p.Instances = append(p.Instances, adminoverview.Instance{Hostname: in.Hostname, PID: in.PID, Roles: in.Roles,
			Version: in.Version, StartedAt: in.StartedAt, HeartbeatAt: in.HeartbeatAt, Draining: in.Draining})
	}
	return p, nil
}
