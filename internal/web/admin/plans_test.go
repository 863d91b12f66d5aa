package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/webtest"
)

func planForm(name string) url.Values {
	return url.Values{
		"name": {name}, "max_sessions": {"5"}, "messages_per_day": {"20000"}, "send_rate_per_minute": {"30"},
		"delay_min_ms": {"800"}, "delay_max_ms": {"2500"}, "max_media_mib": {"25"},
		"storage_quota_gib": {"2.5"}, "api_requests_per_minute": {"300"},
	}
}

func plans(t *testing.T, e *webtest.Env) map[string]tenant.PlanListItem {
	t.Helper()
	list, err := e.Services.Tenants.Plans(context.Background())
	require.NoError(t, err)
	out := map[string]tenant.PlanListItem{}
	for _, p := range list {
		out[p.Name] = p
	}
	return out
}

// requireOnlyWhatExists fails when a page offers campaigns or webhooks, which do not exist yet.
func requireOnlyWhatExists(t *testing.T, body string) {
	t.Helper()
	lower := strings.ToLower(body)
	require.NotContains(t, lower, "campaign")
	require.NotContains(t, lower, "webhook")
}

func TestConsolePlans(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := setUpConsole(t, e, "ops@wagate.test")
	newTenant(t, e, "Acme", "owner@acme.test")
	start := defaultPlan(t, e)

	t.Run("List", func(t *testing.T) {
		r := c.get(t, "/admin/plans")
		require.Equal(t, http.StatusOK, r.StatusCode)
		row := r.Doc(t).Find(`[data-testid="plan"][data-plan-id="` + start.ID.String() + `"]`)
		require.Equal(t, "true", row.AttrOr("data-default", ""))
		require.Equal(t, 1, row.Find(`[data-testid="plan-default"]`).Length())
		require.Equal(t, "1", row.Find(`[data-testid="plan-tenants"]`).Text())
		requireOnlyWhatExists(t, r.Body)
	})

	t.Run("FormOffersOnlyWhatExists", func(t *testing.T) {
		r := c.get(t, "/admin/plans/new")
		require.Equal(t, http.StatusOK, r.StatusCode)
		doc := r.Doc(t)
		require.Equal(t, 1, doc.Find(`[data-testid="input-max_sessions"]`).Length())
		require.Zero(t, doc.Find(`[name="max_campaign_size"], [name="max_webhook_endpoints"]`).Length())
		requireOnlyWhatExists(t, r.Body)
	})

	t.Run("CreateInvalidChangesNothing", func(t *testing.T) {
		before := plans(t, e)
		form := planForm("")
		form.Set("send_rate_per_minute", "0")
		form.Set("delay_min_ms", "5000")
		form.Set("delay_max_ms", "1000")
		form.Set("max_media_mib", "200")
		form.Set("max_sessions", "many")
		r := c.post("/admin/plans/new", form)
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		require.Equal(t, "This field is required.", r.TestID(t, "error-name"))
		require.Equal(t, "Enter a whole number, like 100.", r.TestID(t, "error-max_sessions"))
		require.Equal(t, "many", r.Doc(t).Find(`[data-testid="input-max_sessions"]`).AttrOr("value", ""), "what was typed stays")
		require.Equal(t, before, plans(t, e))

		// Numbers that parse reach the service's checks, which answer field by field too.
		form.Set("name", "Broken")
		form.Set("max_sessions", "5")
		r = c.post("/admin/plans/new", form)
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		require.Equal(t, "Between 1 and 600.", r.TestID(t, "error-send_rate_per_minute"))
		require.Contains(t, r.TestID(t, "error-delay_max_ms"), "At least the minimum delay")
		require.Equal(t, "Between 0 and 100 MiB.", r.TestID(t, "error-max_media_mib"))
		require.Equal(t, before, plans(t, e))

		r = c.post("/admin/plans/new", planForm(start.Name))
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		require.Equal(t, "A plan with this name exists already.", r.TestID(t, "error-name"))

		form.Set("_csrf", c.token)
		req, _ := http.NewRequest(http.MethodPost, e.URL()+"/admin/plans/new", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		r = c.b.Do(req)
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		require.NotContains(t, r.Body, "<html", "htmx swaps the form only")
		require.Equal(t, 1, r.Doc(t).Find(`form#plan-form`).Length())
	})

	t.Run("CreateAndMoveDefault", func(t *testing.T) {
		form := planForm("Business")
		form.Set("default", "on")
		r := c.post("/admin/plans/new", form)
		require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
		require.Equal(t, "/admin/plans", r.Header.Get("Location"))
		got := plans(t, e)
		biz := got["Business"]
		require.True(t, biz.IsDefault, "the default moved to the new plan")
		require.False(t, got[start.Name].IsDefault)
		require.Equal(t, int32(5), biz.MaxSessions)
		require.Equal(t, int32(800), biz.DelayMinMs)
		require.Equal(t, int64(25<<20), biz.MaxMediaBytes, "MiB converted to bytes")
		require.Equal(t, int64(5<<29), biz.StorageQuotaBytes, "2.5 GiB converted to bytes")
		require.Equal(t, int32(1000), biz.MaxCampaignSize, "limits without a field take the new-plan defaults")
		require.Equal(t, int32(2), biz.MaxWebhookEndpoints)
		requireAudit(t, e, audit.Filter{}, audit.PlanCreated, "ops@wagate.test")

		// New tenants start on it.
		ten := newTenant(t, e, "Newco", "owner@newco.test")
		tt, err := e.Services.Tenants.Get(context.Background(), ten.id())
		require.NoError(t, err)
		require.Equal(t, biz.ID, tt.Plan.ID)

		list := c.get(t, "/admin/plans")
		require.Contains(t, list.TestID(t, "flash"), "Business created")
		var defaults []string
		list.Doc(t).Find(`[data-testid="plan"][data-default="true"]`).Each(func(_ int, s *goquery.Selection) {
			defaults = append(defaults, s.AttrOr("data-plan-id", ""))
		})
		require.Equal(t, []string{biz.ID.String()}, defaults)
	})

	t.Run("Edit", func(t *testing.T) {
		p := plans(t, e)[start.Name]
		path := "/admin/plans/" + p.ID.String()
		page := c.get(t, path)
		require.Equal(t, http.StatusOK, page.StatusCode)
		doc := page.Doc(t)
		require.Equal(t, start.Name, doc.Find(`[data-testid="input-name"]`).AttrOr("value", ""))
		require.Equal(t, strconv.FormatFloat(float64(p.MaxMediaBytes)/(1<<20), 'f', -1, 64),
			doc.Find(`[data-testid="input-max_media_mib"]`).AttrOr("value", ""), "bytes shown in MiB")

		bad := planForm("Renamed")
		bad.Set("api_requests_per_minute", "0")
		r := c.post(path, bad)
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		require.Equal(t, "Between 1 and 100,000.", r.TestID(t, "error-api_requests_per_minute"))
		require.Equal(t, p, plans(t, e)[start.Name], "nothing changed")

		// Limits of features that have no field yet keep their stored values through a save.
		stored, err := e.Services.Tenants.Plan(t.Context(), p.ID)
		require.NoError(t, err)
		in := tenant.FromPlan(stored)
		in.MaxCampaignSize, in.MaxWebhookEndpoints = 4321, 7
		_, err = e.Services.Tenants.UpdatePlan(t.Context(), p.ID, in)
		require.NoError(t, err)

		good := planForm("Starter Plus")
		good.Set("messages_per_day", "1234")
		good.Set("default", "on")
		r = c.post(path, good)
		require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
		got := plans(t, e)
		require.Equal(t, int32(1234), got["Starter Plus"].MessagesPerDay)
		require.Equal(t, int32(4321), got["Starter Plus"].MaxCampaignSize)
		require.Equal(t, int32(7), got["Starter Plus"].MaxWebhookEndpoints)
		require.True(t, got["Starter Plus"].IsDefault, "the default moved back")
		require.False(t, got["Business"].IsDefault)
		requireAudit(t, e, audit.Filter{}, audit.PlanUpdated, "ops@wagate.test")

		// The default plan's checkbox cannot be unticked, only moved.
		page = c.get(t, path)
		box := page.Doc(t).Find(`[data-testid="input-default"]`)
		_, disabled := box.Attr("disabled")
		require.True(t, disabled)

		require.Equal(t, http.StatusNotFound, c.get(t, "/admin/plans/"+uuid.NewString()).StatusCode)
		require.Equal(t, http.StatusNotFound, c.post("/admin/plans/"+uuid.NewString(), planForm("X")).StatusCode)
		require.Equal(t, http.StatusNotFound, c.get(t, "/admin/plans/nope").StatusCode)
	})
}

func TestConsoleSettings(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := setUpConsole(t, e, "ops@wagate.test")
	mode := func() string {
		m, err := e.Services.Tenants.SignupMode(context.Background())
		require.NoError(t, err)
		return m
	}

	r := c.get(t, "/admin/settings")
	require.Equal(t, http.StatusOK, r.StatusCode)
	_, checked := r.Doc(t).Find(`[data-testid="input-mode-open"]`).Attr("checked")
	require.True(t, checked)

	r = c.post("/admin/settings", url.Values{"signup_mode": {"everyone"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
	require.Equal(t, "Choose open, approval or invite.", r.TestID(t, "error-signup_mode"))
	require.Equal(t, "open", mode())

	r = c.post("/admin/settings", url.Values{"signup_mode": {"invite"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	require.Equal(t, "/admin/settings", r.Header.Get("Location"))
	require.Equal(t, "invite", mode())
	r = c.get(t, "/admin/settings")
	require.Contains(t, r.TestID(t, "flash"), "saved")
	_, checked = r.Doc(t).Find(`[data-testid="input-mode-invite"]`).Attr("checked")
	require.True(t, checked)
	entry := requireAudit(t, e, audit.Filter{}, audit.SignupModeChanged, "ops@wagate.test")
	require.Equal(t, "invite", entry.Details["signup_mode"])
}
