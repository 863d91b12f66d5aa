package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/factory"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestConsoleAuditLog(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := setUpConsole(t, e, "ops@wagate.test")
	acme := newTenant(t, e, "Acme", "owner@acme.test")
	beta := newTenant(t, e, "Beta", "owner@beta.test")
	require.Equal(t, http.StatusSeeOther, c.post("/admin/tenants/"+beta.id().String()+"/suspend", url.Values{"reason": {"spam"}}).StatusCode)

	rows := func(r *webtest.Response) (actions []string, tenants []string) {
		r.Doc(t).Find(`[data-testid="audit-row"]`).Each(func(_ int, s *goquery.Selection) {
			actions = append(actions, s.AttrOr("data-action", ""))
			tenants = append(tenants, s.Find(`[data-testid="audit-tenant"]`).Text())
		})
		return actions, tenants
	}

	t.Run("Everything", func(t *testing.T) {
		r := c.get(t, "/admin/audit")
		require.Equal(t, http.StatusOK, r.StatusCode)
		actions, _ := rows(r)
		require.Equal(t, "tenant.suspended", actions[0], "newest first")
		require.Contains(t, actions, "operator.login")
		require.Contains(t, actions, "tenant.signed_up")
		first := r.Doc(t).Find(`[data-testid="audit-row"]`).First()
		require.Equal(t, "Workspace suspended", first.Find(`[data-testid="audit-label"]`).Text())
		require.Equal(t, "ops@wagate.test", first.Find(`[data-testid="audit-actor"]`).Text())
		require.Contains(t, first.Text(), "spam", "details shown")
	})

	t.Run("ByTenant", func(t *testing.T) {
		r := c.get(t, "/admin/audit?tenant="+acme.id().String())
		require.Equal(t, http.StatusOK, r.StatusCode)
		actions, tenants := rows(r)
		require.Equal(t, []string{"tenant.signed_up"}, actions)
		require.Equal(t, []string{"Acme"}, tenants)
		require.Contains(t, r.TestID(t, "filter-tenant-name"), "Acme")
		require.NotContains(t, r.Body, "owner@beta.test")

		r = c.get(t, "/admin/audit?tenant=not-an-id")
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		require.NotEmpty(t, r.TestID(t, "error-tenant"))
		require.Zero(t, r.Doc(t).Find(`[data-testid="audit-row"]`).Length())
		r = c.get(t, "/admin/audit?tenant="+uuid.NewString())
		require.Equal(t, "No tenant has this ID.", r.TestID(t, "error-tenant"))
	})

	t.Run("ByActionAndActor", func(t *testing.T) {
		actions, _ := rows(c.get(t, "/admin/audit?action=operator."))
		require.NotEmpty(t, actions)
		for _, a := range actions {
			require.Regexp(t, `^operator\.`, a)
		}
		actions, _ = rows(c.get(t, "/admin/audit?actor=owner%40acme"))
		require.Equal(t, []string{"tenant.signed_up"}, actions)
	})

	t.Run("Paging", func(t *testing.T) {
		for i := 0; i < 55; i++ {
			require.NoError(t, e.Services.Tenants.SetSignupMode(context.Background(), []string{"open", "approval"}[i%2]))
		}
		r := c.get(t, "/admin/audit?action=settings.")
		one, _ := rows(r)
		require.Len(t, one, 50)
		next := r.Doc(t).Find(`[data-testid="pager-next"]`).AttrOr("href", "")
		require.Contains(t, next, "action=settings.")
		two, _ := rows(c.get(t, next))
		require.Len(t, two, 5)
		require.Equal(t, http.StatusBadRequest, c.get(t, "/admin/audit?cursor=zzz").StatusCode)
	})
}

func TestConsoleOverview(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := setUpConsole(t, e, "ops@wagate.test")
	ctx := context.Background()

	r := c.get(t, "/admin")
	require.Equal(t, "0", r.TestID(t, "count-total-value"))
	require.Equal(t, 1, r.Doc(t).Find(`[data-testid="pending-empty"]`).Length())
	// The app itself is a registered instance (every process registers, whatever its roles).
	require.Equal(t, 0, r.Doc(t).Find(`[data-testid="instances-empty"]`).Length())
	require.Equal(t, 1, r.Doc(t).Find(`[data-testid="instance-row"]`).Length())

	factory.Instance(ctx, t, e.Pool, &factory.InstanceOpts{Hostname: factory.Ptr("node-a"), Roles: []string{"http", "worker"}})
	a := newTenant(t, e, "Acme", "owner@acme.test")
	newTenant(t, e, "Beta", "owner@beta.test")
	require.NoError(t, e.Services.Tenants.Suspend(ctx, a.id(), ""))

	r = c.get(t, "/admin")
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.Equal(t, "2", r.TestID(t, "count-total-value"))
	require.Equal(t, "1", r.TestID(t, "count-active-value"))
	require.Equal(t, "1", r.TestID(t, "count-suspended-value"))
	require.Equal(t, "0", r.TestID(t, "count-pending-value"))
	nodeA := r.Doc(t).Find(`[data-testid="instance-row"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find(`[data-testid="instance-host"]`).Text()) == "node-a"
	})
	require.Equal(t, 1, nodeA.Length())
	require.Contains(t, nodeA.Text(), "worker")
	require.NotZero(t, r.Doc(t).Find(`[data-testid="recent-panel"] [data-action="tenant.suspended"]`).Length())
	require.Equal(t, "page", r.Doc(t).Find(`[data-testid="nav-overview"]`).AttrOr("aria-current", ""))
}
