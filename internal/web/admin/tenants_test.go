package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/webtest"
)

func tenantStatus(t *testing.T, e *webtest.Env, id uuid.UUID) string {
	t.Helper()
	got, err := e.Services.Tenants.Get(context.Background(), id)
	require.NoError(t, err)
	return got.Status
}

// waitKey polls key authentication until it answers want (nil: accepted), and returns how long
// that took; the key cache must not keep an old answer past a second.
func waitKey(t *testing.T, e *webtest.Env, secret string, want error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, err := e.Services.APIKeys.Authenticate(context.Background(), secret)
		if (want == nil && err == nil) || (want != nil && errors.Is(err, want)) {
			return time.Since(start)
		}
		if time.Since(start) > 3*time.Second {
			t.Fatalf("key still answers %v, want %v", err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConsoleSuspendAndReactivate asserts a deadline (keys refused within about a second), so it
// runs alone: not parallel.
func TestConsoleSuspendAndReactivate(t *testing.T) {
	e := webtest.New(t, nil)
	ctx := context.Background()
	c := setUpConsole(t, e, "ops@wagate.test")
	ten := newTenant(t, e, "Acme", "owner@acme.test")
	other := newTenant(t, e, "Beta", "owner@beta.test")
	key, err := e.Services.APIKeys.Create(ctx, ten.owner, auth.CreateKeyInput{Name: "CI", Scopes: []string{auth.ScopeRead}})
	require.NoError(t, err)
	otherKey, err := e.Services.APIKeys.Create(ctx, other.owner, auth.CreateKeyInput{Name: "CI", Scopes: []string{auth.ScopeRead}})
	require.NoError(t, err)
	_, err = e.Services.APIKeys.Authenticate(ctx, key.Secret) // cached as active
	require.NoError(t, err)
	user, _ := logInUser(t, e, ten)
	base := "/admin/tenants/" + ten.id().String()

	// The tenant's page offers suspension behind a confirmation page.
	page := c.get(t, base)
	require.Equal(t, http.StatusOK, page.StatusCode)
	require.Equal(t, "Acme", page.TestID(t, "page-title"))
	require.Equal(t, "active", page.Doc(t).Find(`[data-testid="page-status"] [data-testid="status-tag"]`).AttrOr("data-status", ""))
	require.Equal(t, base+"/suspend", page.Doc(t).Find(`[data-testid="suspend"]`).AttrOr("href", ""))
	confirm := c.get(t, base+"/suspend")
	require.Equal(t, http.StatusOK, confirm.StatusCode)
	require.Equal(t, 1, confirm.Doc(t).Find(`form[data-testid="suspend-form"][method="post"]`).Length())

	t.Run("ReasonTooLong", func(t *testing.T) {
		r := c.post(base+"/suspend", url.Values{"reason": {strings.Repeat("x", 501)}})
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		require.Equal(t, "Must be at most 500 characters.", r.TestID(t, "error-reason"))
		require.Equal(t, strings.Repeat("x", 501), r.TestID(t, "input-reason"), "what was typed stays")
		require.Equal(t, "active", tenantStatus(t, e, ten.id()))
	})

	t.Run("Suspend", func(t *testing.T) {
		r := c.post(base+"/suspend", url.Values{"reason": {"Unpaid invoice"}})
		require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
		require.Equal(t, base, r.Header.Get("Location"))
		require.Equal(t, "suspended", tenantStatus(t, e, ten.id()))
		require.Equal(t, "active", tenantStatus(t, e, other.id()), "only that tenant")

		took := waitKey(t, e, key.Secret, auth.ErrTenantSuspended)
		require.Less(t, took, 1500*time.Millisecond, "keys are refused within about a second")
		_, err := e.Services.APIKeys.Authenticate(ctx, otherKey.Secret)
		require.NoError(t, err, "other tenants' keys still work")

		r = user.Get("/app")
		require.Equal(t, http.StatusForbidden, r.StatusCode)
		require.Equal(t, "suspended", r.Doc(t).Find(`[data-testid="tenant-notice"]`).AttrOr("data-status", ""))
		require.Contains(t, r.Body, "Unpaid invoice")

		page := c.get(t, base)
		require.Contains(t, page.TestID(t, "flash"), "Workspace suspended")
		require.Equal(t, "Reason: Unpaid invoice", page.TestID(t, "suspended-reason"))
		require.Equal(t, 1, page.Doc(t).Find(`[data-testid="reactivate"]`).Length())

		entry := requireAudit(t, e, audit.Filter{TenantID: ptr(ten.id())}, audit.TenantSuspended, "ops@wagate.test")
		require.Equal(t, "Unpaid invoice", entry.Details["reason"])
		require.Equal(t, audit.ActorOperator, entry.ActorType)
	})

	t.Run("SuspendTwiceConflicts", func(t *testing.T) {
		r := c.post(base+"/suspend", url.Values{"reason": {"again"}})
		require.Equal(t, http.StatusConflict, r.StatusCode)
		require.Equal(t, "409", r.TestID(t, "error-status"))
		require.Equal(t, http.StatusConflict, c.get(t, base+"/suspend").StatusCode)
		require.Equal(t, http.StatusConflict, c.post(base+"/approve", nil).StatusCode, "a suspended tenant is not pending")
	})

	t.Run("Reactivate", func(t *testing.T) {
		r := c.post(base+"/reactivate", nil)
		require.Equal(t, http.StatusSeeOther, r.StatusCode)
		require.Equal(t, "active", tenantStatus(t, e, ten.id()))
		took := waitKey(t, e, key.Secret, nil)
		require.Less(t, took, 1500*time.Millisecond)
		r = user.Get("/app")
		require.Zero(t, r.Doc(t).Find(`[data-testid="tenant-notice"]`).Length(), "the notice is gone")
		require.NotEqual(t, http.StatusForbidden, r.StatusCode)
		requireAudit(t, e, audit.Filter{TenantID: ptr(ten.id())}, audit.TenantReactivated, "ops@wagate.test")
		require.Equal(t, http.StatusConflict, c.post(base+"/reactivate", nil).StatusCode, "only suspended tenants")
	})

	t.Run("UnknownTenant", func(t *testing.T) {
		unknown := "/admin/tenants/" + uuid.NewString()
		require.Equal(t, http.StatusNotFound, c.get(t, unknown).StatusCode)
		require.Equal(t, http.StatusNotFound, c.get(t, unknown+"/suspend").StatusCode)
		for _, a := range []string{"/approve", "/suspend", "/reactivate", "/plan"} {
			require.Equal(t, http.StatusNotFound, c.post(unknown+a, url.Values{"plan_id": {defaultPlan(t, e).ID.String()}}).StatusCode, a)
		}
		require.Equal(t, http.StatusNotFound, c.get(t, "/admin/tenants/not-a-uuid").StatusCode)
	})

	t.Run("NeedsCSRF", func(t *testing.T) {
		r := post(c.b, base+"/suspend", "forged", url.Values{"reason": {"csrf"}})
		require.Equal(t, http.StatusForbidden, r.StatusCode)
		require.Equal(t, "active", tenantStatus(t, e, ten.id()))
	})
}

func ptr[T any](v T) *T { return &v }

func TestConsoleApprove(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := setUpConsole(t, e, "ops@wagate.test")
	require.NoError(t, e.Services.Tenants.SetSignupMode(context.Background(), tenant.SignupApproval))
	pending := newTenant(t, e, "Waiting Ltd", "owner@waiting.test")
	other := newTenant(t, e, "Also Waiting", "owner@also.test")
	require.Equal(t, "pending", tenantStatus(t, e, pending.id()))

	home := c.get(t, "/admin")
	require.Equal(t, "2", home.TestID(t, "count-pending-value"))
	row := home.Doc(t).Find(`[data-testid="pending-tenant"][data-tenant-id="` + pending.id().String() + `"]`)
	require.Equal(t, 1, row.Length())
	action := row.Find("form").AttrOr("action", "")
	require.Equal(t, "/admin/tenants/"+pending.id().String()+"/approve", action)

	r := c.post(action, url.Values{"return_to": {"/admin"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	require.Equal(t, "/admin", r.Header.Get("Location"))
	require.Equal(t, "active", tenantStatus(t, e, pending.id()))
	require.Equal(t, "pending", tenantStatus(t, e, other.id()), "only that tenant")
	home = c.get(t, "/admin")
	require.Contains(t, home.TestID(t, "flash"), "approved")
	require.Equal(t, "1", home.TestID(t, "count-pending-value"))
	requireAudit(t, e, audit.Filter{TenantID: ptr(pending.id())}, audit.TenantApproved, "ops@wagate.test")

	require.Equal(t, http.StatusConflict, c.post(action, nil).StatusCode, "approving twice")
	r = c.post("/admin/tenants/"+other.id().String()+"/approve", url.Values{"return_to": {"https://evil.test/"}})
	require.Equal(t, "/admin/tenants/"+other.id().String(), r.Header.Get("Location"), "never leaves the console")
}

func TestConsoleChangePlan(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	ctx := context.Background()
	c := setUpConsole(t, e, "ops@wagate.test")
	ten := newTenant(t, e, "Acme", "owner@acme.test")
	other := newTenant(t, e, "Beta", "owner@beta.test")
	pro, err := e.Services.Tenants.CreatePlan(ctx, tenant.PlanInput{Name: "Pro", MaxSessions: 10, MessagesPerDay: 50000,
		SendRatePerMinute: 60, DelayMinMs: 500, DelayMaxMs: 1500, MaxCampaignSize: 50000, MaxMediaBytes: 64 << 20,
		StorageQuotaBytes: 10 << 30, APIRequestsPerMinute: 600, MaxWebhookEndpoints: 10})
	require.NoError(t, err)
	base := "/admin/tenants/" + ten.id().String()
	before := defaultPlan(t, e)

	r := c.post(base+"/plan", url.Values{"plan_id": {uuid.NewString()}})
	require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
	require.Equal(t, "Choose one of the plans.", r.TestID(t, "error-plan_id"))
	r = c.post(base+"/plan", url.Values{"plan_id": {"nonsense"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
	got, err := e.Services.Tenants.Get(ctx, ten.id())
	require.NoError(t, err)
	require.Equal(t, before.ID, got.Plan.ID, "nothing changed")

	r = c.post(base+"/plan", url.Values{"plan_id": {pro.ID.String()}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	got, err = e.Services.Tenants.Get(ctx, ten.id())
	require.NoError(t, err)
	require.Equal(t, pro.ID, got.Plan.ID)
	otherGot, err := e.Services.Tenants.Get(ctx, other.id())
	require.NoError(t, err)
	require.Equal(t, before.ID, otherGot.Plan.ID, "only that tenant")
	page := c.get(t, base)
	require.Equal(t, "Pro", page.TestID(t, "tenant-plan-name"))
	require.Equal(t, pro.ID.String(), page.Doc(t).Find(`[data-testid="plan-select"] option[selected]`).AttrOr("value", ""))
	entry := requireAudit(t, e, audit.Filter{TenantID: ptr(ten.id())}, audit.TenantPlanChanged, "ops@wagate.test")
	require.Equal(t, "Pro", entry.Details["to_plan"])
}

func TestConsoleTenantList(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	ctx := context.Background()
	c := setUpConsole(t, e, "ops@wagate.test")
	var all []tenantFixture
	for i := 0; i < 27; i++ {
		all = append(all, newTenant(t, e, fmt.Sprintf("Company %02d", i), fmt.Sprintf("owner%02d@example.test", i)))
	}
	require.NoError(t, e.Services.Tenants.Suspend(ctx, all[3].id(), "test"))

	ids := func(r *webtest.Response) []string {
		var out []string
		r.Doc(t).Find(`[data-testid="tenant-row"]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, s.AttrOr("data-tenant-id", ""))
		})
		return out
	}

	t.Run("PagesWithoutOverlap", func(t *testing.T) {
		first := c.get(t, "/admin/tenants")
		require.Equal(t, http.StatusOK, first.StatusCode)
		one := ids(first)
		require.Len(t, one, 25)
		require.Equal(t, all[26].id().String(), one[0], "newest first")
		require.Equal(t, "27", first.Doc(t).Find(`[data-testid="tab-all"] .wg-tab__count`).Text())
		next := first.Doc(t).Find(`[data-testid="pager-next"]`).AttrOr("href", "")
		require.NotEmpty(t, next)
		second := c.get(t, next)
		require.Equal(t, http.StatusOK, second.StatusCode)
		two := ids(second)
		require.Equal(t, []string{all[1].id().String(), all[0].id().String()}, two)
		require.Zero(t, second.Doc(t).Find(`[data-testid="pager-next"]`).Length())
		require.Equal(t, "/admin/tenants", second.Doc(t).Find(`[data-testid="pager-first"]`).AttrOr("href", ""))
		require.Equal(t, http.StatusBadRequest, c.get(t, "/admin/tenants?cursor=garbage").StatusCode)
		require.Equal(t, http.StatusBadRequest, c.get(t, "/admin/tenants?status=bogus").StatusCode)
	})

	t.Run("SearchAndStatus", func(t *testing.T) {
		r := c.get(t, "/admin/tenants?q=company+05")
		require.Equal(t, []string{all[5].id().String()}, ids(r))
		require.Equal(t, "owner05@example.test", r.TestID(t, "tenant-owner"))
		r = c.get(t, "/admin/tenants?q=OWNER07%40example")
		require.Equal(t, []string{all[7].id().String()}, ids(r), "by a member's email")
		r = c.get(t, "/admin/tenants?status=suspended")
		require.Equal(t, []string{all[3].id().String()}, ids(r))
		require.Equal(t, "page", r.Doc(t).Find(`[data-testid="tab-suspended"]`).AttrOr("aria-current", ""))
		r = c.get(t, "/admin/tenants?q=nothing+like+this")
		require.Empty(t, ids(r))
		require.Equal(t, "No tenants match", r.Doc(t).Find(`[data-testid="empty-state"] .wg-empty__title`).Text())

		req, _ := http.NewRequest(http.MethodGet, e.URL()+"/admin/tenants?q=company+09", nil)
		req.Header.Set("HX-Request", "true")
		r = c.b.Do(req)
		require.Equal(t, http.StatusOK, r.StatusCode)
		require.NotContains(t, r.Body, "<html", "htmx gets the list only")
		require.Equal(t, []string{all[9].id().String()}, ids(r))
	})

	t.Run("Detail", func(t *testing.T) {
		ten := all[2]
		inv, err := e.Services.Users.Invite(ctx, ten.owner, "member@company02.test", auth.RoleMember)
		require.NoError(t, err)
		_, err = e.Services.Users.AcceptInvitation(ctx, inv.Link[strings.LastIndex(inv.Link, "/")+1:], "Mia Member", "member password 02")
		require.NoError(t, err)
		_, err = e.Services.APIKeys.Create(ctx, ten.owner, auth.CreateKeyInput{Name: "k", Scopes: []string{auth.ScopeRead}})
		require.NoError(t, err)

		r := c.get(t, "/admin/tenants/"+ten.id().String())
		require.Equal(t, http.StatusOK, r.StatusCode)
		var emails []string
		r.Doc(t).Find(`[data-testid="member-email"]`).Each(func(_ int, s *goquery.Selection) { emails = append(emails, s.Text()) })
		require.Equal(t, []string{"owner02@example.test", "member@company02.test"}, emails)
		require.Equal(t, "2", r.TestID(t, "usage-members"))
		require.Equal(t, "1", r.TestID(t, "usage-keys"))
		require.NotContains(t, r.Body, "owner03@example.test", "no other tenant's members")
		require.NotEmpty(t, r.Doc(t).Find(`[data-testid="tenant-activity"] [data-action="tenant.signed_up"]`).Length())
		for _, other := range all {
			if other.id() != ten.id() {
				require.NotContains(t, r.Body, other.id().String())
			}
		}
	})
}

func TestConsoleResetLink(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := setUpConsole(t, e, "ops@wagate.test")
	ten := newTenant(t, e, "Acme", "owner@acme.test")
	other := newTenant(t, e, "Beta", "owner@beta.test")

	page := c.get(t, "/admin/tenants/"+ten.id().String())
	action := page.Doc(t).Find(`[data-user-id="`+ten.owner.ID.String()+`"] form`).AttrOr("action", "")
	require.Equal(t, "/admin/tenants/"+ten.id().String()+"/users/"+ten.owner.ID.String()+"/reset-link", action)

	r := c.post(action, nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	link := r.Doc(t).Find(`[data-testid="reset-link"]`).AttrOr("value", "")
	require.True(t, strings.HasPrefix(link, e.URL()+"/reset/"), link)
	require.Contains(t, r.Body, "owner@acme.test")
	// The link works for its owner: it opens the reset form.
	require.Equal(t, http.StatusOK, e.NewBrowser().Get(strings.TrimPrefix(link, e.URL())).StatusCode)
	entry := requireAudit(t, e, audit.Filter{TenantID: ptr(ten.id())}, audit.UserResetLinkMade, "ops@wagate.test")
	require.Equal(t, ten.owner.ID.String(), entry.TargetID)

	// A user of another tenant named under this tenant's path is not found, and no link is made.
	before := len(auditActions(t, e, audit.Filter{Action: audit.UserResetLinkMade}))
	r = c.post("/admin/tenants/"+ten.id().String()+"/users/"+other.owner.ID.String()+"/reset-link", nil)
	require.Equal(t, http.StatusNotFound, r.StatusCode)
	require.NotContains(t, r.Body, "/reset/")
	require.Equal(t, http.StatusNotFound, c.post("/admin/tenants/"+ten.id().String()+"/users/"+uuid.NewString()+"/reset-link", nil).StatusCode)
	require.Len(t, auditActions(t, e, audit.Filter{Action: audit.UserResetLinkMade}), before)
}
