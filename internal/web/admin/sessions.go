package admin

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/adminsessions"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
)

const sessionsPerPage = 50

// listSessions is every tenant's sessions, newest first, searchable by tenant name or phone.
func (h *handlers) listSessions(c *fiber.Ctx) error {
	ctx := c.UserContext()
	query := strings.TrimSpace(c.Query("q"))
	if len(query) > 200 {
		query = query[:200]
	}
	page, _ := strconv.Atoi(c.Query("page"))
	page = max(page, 1)
	res, err := h.Sessions.ListAll(ctx, query, sessionsPerPage, (page-1)*sessionsPerPage)
	if err != nil {
		return err
	}
	shell := h.shell(c, layout.AdminSessions, "Sessions")
	p := adminsessions.ListPage{Shell: shell, CSRFToken: shell.Head.CSRFToken, Query: query, Total: res.Total,
		Self: paths.AdminSessionsSearch(query, page)}
	for _, s := range res.Sessions {
		r := adminsessions.Row{ID: s.ID, TenantID: s.TenantID, TenantName: s.TenantName, Name: s.Name, Status: s.Status,
			Reason: s.StatusReason, StatusChanged: s.StatusChangedAt, Phone: s.Phone}
		if s.Holder != nil {
			r.Holder = s.Holder.String()
		}
		p.Rows = append(p.Rows, r)
	}
	if page > 1 {
		p.Pager.First = paths.AdminSessionsSearch(query, 1)
	}
	if int64(page*sessionsPerPage) < res.Total {
		p.Pager.Next = paths.AdminSessionsSearch(query, page+1)
	}
	return httpx.Render(c, fiber.StatusOK, adminsessions.Index(p))
}

// disconnectSession force-disconnects a session: it is parked until someone reconnects it.
func (h *handlers) disconnectSession(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	s, err := h.Sessions.Park(c.UserContext(), id, session.ReasonParkedByOperator)
	if err != nil {
		return err
	}
	h.flash(c, components.FlashSuccess, "“"+s.Name+"” is disconnected and parked until the tenant reconnects it.")
	return httpx.Redirect(c, consolePath(c.FormValue("next"), paths.AdminSessions))
}
