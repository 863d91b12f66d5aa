package portal

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/auditlog"
	"github.com/wagate/wagate/views/layout"
)

// auditPageSize is how many entries one page of the audit log shows.
const auditPageSize = 25

func (h *handlers) showAudit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if err := requireManager(ctx); err != nil {
		return err
	}
	f := audit.Filter{Limit: auditPageSize}
	if a := c.Query("action"); auditlog.ValidFilter(a) {
		f.Action = strings.Clone(a)
	}
	if id, err := uuid.Parse(c.Query("before")); err == nil {
		f.Before = &id
	}
	page, err := h.d.Audit.ListForTenant(ctx, auth.TenantID(ctx), f)
	if err != nil {
		return err
	}
	p := auditPage(f, page, time.Now())
	c.Vary("HX-Request")
	if fragment(c) {
		return httpx.Render(c, fiber.StatusOK, auditlog.Results(p))
	}
	return httpx.Render(c, fiber.StatusOK, auditlog.Index(h.shell(c, "Audit log", layout.NavAudit), p))
}

func auditPage(f audit.Filter, page audit.Page, now time.Time) auditlog.Page {
	p := auditlog.Page{Action: f.Action, Next: page.Next, Paged: f.Before != nil, Now: now}
	for _, e := range page.Entries {
		ip := e.IP
		if e.ActorType == audit.ActorOperator {
			ip = "" // the platform's staff: their addresses are not the tenant's business
		}
		p.Entries = append(p.Entries, auditlog.Entry{ID: e.ID, At: e.CreatedAt, ActorType: e.ActorType, ActorEmail: e.ActorEmail,
			Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, IP: ip, Details: e.Details})
	}
	return p
}
