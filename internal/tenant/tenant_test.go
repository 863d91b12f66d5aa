package tenant_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
)

type testBundle struct {
	db  *pgxpool.Pool
	ctx context.Context // carries an operator as the actor, as the console's requests do
}

func setup(t *testing.T) (*tenant.Service, *testBundle) {
	t.Helper()
	db := dbtest.Pool(t)
	ctx := audit.WithActor(t.Context(), audit.Actor{Type: audit.ActorOperator, Email: "ops@example.com"})
	return tenant.NewService(db), &testBundle{db: db, ctx: ctx}
}

// newTenant creates a tenant as sign-up does: through tenant.Create, with its owner, in one
// transaction. (The console's list expects every tenant to have an owner.)
func (b *testBundle) newTenant(t *testing.T, name, status string) tenant.Tenant {
	t.Helper()
	var out tenant.Tenant
	require.NoError(t, store.WithTx(b.ctx, b.db, func(q *store.Queries) error {
		var err error
		if out, err = tenant.Create(b.ctx, q, tenant.CreateInput{Name: name, Status: status}); err != nil {
			return err
		}
		_, err = q.UserInsert(b.ctx, store.UserInsertParams{ID: uuid.Must(uuid.NewV7()), TenantID: out.ID,
			Email: "owner-" + out.ID.String()[:13] + "@example.test", Name: "Owner", Role: "owner", PasswordHash: "x"})
		return err
	}))
	return out
}

func (b *testBundle) addMember(t *testing.T, tenantID uuid.UUID, email string) {
	t.Helper()
	_, err := store.New(b.db).UserInsert(b.ctx, store.UserInsertParams{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID,
		Email: email, Name: "Member", Role: "member", PasswordHash: "x"})
	require.NoError(t, err)
}

func (b *testBundle) addAPIKey(t *testing.T, tenantID uuid.UUID) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	_, err := store.New(b.db).APIKeyInsert(b.ctx, store.APIKeyInsertParams{ID: id, TenantID: tenantID, Name: "key",
		Prefix: id.String()[:8], SecretHash: []byte(id.String()), Scopes: []string{"read"}})
	require.NoError(t, err)
	return id
}

// lastAudit returns the newest audit entry with the given action.
func (b *testBundle) lastAudit(t *testing.T, action string) audit.Item {
	t.Helper()
	p, err := audit.ListAll(b.ctx, b.db, audit.Filter{Action: action, Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, p.Entries, "an audit entry %s", action)
	return p.Entries[0]
}

func requireFieldError(t *testing.T, err error, fields ...string) {
	t.Helper()
	var ve *validate.Errors
	require.ErrorAs(t, err, &ve)
	for _, f := range fields {
		require.Contains(t, ve.Fields, f)
	}
}

// validPlan is a plan input the service accepts.
func validPlan(name string) tenant.PlanInput {
	return tenant.PlanInput{Name: name, MaxSessions: 5, MessagesPerDay: 10_000, SendRatePerMinute: 30, DelayMinMs: 500,
		DelayMaxMs: 1500, MaxCampaignSize: 5000, MaxMediaBytes: 32 << 20, StorageQuotaBytes: 5 << 30,
		APIRequestsPerMinute: 600, MaxWebhookEndpoints: 5}
}

func TestCreate(t *testing.T) {
	t.Parallel()

	t.Run("OnTheDefaultPlan", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		created := b.newTenant(t, "  Acme  ", tenant.StatusActive)
		require.Equal(t, "Acme", created.Name)

		got, err := svc.Get(b.ctx, created.ID)
		require.NoError(t, err)
		require.Equal(t, tenant.StatusActive, got.Status)
		require.Equal(t, "Starter", got.Plan.Name)
		require.True(t, got.Plan.IsDefault)
		require.Equal(t, "UTC", got.Timezone)
		require.Equal(t, "US", got.DefaultCountry)
	})

	t.Run("FollowsTheDefault", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		in := validPlan("Pro")
		in.Default = true
		pro, err := svc.CreatePlan(b.ctx, in)
		require.NoError(t, err)

		got, err := svc.Get(b.ctx, b.newTenant(t, "Acme", tenant.StatusPending).ID)
		require.NoError(t, err)
		require.Equal(t, pro.ID, got.Plan.ID)
	})
}

func TestService_Get(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	_, err := svc.Get(b.ctx, uuid.New())
	require.ErrorIs(t, err, tenant.ErrNotFound)
}

func TestService_SignupMode(t *testing.T) {
	t.Parallel()

	t.Run("OpenByDefault", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		mode, err := svc.SignupMode(b.ctx)
		require.NoError(t, err)
		require.Equal(t, tenant.SignupOpen, mode)
	})

	t.Run("EveryMode", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		for _, m := range []string{tenant.SignupInvite, tenant.SignupApproval, tenant.SignupOpen} {
			require.NoError(t, svc.SetSignupMode(b.ctx, m))
			got, err := svc.SignupMode(b.ctx)
			require.NoError(t, err)
			require.Equal(t, m, got)
			e := b.lastAudit(t, audit.SignupModeChanged)
			require.Equal(t, m, e.Details["signup_mode"])
			require.Equal(t, audit.ActorOperator, e.ActorType)
			require.Nil(t, e.TenantID, "a platform event")
		}
		require.Equal(t, []string{tenant.SignupOpen, tenant.SignupApproval, tenant.SignupInvite}, tenant.SignupModes)
	})

	t.Run("UnknownMode", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		require.NoError(t, svc.SetSignupMode(b.ctx, tenant.SignupInvite))
		requireFieldError(t, svc.SetSignupMode(b.ctx, "closed"), "signup_mode")
		got, err := svc.SignupMode(b.ctx)
		require.NoError(t, err)
		require.Equal(t, tenant.SignupInvite, got, "a refused mode changes nothing")
	})
}

func TestService_Plans(t *testing.T) {
	t.Parallel()

	t.Run("Create", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		in := validPlan("  Business  ")
		p, err := svc.CreatePlan(b.ctx, in)
		require.NoError(t, err)
		require.Equal(t, "Business", p.Name)
		require.False(t, p.IsDefault)
		in.Name = "Business"
		require.Equal(t, in, tenant.FromPlan(p), "every field is stored as given")

		again, err := svc.Plan(b.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, again)
		e := b.lastAudit(t, audit.PlanCreated)
		require.Equal(t, p.ID.String(), e.TargetID)
		require.Equal(t, "Business", e.Details["name"])
	})

	t.Run("ListDefaultFirstThenByName", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		for _, n := range []string{"zeta", "Alpha", "beta"} {
			_, err := svc.CreatePlan(b.ctx, validPlan(n))
			require.NoError(t, err)
		}
		b.newTenant(t, "A", tenant.StatusActive)
		b.newTenant(t, "B", tenant.StatusActive)

		plans, err := svc.Plans(b.ctx)
		require.NoError(t, err)
		var names []string
		for _, p := range plans {
			names = append(names, p.Name)
		}
		require.Equal(t, []string{"Starter", "Alpha", "beta", "zeta"}, names)
		require.Equal(t, int64(2), plans[0].Tenants)
		require.Zero(t, plans[1].Tenants)
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		in := validPlan(" ")
		in.SendRatePerMinute = 0
		in.DelayMinMs, in.DelayMaxMs = 2000, 1000
		in.MaxMediaBytes = tenant.MaxUploadBytes + 1
		in.APIRequestsPerMinute = 0
		in.MaxWebhookEndpoints = -1
		_, err := svc.CreatePlan(b.ctx, in)
		requireFieldError(t, err, "name", "send_rate_per_minute", "delay_max_ms", "max_media_bytes",
			"api_requests_per_minute", "max_webhook_endpoints")
		plans, err := svc.Plans(b.ctx)
		require.NoError(t, err)
		require.Len(t, plans, 1, "nothing was stored")
	})

	t.Run("NameTakenIgnoringCase", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		_, err := svc.CreatePlan(b.ctx, validPlan("STARTER"))
		requireFieldError(t, err, "name")

		other, err := svc.CreatePlan(b.ctx, validPlan("Other"))
		require.NoError(t, err)
		_, err = svc.UpdatePlan(b.ctx, other.ID, validPlan("starter"))
		requireFieldError(t, err, "name")
	})

	t.Run("UpdateReachesTenantsAtOnce", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		tn := b.newTenant(t, "Acme", tenant.StatusActive)
		before, err := svc.Get(b.ctx, tn.ID)
		require.NoError(t, err)

		in := tenant.FromPlan(before.Plan)
		in.MessagesPerDay, in.MaxSessions = 42, 7
		_, err = svc.UpdatePlan(b.ctx, before.Plan.ID, in)
		require.NoError(t, err)
		after, err := svc.Get(b.ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, int32(42), after.Plan.MessagesPerDay)
		require.Equal(t, int32(7), after.Plan.MaxSessions)
		require.Equal(t, before.Plan.ID.String(), b.lastAudit(t, audit.PlanUpdated).TargetID)
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		_, err := svc.Plan(b.ctx, uuid.New())
		require.ErrorIs(t, err, tenant.ErrPlanNotFound)
		_, err = svc.UpdatePlan(b.ctx, uuid.New(), validPlan("Ghost"))
		require.ErrorIs(t, err, tenant.ErrPlanNotFound)
	})

	t.Run("DefaultMovesAndCannotBeUnset", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		plans, err := svc.Plans(b.ctx)
		require.NoError(t, err)
		starter := plans[0]

		in := validPlan("Pro")
		pro, err := svc.CreatePlan(b.ctx, in)
		require.NoError(t, err)
		in.Default = true
		pro, err = svc.UpdatePlan(b.ctx, pro.ID, in)
		require.NoError(t, err)
		require.True(t, pro.IsDefault)
		old, err := svc.Plan(b.ctx, starter.ID)
		require.NoError(t, err)
		require.False(t, old.IsDefault, "one default at a time")

		// Saving the default plan without the flag keeps it the default: there is always one.
		in.Default = false
		pro, err = svc.UpdatePlan(b.ctx, pro.ID, in)
		require.NoError(t, err)
		require.True(t, pro.IsDefault)
		plans, err = svc.Plans(b.ctx)
		require.NoError(t, err)
		require.Equal(t, "Pro", plans[0].Name)
		require.True(t, plans[0].IsDefault)
		require.False(t, plans[1].IsDefault)
	})
}

func TestService_Status(t *testing.T) {
	t.Parallel()

	t.Run("ApproveSuspendReactivate", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		tn := b.newTenant(t, "Acme", tenant.StatusPending)
		status := func() tenant.Tenant {
			got, err := svc.Get(b.ctx, tn.ID)
			require.NoError(t, err)
			return got
		}

		require.NoError(t, svc.Approve(b.ctx, tn.ID))
		require.Equal(t, tenant.StatusActive, status().Status)
		e := b.lastAudit(t, audit.TenantApproved)
		require.Equal(t, &tn.ID, e.TenantID)
		require.Equal(t, map[string]any{"from": "pending", "to": "active"}, e.Details)

		require.NoError(t, svc.Suspend(b.ctx, tn.ID, "  unpaid invoices "))
		got := status()
		require.Equal(t, tenant.StatusSuspended, got.Status)
		require.Equal(t, "unpaid invoices", got.SuspendedReason)
		require.Equal(t, "unpaid invoices", b.lastAudit(t, audit.TenantSuspended).Details["reason"])

		require.NoError(t, svc.Reactivate(b.ctx, tn.ID))
		got = status()
		require.Equal(t, tenant.StatusActive, got.Status)
		require.Empty(t, got.SuspendedReason, "the reason goes with the suspension")
		require.Equal(t, "suspended", b.lastAudit(t, audit.TenantReactivated).Details["from"])
	})

	t.Run("SuspendPending", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		tn := b.newTenant(t, "Acme", tenant.StatusPending)
		require.NoError(t, svc.Suspend(b.ctx, tn.ID, ""))
		got, err := svc.Get(b.ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, tenant.StatusSuspended, got.Status)
	})

	t.Run("WrongState", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		active := b.newTenant(t, "Active", tenant.StatusActive)
		require.ErrorIs(t, svc.Approve(b.ctx, active.ID), tenant.ErrInvalidStatus)
		require.ErrorIs(t, svc.Reactivate(b.ctx, active.ID), tenant.ErrInvalidStatus)
		require.NoError(t, svc.Suspend(b.ctx, active.ID, "abuse"))
		require.ErrorIs(t, svc.Suspend(b.ctx, active.ID, "again"), tenant.ErrInvalidStatus)
		require.ErrorIs(t, svc.Approve(b.ctx, active.ID), tenant.ErrInvalidStatus)

		got, err := svc.Get(b.ctx, active.ID)
		require.NoError(t, err)
		require.Equal(t, "abuse", got.SuspendedReason, "a refused change leaves the tenant as it was")
		p, err := audit.ListForTenant(b.ctx, b.db, active.ID, audit.Filter{Action: "tenant."})
		require.NoError(t, err)
		require.Len(t, p.Entries, 1, "only the change that happened is recorded")
	})

	t.Run("ReasonTooLong", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		tn := b.newTenant(t, "Acme", tenant.StatusActive)
		requireFieldError(t, svc.Suspend(b.ctx, tn.ID, strings.Repeat("x", 501)), "reason")
		got, err := svc.Get(b.ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, tenant.StatusActive, got.Status)
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		require.ErrorIs(t, svc.Approve(b.ctx, uuid.New()), tenant.ErrNotFound)
		require.ErrorIs(t, svc.Suspend(b.ctx, uuid.New(), ""), tenant.ErrNotFound)
		require.ErrorIs(t, svc.Reactivate(b.ctx, uuid.New()), tenant.ErrNotFound)
	})
}

func TestService_ChangePlan(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	tn := b.newTenant(t, "Acme", tenant.StatusActive)
	pro, err := svc.CreatePlan(b.ctx, validPlan("Pro"))
	require.NoError(t, err)

	require.NoError(t, svc.ChangePlan(b.ctx, tn.ID, pro.ID))
	got, err := svc.Get(b.ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, pro.ID, got.Plan.ID)
	e := b.lastAudit(t, audit.TenantPlanChanged)
	require.Equal(t, tn.Plan.ID.String(), e.Details["from_plan_id"])
	require.Equal(t, "Pro", e.Details["to_plan"])

	requireFieldError(t, svc.ChangePlan(b.ctx, tn.ID, uuid.New()), "plan_id")
	require.ErrorIs(t, svc.ChangePlan(b.ctx, uuid.New(), pro.ID), tenant.ErrNotFound)
	got, err = svc.Get(b.ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, pro.ID, got.Plan.ID)
}

func TestService_List(t *testing.T) {
	t.Parallel()

	t.Run("FiltersAndCounts", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		acme := b.newTenant(t, "Acme Corp", tenant.StatusActive)
		b.addMember(t, acme.ID, "sales@acme.example")
		b.newTenant(t, "Globex", tenant.StatusPending)
		b.newTenant(t, "Initech", tenant.StatusSuspended)
		b.newTenant(t, "Umbrella", tenant.StatusActive)

		names := func(f tenant.ListFilter) []string {
			p, err := svc.List(b.ctx, f)
			require.NoError(t, err)
			var out []string
			for _, it := range p.Items {
				out = append(out, it.Name)
			}
			return out
		}
		require.Equal(t, []string{"Umbrella", "Initech", "Globex", "Acme Corp"}, names(tenant.ListFilter{}), "newest first")
		require.Equal(t, []string{"Umbrella", "Acme Corp"}, names(tenant.ListFilter{Status: tenant.StatusActive}))
		require.Equal(t, []string{"Acme Corp"}, names(tenant.ListFilter{Search: " acme "}), "by name")
		require.Equal(t, []string{"Acme Corp"}, names(tenant.ListFilter{Search: "SALES@acme"}), "by a member's email")
		require.Empty(t, names(tenant.ListFilter{Search: "acme", Status: tenant.StatusPending}))
		require.Equal(t, []string{"Globex"}, names(tenant.ListFilter{Search: "glo\xff"}), "invalid UTF-8 is dropped, not an error")

		p, err := svc.List(b.ctx, tenant.ListFilter{Search: "acme"})
		require.NoError(t, err)
		require.Equal(t, int64(2), p.Items[0].MemberCount, "the owner and one member")
		require.Equal(t, "owner-"+acme.ID.String()[:13]+"@example.test", p.Items[0].OwnerEmail)
		require.Equal(t, "Starter", p.Items[0].PlanName)

		c, err := svc.Counts(b.ctx)
		require.NoError(t, err)
		require.Equal(t, tenant.StatusCounts{Pending: 1, Active: 2, Suspended: 1}, c)
	})

	t.Run("Pages", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		var want []string
		for i := range 5 {
			name := fmt.Sprintf("Tenant %d", i)
			b.newTenant(t, name, tenant.StatusActive)
			want = append([]string{name}, want...)
			time.Sleep(2 * time.Millisecond) // distinct created_at, so the order is the order of creation
		}
		var got []string
		var cursor *tenant.Cursor
		pages := 0
		for {
			p, err := svc.List(b.ctx, tenant.ListFilter{Limit: 2, Cursor: cursor})
			require.NoError(t, err)
			pages++
			require.LessOrEqual(t, len(p.Items), 2)
			for _, it := range p.Items {
				got = append(got, it.Name)
			}
			if p.Next == nil {
				break
			}
			cursor = p.Next
			require.Less(t, pages, 5, "paging ends")
		}
		require.Equal(t, 3, pages)
		require.Equal(t, want, got, "every tenant once, newest first")
	})
}

func TestService_UpdateSettings(t *testing.T) {
	t.Parallel()

	t.Run("Valid", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		tn := b.newTenant(t, "Acme", tenant.StatusActive)
		got, err := svc.UpdateSettings(b.ctx, tn.ID, tenant.Settings{Name: " Acme GmbH ", Timezone: "Europe/Berlin", DefaultCountry: " de"})
		require.NoError(t, err)
		require.Equal(t, "Acme GmbH", got.Name)
		require.Equal(t, "Europe/Berlin", got.Timezone)
		require.Equal(t, "DE", got.DefaultCountry)
		reread, err := svc.Get(b.ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, got, tenant.Settings{Name: reread.Name, Timezone: reread.Timezone, DefaultCountry: reread.DefaultCountry})
		require.Equal(t, &tn.ID, b.lastAudit(t, audit.TenantUpdated).TenantID)
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		tn := b.newTenant(t, "Acme", tenant.StatusActive)
		for _, tc := range []struct {
			in     tenant.Settings
			fields []string
		}{
			{tenant.Settings{Name: "", Timezone: "UTC", DefaultCountry: "US"}, []string{"name"}},
			{tenant.Settings{Name: "A", Timezone: "Mars/Olympus", DefaultCountry: "US"}, []string{"timezone"}},
			{tenant.Settings{Name: "A", Timezone: "Local", DefaultCountry: "US"}, []string{"timezone"}},
			{tenant.Settings{Name: "A", Timezone: "", DefaultCountry: "US"}, []string{"timezone"}},
			{tenant.Settings{Name: "A", Timezone: "UTC", DefaultCountry: "USA"}, []string{"default_country"}},
			{tenant.Settings{Name: "A", Timezone: "UTC", DefaultCountry: "1A"}, []string{"default_country"}},
		} {
			_, err := svc.UpdateSettings(b.ctx, tn.ID, tc.in)
			requireFieldError(t, err, tc.fields...)
		}
		got, err := svc.Get(b.ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, "Acme", got.Name)
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		svc, b := setup(t)
		_, err := svc.UpdateSettings(b.ctx, uuid.New(), tenant.Settings{Name: "A", Timezone: "UTC", DefaultCountry: "US"})
		require.ErrorIs(t, err, tenant.ErrNotFound)
	})
}

func TestService_Overview(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	tn := b.newTenant(t, "Acme", tenant.StatusActive)
	other := b.newTenant(t, "Other", tenant.StatusActive)
	b.addMember(t, tn.ID, "a@acme.example")
	b.addMember(t, tn.ID, "b@acme.example")
	b.addMember(t, other.ID, "c@other.example")
	b.addAPIKey(t, tn.ID)
	revoked := b.addAPIKey(t, tn.ID)
	b.addAPIKey(t, other.ID)
	_, err := store.New(b.db).APIKeyRevoke(b.ctx, store.APIKeyRevokeParams{TenantID: tn.ID, ID: revoked})
	require.NoError(t, err)

	o, err := svc.Overview(b.ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, tn.ID, o.ID)
	require.Equal(t, "Starter", o.Plan.Name)
	require.Equal(t, tenant.Usage{Members: 3, ActiveAPIKeys: 1}, o.Usage, "this tenant's members (owner included) and unrevoked keys only")

	_, err = svc.Overview(b.ctx, uuid.New())
	require.True(t, errors.Is(err, tenant.ErrNotFound))
}
