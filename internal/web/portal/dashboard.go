package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/dashboard"
	"github.com/wagate/wagate/views/layout"
)

func (h *handlers) showDashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	o, err := h.d.Tenants.Overview(ctx, auth.TenantID(ctx))
	if err != nil {
		return err
	}
	list, err := h.d.Sessions.List(ctx, auth.TenantID(ctx))
	if err != nil {
		return err
	}
	p := dashboardPage(user(ctx), o)
	p.Sessions = len(list)
	return httpx.Render(c, fiber.StatusOK, dashboard.Index(h.shell(c, "Dashboard", layout.NavDashboard), p))
}

func dashboardPage(u auth.CurrentUser, o tenant.Overview) dashboard.Page {
	p := o.Plan
	return dashboard.Page{
		UserName: u.Name, TenantName: o.Name, TenantStatus: o.Status, TenantCreated: o.CreatedAt,
		Timezone: o.Timezone, DefaultCountry: o.DefaultCountry, Role: u.Role, CanManage: u.CanManageMembers(),
		Members: o.Usage.Members, ActiveKeys: o.Usage.ActiveAPIKeys,
		Plan: dashboard.Plan{
			Name: p.Name, MaxSessions: p.MaxSessions, MessagesPerDay: p.MessagesPerDay, SendRatePerMinute: p.SendRatePerMinute,
			APIRequestsPerMinute: p.APIRequestsPerMinute, MaxMediaBytes: p.MaxMediaBytes, StorageQuotaBytes: p.StorageQuotaBytes,
		},
	}
}
