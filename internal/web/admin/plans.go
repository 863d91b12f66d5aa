package admin

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/adminplans"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
)

func (h *handlers) listPlans(c *fiber.Ctx) error {
	plans, err := h.Tenants.Plans(c.UserContext())
	if err != nil {
		return err
	}
	page := adminplans.IndexPage{Shell: h.shell(c, layout.AdminPlans, "Plans")}
	for _, p := range plans {
		page.Plans = append(page.Plans, adminplans.Plan{ID: p.ID, Name: p.Name, IsDefault: p.IsDefault, Tenants: p.Tenants,
			MaxSessions: p.MaxSessions, MessagesPerDay: p.MessagesPerDay, SendRatePerMinute: p.SendRatePerMinute,
			DelayMinMs: p.DelayMinMs, DelayMaxMs: p.DelayMaxMs,
			MaxMediaBytes: p.MaxMediaBytes, StorageQuotaBytes: p.StorageQuotaBytes,
			APIRequestsPerMinute: p.APIRequestsPerMinute})
	}
	return httpx.Render(c, fiber.StatusOK, adminplans.Index(page))
}

// newPlanDefaults fill the new-plan form with a modest, safe starting point, and give a new plan
// its limits for the features the form has no field for yet.
var newPlanDefaults = tenant.PlanInput{MaxSessions: 1, MessagesPerDay: 1000, SendRatePerMinute: 20, DelayMinMs: 1000,
	DelayMaxMs: 3000, MaxCampaignSize: 1000, MaxMediaBytes: 16 * adminplans.MiB, StorageQuotaBytes: adminplans.GiB,
	APIRequestsPerMinute: 60, MaxWebhookEndpoints: 2}

func (h *handlers) newPlanForm(c *fiber.Ctx) error {
	page := planPage(newPlanDefaults)
	page.Shell = h.shell(c, layout.AdminPlans, "New plan")
	return httpx.Render(c, fiber.StatusOK, adminplans.Form(page))
}

func (h *handlers) createPlan(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in, values, err := parsePlanForm(c, newPlanDefaults)
	if err == nil {
		_, err = h.Tenants.CreatePlan(ctx, in)
	}
	var ve *validate.Errors
	if errors.As(err, &ve) {
		page := adminplans.FormPage{Values: values, Default: in.Default, Errors: planFieldErrors(ve),
			Shell: h.shell(c, layout.AdminPlans, "New plan")}
		return h.renderPlanForm(c, fiber.StatusUnprocessableEntity, page)
	} else if err != nil {
		return err
	}
	h.flash(c, components.FlashSuccess, "Plan "+strings.TrimSpace(in.Name)+" created.")
	return httpx.Redirect(c, paths.AdminPlans)
}

// renderPlanForm renders the whole page, or only the form for htmx (it swaps the form in place).
func (h *handlers) renderPlanForm(c *fiber.Ctx, status int, page adminplans.FormPage) error {
	if httpx.IsHTMX(c) {
		return httpx.Render(c, status, adminplans.PlanForm(page))
	}
	return httpx.Render(c, status, adminplans.Form(page))
}

// findPlan returns the plan with its tenant count (the list carries it; plans are few).
func (h *handlers) findPlan(ctx context.Context, id uuid.UUID) (tenant.PlanListItem, error) {
	plans, err := h.Tenants.Plans(ctx)
	if err != nil {
		return tenant.PlanListItem{}, err
	}
	for _, p := range plans {
		if p.ID == id {
			return p, nil
		}
	}
	return tenant.PlanListItem{}, tenant.ErrPlanNotFound
}

func (h *handlers) editPlanForm(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	p, err := h.findPlan(c.UserContext(), id)
	if err != nil {
		return err
	}
	page := planPage(tenant.FromPlan(p.Plan))
	page.ID, page.IsDefault, page.Tenants = id, p.IsDefault, p.Tenants
	page.Shell = h.shell(c, layout.AdminPlans, "Edit "+p.Name)
	return httpx.Render(c, fiber.StatusOK, adminplans.Form(page))
}

func (h *handlers) updatePlan(c *fiber.Ctx) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	cur, err := h.findPlan(ctx, id)
	if err != nil {
		return err
	}
	in, values, err := parsePlanForm(c, tenant.FromPlan(cur.Plan))
	if err == nil {
		_, err = h.Tenants.UpdatePlan(ctx, id, in)
	}
	var ve *validate.Errors
	if errors.As(err, &ve) {
		page := adminplans.FormPage{ID: id, Values: values, Default: in.Default, IsDefault: cur.IsDefault,
			Tenants: cur.Tenants, Errors: planFieldErrors(ve), Shell: h.shell(c, layout.AdminPlans, "Edit "+cur.Name)}
		return h.renderPlanForm(c, fiber.StatusUnprocessableEntity, page)
	} else if err != nil {
		return err
	}
	h.flash(c, components.FlashSuccess, "Plan "+strings.TrimSpace(in.Name)+" saved.")
	return httpx.Redirect(c, paths.AdminPlans)
}

// planPage is the form filled from in, sizes shown in MiB and GiB.
func planPage(in tenant.PlanInput) adminplans.FormPage {
	i := func(n int32) string { return strconv.FormatInt(int64(n), 10) }
	return adminplans.FormPage{Default: in.Default, Values: map[string]string{
		adminplans.FieldName: in.Name, adminplans.FieldMaxSessions: i(in.MaxSessions),
		adminplans.FieldMessagesDay: i(in.MessagesPerDay), adminplans.FieldSendRate: i(in.SendRatePerMinute),
		adminplans.FieldDelayMin: i(in.DelayMinMs), adminplans.FieldDelayMax: i(in.DelayMaxMs),
		adminplans.FieldAPIPerMinute: i(in.APIRequestsPerMinute),
		adminplans.FieldMediaMiB:     strconv.FormatFloat(float64(in.MaxMediaBytes)/float64(adminplans.MiB), 'f', -1, 64),
		adminplans.FieldStorageGiB:   strconv.FormatFloat(float64(in.StorageQuotaBytes)/float64(adminplans.GiB), 'f', -1, 64),
	}}
}

// planForm reads the plan form's fields, keeping what was typed for a re-render and a field error
// for every number that does not parse.
type planForm struct {
	c      *fiber.Ctx
	values map[string]string
	ck     validate.Checker
}

func (f *planForm) raw(name string) string {
	v := strings.TrimSpace(f.c.FormValue(name))
	f.values[name] = v
	return v
}

// whole reads a whole number that fits a plan's int32 columns.
func (f *planForm) whole(name string) int32 {
	v := f.raw(name)
	n, err := strconv.ParseInt(v, 10, 32)
	switch {
	case v == "":
		f.ck.Add(name, "This field is required.")
	case errors.Is(err, strconv.ErrRange):
		f.ck.Add(name, "This number is too large.")
	case err != nil:
		f.ck.Add(name, "Enter a whole number, like 100.")
	}
	return int32(n)
}

// size reads a size typed in unit (MiB, GiB), decimals allowed, as bytes.
func (f *planForm) size(name string, unit int64) int64 {
	v := f.raw(name)
	n, err := strconv.ParseFloat(v, 64)
	switch {
	case v == "":
		f.ck.Add(name, "This field is required.")
	case err != nil || math.IsNaN(n) || math.IsInf(n, 0):
		f.ck.Add(name, "Enter a number, like 16 or 0.5.")
	case math.Abs(n*float64(unit)) > math.MaxInt64/2:
		f.ck.Add(name, "This number is too large.")
	default:
		return int64(math.Round(n * float64(unit)))
	}
	return 0
}

// parsePlanForm reads the plan form. Numbers that do not parse are field errors (422 before the
// service sees anything); the service checks the ranges. The limits of features not built yet have
// no field and come from keep (the stored plan, or the new-plan defaults).
func parsePlanForm(c *fiber.Ctx, keep tenant.PlanInput) (tenant.PlanInput, map[string]string, error) {
	f := &planForm{c: c, values: map[string]string{}}
	in := tenant.PlanInput{
		Name:                 c.FormValue(adminplans.FieldName),
		MaxSessions:          f.whole(adminplans.FieldMaxSessions),
		MessagesPerDay:       f.whole(adminplans.FieldMessagesDay),
		SendRatePerMinute:    f.whole(adminplans.FieldSendRate),
		DelayMinMs:           f.whole(adminplans.FieldDelayMin),
		DelayMaxMs:           f.whole(adminplans.FieldDelayMax),
		MaxCampaignSize:      keep.MaxCampaignSize,
		MaxMediaBytes:        f.size(adminplans.FieldMediaMiB, adminplans.MiB),
		StorageQuotaBytes:    f.size(adminplans.FieldStorageGiB, adminplans.GiB),
		APIRequestsPerMinute: f.whole(adminplans.FieldAPIPerMinute),
		MaxWebhookEndpoints:  keep.MaxWebhookEndpoints,
		Default:              c.FormValue(adminplans.FieldDefault) != "",
	}
	f.values[adminplans.FieldName] = in.Name
	// The service checks the rest (name included) once every number parses; until then a missing
	// name is reported here, so the first answer lists every problem it can.
	if f.ck.Err() != nil && strings.TrimSpace(in.Name) == "" {
		f.ck.Add(adminplans.FieldName, "This field is required.")
	}
	return in, f.values, f.ck.Err()
}

// planFieldErrors names the service's byte fields after the form's MiB and GiB inputs.
func planFieldErrors(ve *validate.Errors) map[string]string {
	out := make(map[string]string, len(ve.Fields))
	for k, v := range ve.Fields {
		switch k {
		case "max_media_bytes":
			k = adminplans.FieldMediaMiB
		case "storage_quota_bytes":
			k = adminplans.FieldStorageGiB
		}
		out[k] = v
	}
	return out
}
