package admin

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/adminaudit"
	"github.com/wagate/wagate/views/adminui"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
)

const auditPerPage = 50

// auditQuery is the audit log's query string.
type auditQuery struct {
	Tenant, Action, Actor string
	TenantID              *uuid.UUID
	Before                *uuid.UUID
	TenantError           string
}

func parseAuditQuery(c *fiber.Ctx) (auditQuery, error) {
	q := auditQuery{Tenant: strings.TrimSpace(c.Query("tenant")), Action: strings.TrimSpace(c.Query("action")),
		Actor: strings.TrimSpace(c.Query("actor"))}
	q.Action, q.Actor = clip(q.Action, 64), clip(q.Actor, 254)
	if q.Tenant != "" {
		id, err := uuid.Parse(q.Tenant)
		if err != nil {
			q.TenantError = "Not a tenant ID. Pick a tenant from a link, or paste an ID like 0190f0e2-…"
		} else {
			q.TenantID = &id
		}
	}
	if raw := c.Query("cursor"); raw != "" {
		id, err := uuid.Parse(raw)
		if err != nil {
			return q, errBadCursor
		}
		q.Before = &id
	}
	return q, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (q auditQuery) url(cursor string) string {
	v := url.Values{}
	for k, val := range map[string]string{"tenant": q.Tenant, "action": q.Action, "actor": q.Actor, "cursor": cursor} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if len(v) == 0 {
		return paths.AdminAudit
	}
	return paths.AdminAudit + "?" + v.Encode()
}

func (h *handlers) auditLog(c *fiber.Ctx) error {
	q, err := parseAuditQuery(c)
	if err != nil {
		return err
	}
	page, err := h.loadAudit(c.UserContext(), q)
	if err != nil {
		return err
	}
	page.Shell = h.shell(c, layout.AdminAudit, "Audit log")
	status := fiber.StatusOK
	if q.TenantError != "" {
		status = fiber.StatusUnprocessableEntity
	}
	return httpx.Render(c, status, adminaudit.Index(page))
}

// loadAudit lists a page of entries; a malformed tenant filter lists nothing and says why.
func (h *handlers) loadAudit(ctx context.Context, q auditQuery) (adminaudit.Page, error) {
	p := adminaudit.Page{Tenant: q.Tenant, Action: q.Action, Actor: q.Actor, TenantError: q.TenantError}
	if q.TenantError != "" {
		return p, nil
	}
	if q.TenantID != nil {
		t, err := h.Tenants.Get(ctx, *q.TenantID)
		switch {
		case errors.Is(err, tenant.ErrNotFound):
			p.TenantError = "No tenant has this ID."
			return p, nil
		case err != nil:
			return p, err
		}
		p.TenantName, p.TenantURL = t.Name, paths.AdminTenant(t.ID)
	}
	list, err := h.Audit.ListAll(ctx, audit.Filter{TenantID: q.TenantID, Action: q.Action, Actor: q.Actor, Before: q.Before, Limit: auditPerPage})
	if err != nil {
		return p, err
	}
	p.Entries = auditEntries(list.Entries)
	p.Pager = adminui.Pager{}
	if q.Before != nil {
		p.Pager.First = q.url("")
	}
	if list.Next != nil {
		p.Pager.Next = q.url(list.Next.String())
	}
	return p, nil
}
