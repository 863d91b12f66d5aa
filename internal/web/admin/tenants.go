package admin

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/admintenants"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
)

const (
	tenantsPerPage = 25
	tenantRecent   = 10
)

var errBadCursor = fiber.NewError(fiber.StatusBadRequest, "This page link is not valid any more. Start again from the first page.")

// tenantFilter is the tenant list's query string.
type tenantFilter struct {
	Query  string
	Status string
	Cursor *tenant.Cursor
}

func parseTenantFilter(c *fiber.Ctx) (tenantFilter, error) {
	f := tenantFilter{Query: strings.TrimSpace(c.Query("q")), Status: c.Query("status")}
	switch f.Status {
	case "", tenant.StatusPending, tenant.StatusActive, tenant.StatusSuspended:
	default:
		return f, fiber.NewError(fiber.StatusBadRequest, "Unknown status: choose pending, active or suspended.")
	}
	if len(f.Query) > 200 {
		f.Query = f.Query[:200]
	}
	if raw := c.Query("cursor"); raw != "" {
		cur, err := decodeCursor(raw)
		if err != nil {
			return f, errBadCursor
		}
		f.Cursor = &cur
	}
	return f, nil
}

// encodeCursor makes a keyset position opaque for the query string: the creation time in
// microseconds (Postgres's precision) and the id.
func encodeCursor(c tenant.Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "." + c.ID.String()))
}

func decodeCursor(s string) (tenant.Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return tenant.Cursor{}, err
	}
	ts, id, ok := strings.Cut(string(b), ".")
	if !ok {
		return tenant.Cursor{}, errBadCursor
	}
	us, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return tenant.Cursor{}, err
	}
	uid, err := uuid.Parse(id)
	if err != nil {
		return tenant.Cursor{}, err
	}
	return tenant.Cursor{CreatedAt: time.UnixMicro(us), ID: uid}, nil
}

func (f tenantFilter) url(cursor string) string {
	v := url.Values{}
	if f.Query != "" {
		v.Set("q", f.Query)
	}
	if f.Status != "" {
		v.Set("status", f.Status)
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(v) == 0 {
		return paths.AdminTenants
	}
	return paths.AdminTenants + "?" + v.Encode()
}

func (h *handlers) listTenants(c *fiber.Ctx) error {
	f, err := parseTenantFilter(c)
	if err != nil {
		return err
	}
	page, err := h.loadTenantList(c.UserContext(), f)
	if err != nil {
		return err
	}
	if httpx.IsHTMX(c) {
		return httpx.Render(c, fiber.StatusOK, admintenants.List(page))
	}
	page.Shell = h.shell(c, layout.AdminTenants, "Tenants")
	return httpx.Render(c, fiber.StatusOK, admintenants.Index(page))
}

func (h *handlers) loadTenantList(ctx context.Context, f tenantFilter) (admintenants.ListPage, error) {
	p := admintenants.ListPage{Query: f.Query, Status: f.Status}
	list, err := h.Tenants.List(ctx, tenant.ListFilter{Search: f.Query, Status: f.Status, Cursor: f.Cursor, Limit: tenantsPerPage})
	if err != nil {
		return p, err
	}
	counts, err := h.Tenants.Counts(ctx)
	if err != nil {
		return p, err
	}
	tabs := []struct {
		label, status string
		n             int64
	}{
		{"All", "", counts.Pending + counts.Active + counts.Suspended},
		{"Awaiting approval", tenant.StatusPending, counts.Pending},
		{"Active", tenant.StatusActive, counts.Active},
		{"Suspended", tenant.StatusSuspended, counts.Suspended},
	}
	for _, t := range tabs {
		tf := tenantFilter{Query: f.Query, Status: t.status}
		p.Tabs = append(p.Tabs, admintenants.Tab{Label: t.label, Status: t.status, Count: t.n, URL: tf.url(""), Active: t.status == f.Status})
	}
	for _, t := range list.Items {
		p.Rows = append(p.Rows, admintenants.Row{ID: t.ID, Name: t.Name, OwnerEmail: t.OwnerEmail, PlanName: t.PlanName,
			Members: t.MemberCount, Status: t.Status, CreatedAt: t.CreatedAt})
	}
	if f.Cursor != nil {
		p.Pager.First = f.url("")
	}
	if list.Next != nil {
		p.Pager.Next = f.url(encodeCursor(*list.Next))
	}
	return p, nil
}

func (h *handlers) showTenant(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	page, err := h.loadTenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	page.Shell = h.shell(c, layout.AdminTenants, page.Tenant.Name)
	return httpx.Render(c, fiber.StatusOK, admintenants.Show(page))
}

// loadTenant gathers a tenant's page: the tenant and its plan, members, usage, the plans it may
// move to, and its recent audit entries.
func (h *handlers) loadTenant(ctx context.Context, id uuid.UUID) (admintenants.DetailPage, error) {
	var p admintenants.DetailPage
	t, err := h.Tenants.Get(ctx, id)
	if err != nil {
		return p, err
	}
	p.Tenant = admintenants.Tenant{ID: t.ID, Name: t.Name, Status: t.Status, SuspendedReason: t.SuspendedReason,
		PlanID: t.Plan.ID, PlanName: t.Plan.Name, Timezone: t.Timezone, DefaultCountry: t.DefaultCountry,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	p.Limits = admintenants.Limits{MaxSessions: t.Plan.MaxSessions, MessagesPerDay: t.Plan.MessagesPerDay,
		SendRatePerMinute: t.Plan.SendRatePerMinute, APIRequestsPerMinute: t.Plan.APIRequestsPerMinute,
		MaxWebhookEndpoints: t.Plan.MaxWebhookEndpoints, MaxMediaBytes: t.Plan.MaxMediaBytes, StorageQuotaBytes: t.Plan.StorageQuotaBytes}
	team, err := h.Users.Team(ctx, id)
	if err != nil {
		return p, err
	}
	for _, u := range team.Members {
		p.Members = append(p.Members, admintenants.Member{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role,
			TwoFactor: u.TOTPEnabledAt != nil, LastLogin: u.LastLoginAt, CreatedAt: u.CreatedAt})
	}
	usage, err := h.Tenants.Usage(ctx, id)
	if err != nil {
		return p, err
	}
	p.Usage = admintenants.Usage{Members: usage.Members, ActiveAPIKeys: usage.ActiveAPIKeys}
	plans, err := h.Tenants.Plans(ctx)
	if err != nil {
		return p, err
	}
	for _, pl := range plans {
		p.Plans = append(p.Plans, admintenants.PlanOption{ID: pl.ID, Name: pl.Name, IsDefault: pl.IsDefault})
	}
	recent, err := h.Audit.ListAll(ctx, audit.Filter{TenantID: &id, Limit: tenantRecent})
	if err != nil {
		return p, err
	}
	p.Recent = auditEntries(recent.Entries)
	return p, nil
}

func (h *handlers) approveTenant(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.Tenants.Approve(c.UserContext(), id); err != nil {
		return err
	}
	h.flash(c, components.FlashSuccess, "Workspace approved: its members can use Wagate now.")
	return httpx.Redirect(c, consolePath(c.FormValue("return_to"), paths.AdminTenant(id)))
}

func (h *handlers) confirmSuspend(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	page, err := h.loadSuspend(c.UserContext(), id)
	if err != nil {
		return err
	}
	page.Shell = h.shell(c, layout.AdminTenants, "Suspend "+page.TenantName)
	return httpx.Render(c, fiber.StatusOK, admintenants.Suspend(page))
}

// loadSuspend is the confirmation page of a tenant that may be suspended.
func (h *handlers) loadSuspend(ctx context.Context, id uuid.UUID) (admintenants.SuspendPage, error) {
	t, err := h.Tenants.Get(ctx, id)
	if err != nil {
		return admintenants.SuspendPage{}, err
	}
	if t.Status == tenant.StatusSuspended {
		return admintenants.SuspendPage{}, tenant.ErrInvalidStatus
	}
	usage, err := h.Tenants.Usage(ctx, id)
	if err != nil {
		return admintenants.SuspendPage{}, err
	}
	return admintenants.SuspendPage{TenantID: id, TenantName: t.Name, Members: usage.Members}, nil
}

func (h *handlers) suspendTenant(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	reason := c.FormValue("reason")
	err = h.Tenants.Suspend(ctx, id, reason)
	var ve *validate.Errors
	if errors.As(err, &ve) {
		page, lerr := h.loadSuspend(ctx, id)
		if lerr != nil {
			return lerr
		}
		page.Shell, page.Reason, page.Error = h.shell(c, layout.AdminTenants, "Suspend "+page.TenantName), reason, ve.Fields["reason"]
		return httpx.Render(c, fiber.StatusUnprocessableEntity, admintenants.Suspend(page))
	} else if err != nil {
		return err
	}
	h.flash(c, components.FlashSuccess, "Workspace suspended: its members see a notice and its API keys are refused.")
	return httpx.Redirect(c, paths.AdminTenant(id))
}

func (h *handlers) reactivateTenant(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.Tenants.Reactivate(c.UserContext(), id); err != nil {
		return err
	}
	h.flash(c, components.FlashSuccess, "Workspace reactivated: its members and API keys work again.")
	return httpx.Redirect(c, paths.AdminTenant(id))
}

func (h *handlers) changePlan(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	planID, perr := uuid.Parse(c.FormValue("plan_id"))
	if perr == nil {
		err = h.Tenants.ChangePlan(ctx, id, planID)
	} else {
		err = validate.Field("plan_id", "Choose one of the plans.")
	}
	var ve *validate.Errors
	if errors.As(err, &ve) {
		page, lerr := h.loadTenant(ctx, id)
		if lerr != nil {
			return lerr
		}
		page.Shell, page.PlanError = h.shell(c, layout.AdminTenants, page.Tenant.Name), ve.Fields["plan_id"]
		return httpx.Render(c, fiber.StatusUnprocessableEntity, admintenants.Show(page))
	} else if err != nil {
		return err
	}
	h.flash(c, components.FlashSuccess, "Plan changed: the new limits apply at once.")
	return httpx.Redirect(c, paths.AdminTenant(id))
}

// makeResetLink makes a one-time password-reset link for one of the tenant's users and shows it
// once: how an owner who forgot their password gets back in when no mail is configured.
func (h *handlers) makeResetLink(c *fiber.Ctx) error {
	tid, err := idParam(c, "id")
	if err != nil {
		return err
	}
	uid, err := idParam(c, "uid")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	link, err := h.Users.CreateResetLinkByOperator(ctx, tid, uid)
	if err != nil {
		return err
	}
	page, err := h.resetLinkPage(ctx, tid, uid)
	if err != nil {
		return err
	}
	page.Shell, page.Link = h.shell(c, layout.AdminTenants, "Password reset link"), link
	return httpx.Render(c, fiber.StatusOK, admintenants.ResetLink(page))
}

// resetLinkPage names the tenant and the user a reset link was made for.
func (h *handlers) resetLinkPage(ctx context.Context, tid, uid uuid.UUID) (admintenants.ResetLinkPage, error) {
	t, err := h.Tenants.Get(ctx, tid)
	if err != nil {
		return admintenants.ResetLinkPage{}, err
	}
	team, err := h.Users.Team(ctx, tid)
	if err != nil {
		return admintenants.ResetLinkPage{}, err
	}
	p := admintenants.ResetLinkPage{TenantID: tid, TenantName: t.Name}
	for _, u := range team.Members {
		if u.ID == uid {
			p.UserName, p.UserEmail = u.Name, u.Email
		}
	}
	return p, nil
}
