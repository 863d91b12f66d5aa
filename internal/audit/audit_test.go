package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
)

func TestMain(m *testing.M) { dbtest.Main(m) } // drops the shared database of dbtest.Tx

type testBundle struct {
	db store.DB
	q  *store.Queries
}

// setup gives each test a transaction of its own, rolled back at the end: the listings below see
// only what the test wrote.
func setup(t *testing.T) *testBundle {
	t.Helper()
	tx := dbtest.Tx(t)
	return &testBundle{db: tx, q: store.New(tx)}
}

func (b *testBundle) newTenant(t *testing.T, name string) uuid.UUID {
	t.Helper()
	tn, err := tenant.Create(t.Context(), b.q, tenant.CreateInput{Name: name, Status: tenant.StatusActive})
	require.NoError(t, err)
	return tn.ID
}

func (b *testBundle) record(t *testing.T, ctx context.Context, tenantID *uuid.UUID, action string) {
	t.Helper()
	require.NoError(t, audit.Record(ctx, b.q, audit.Entry{TenantID: tenantID, Action: action, TargetType: "test"}))
}

func actions(p audit.Page) []string {
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.Action)
	}
	return out
}

func TestRecord(t *testing.T) {
	t.Parallel()

	t.Run("ActorFromContext", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tenantID := b.newTenant(t, "Acme")
		userID := uuid.New()
		ctx := audit.WithActor(t.Context(), audit.Actor{Type: audit.ActorUser, ID: &userID, Email: "ann@acme.example",
			IP: "203.0.113.7", UserAgent: "Firefox"})
		require.NoError(t, audit.Record(ctx, b.q, audit.Entry{TenantID: &tenantID, Action: audit.APIKeyCreated,
			TargetType: "api_key", TargetID: "k1", Details: map[string]any{"name": "CI", "scopes": []string{"send"}}}))

		p, err := audit.ListForTenant(ctx, b.db, tenantID, audit.Filter{})
		require.NoError(t, err)
		require.Len(t, p.Entries, 1)
		e := p.Entries[0]
		require.Equal(t, &tenantID, e.TenantID)
		require.Equal(t, audit.ActorUser, e.ActorType)
		require.Equal(t, "ann@acme.example", e.ActorEmail)
		require.Equal(t, "203.0.113.7", e.IP)
		require.Equal(t, audit.APIKeyCreated, e.Action)
		require.Equal(t, "api_key", e.TargetType)
		require.Equal(t, "k1", e.TargetID)
		require.Equal(t, map[string]any{"name": "CI", "scopes": []any{"send"}}, e.Details)
		require.False(t, e.CreatedAt.IsZero())
	})

	t.Run("SystemWithoutActor", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.Equal(t, audit.Actor{Type: audit.ActorSystem}, audit.ActorFrom(t.Context()))
		b.record(t, t.Context(), nil, audit.PlanCreated)
		p, err := audit.ListAll(t.Context(), b.db, audit.Filter{})
		require.NoError(t, err)
		require.Len(t, p.Entries, 1)
		require.Equal(t, audit.ActorSystem, p.Entries[0].ActorType)
		require.Nil(t, p.Entries[0].TenantID)
		require.Empty(t, p.Entries[0].Details)
	})

	t.Run("RecordAsCleansWhatTheCallerSent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// A failed login: the actor is whoever tried, with whatever their request carried.
		actor := audit.Actor{Type: audit.ActorAnonymous, Email: "bad\xffname@example.com",
			IP: strings.Repeat("1", 100), UserAgent: strings.Repeat("é", 400)}
		require.NoError(t, audit.RecordAs(t.Context(), b.q, actor, audit.Entry{Action: audit.UserLoginFailed}))

		p, err := audit.ListAll(t.Context(), b.db, audit.Filter{})
		require.NoError(t, err)
		require.Len(t, p.Entries, 1)
		e := p.Entries[0]
		require.Equal(t, audit.ActorAnonymous, e.ActorType)
		require.Equal(t, "bad\uFFFDname@example.com", e.ActorEmail, "invalid UTF-8 is replaced, not refused")
		require.Len(t, e.IP, 64)
		var ua string
		require.NoError(t, b.db.QueryRow(t.Context(), "SELECT user_agent FROM audit_log WHERE id = $1", e.ID).Scan(&ua))
		require.Equal(t, strings.Repeat("é", 300), ua, "cut to 300 characters, not bytes")
	})
}

func TestListForTenant(t *testing.T) {
	t.Parallel()

	t.Run("OnlyTheTenantsOwn", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := t.Context()
		acme, globex := b.newTenant(t, "Acme"), b.newTenant(t, "Globex")
		b.record(t, ctx, &acme, audit.UserLogin)
		b.record(t, ctx, &globex, audit.UserLogin)
		b.record(t, ctx, nil, audit.PlanCreated) // a platform event
		b.record(t, ctx, &acme, audit.MemberInvited)

		p, err := audit.ListForTenant(ctx, b.db, acme, audit.Filter{})
		require.NoError(t, err)
		require.Equal(t, []string{audit.MemberInvited, audit.UserLogin}, actions(p), "newest first")
		for _, e := range p.Entries {
			require.Equal(t, &acme, e.TenantID)
		}
		require.Nil(t, p.Next)

		// A filter naming another tenant cannot widen the listing.
		p, err = audit.ListForTenant(ctx, b.db, acme, audit.Filter{TenantID: &globex})
		require.NoError(t, err)
		require.Equal(t, []string{audit.MemberInvited, audit.UserLogin}, actions(p))
	})

	t.Run("ActionPrefix", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := t.Context()
		acme := b.newTenant(t, "Acme")
		for _, a := range []string{audit.UserLogin, audit.MemberJoined, audit.UserLogout, audit.APIKeyCreated} {
			b.record(t, ctx, &acme, a)
		}
		p, err := audit.ListForTenant(ctx, b.db, acme, audit.Filter{Action: " user. "})
		require.NoError(t, err)
		require.Equal(t, []string{audit.UserLogout, audit.UserLogin}, actions(p))
		p, err = audit.ListForTenant(ctx, b.db, acme, audit.Filter{Action: audit.APIKeyCreated})
		require.NoError(t, err)
		require.Equal(t, []string{audit.APIKeyCreated}, actions(p))
	})

	t.Run("Pages", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := t.Context()
		acme := b.newTenant(t, "Acme")
		var want []uuid.UUID
		for range 5 {
			b.record(t, ctx, &acme, audit.UserLogin)
		}
		all, err := audit.ListForTenant(ctx, b.db, acme, audit.Filter{})
		require.NoError(t, err)
		for _, e := range all.Entries {
			want = append(want, e.ID)
		}
		require.Len(t, want, 5)

		var got []uuid.UUID
		f := audit.Filter{Limit: 2}
		for pages := 1; ; pages++ {
			p, err := audit.ListForTenant(ctx, b.db, acme, f)
			require.NoError(t, err)
			require.LessOrEqual(t, len(p.Entries), 2)
			for _, e := range p.Entries {
				got = append(got, e.ID)
			}
			if p.Next == nil {
				require.Equal(t, 3, pages)
				break
			}
			require.Equal(t, p.Entries[len(p.Entries)-1].ID, *p.Next, "the cursor is the last entry shown")
			f.Before = p.Next
		}
		require.Equal(t, want, got, "every entry once, in order")
	})
}

func TestListAll(t *testing.T) {
	t.Parallel()

	t.Run("EveryTenantWithItsName", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := t.Context()
		acme, globex := b.newTenant(t, "Acme"), b.newTenant(t, "Globex")
		b.record(t, ctx, &acme, audit.UserLogin)
		b.record(t, ctx, nil, audit.SignupModeChanged)
		b.record(t, ctx, &globex, audit.TenantSuspended)

		p, err := audit.ListAll(ctx, b.db, audit.Filter{})
		require.NoError(t, err)
		require.Equal(t, []string{audit.TenantSuspended, audit.SignupModeChanged, audit.UserLogin}, actions(p))
		require.Equal(t, "Globex", p.Entries[0].TenantName)
		require.Empty(t, p.Entries[1].TenantName, "a platform event has no tenant")
		require.Equal(t, "Acme", p.Entries[2].TenantName)

		p, err = audit.ListAll(ctx, b.db, audit.Filter{TenantID: &acme})
		require.NoError(t, err)
		require.Equal(t, []string{audit.UserLogin}, actions(p))
		p, err = audit.ListAll(ctx, b.db, audit.Filter{Action: "tenant."})
		require.NoError(t, err)
		require.Equal(t, []string{audit.TenantSuspended}, actions(p))
	})

	t.Run("ByActor", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := t.Context()
		acme := b.newTenant(t, "Acme")
		as := func(email string) context.Context {
			return audit.WithActor(ctx, audit.Actor{Type: audit.ActorOperator, Email: email})
		}
		b.record(t, as("ops@wagate.example"), nil, audit.PlanCreated)
		b.record(t, as("ann@acme.example"), &acme, audit.UserLogin)
		b.record(t, as("bob@acme.example"), &acme, audit.UserLogin)

		p, err := audit.ListAll(ctx, b.db, audit.Filter{Actor: "ACME.example"})
		require.NoError(t, err)
		require.Len(t, p.Entries, 2, "a case-insensitive part of the email")
		p, err = audit.ListAll(ctx, b.db, audit.Filter{Actor: "ann", Action: "user."})
		require.NoError(t, err)
		require.Len(t, p.Entries, 1)
		require.Equal(t, "ann@acme.example", p.Entries[0].ActorEmail)
	})

	t.Run("LimitDefaultsAndCaps", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := t.Context()
		for range 55 {
			b.record(t, ctx, nil, audit.OperatorLogin)
		}
		for _, limit := range []int{0, -1, 201} {
			p, err := audit.ListAll(ctx, b.db, audit.Filter{Limit: limit})
			require.NoError(t, err)
			require.Len(t, p.Entries, 50, "limit %d", limit)
			require.NotNil(t, p.Next)
		}
		p, err := audit.ListAll(ctx, b.db, audit.Filter{Limit: 200})
		require.NoError(t, err)
		require.Len(t, p.Entries, 55)
		require.Nil(t, p.Next)
	})
}

// TestAppendOnly checks the log cannot be rewritten, and that a deleted tenant's records stay.
func TestAppendOnly(t *testing.T) {
	t.Parallel()
	db := dbtest.Pool(t)
	ctx := t.Context()
	q := store.New(db)
	tn, err := tenant.Create(ctx, q, tenant.CreateInput{Name: "Acme", Status: tenant.StatusActive})
	require.NoError(t, err)
	require.NoError(t, audit.Record(ctx, q, audit.Entry{TenantID: &tn.ID, Action: audit.UserLogin}))

	_, err = db.Exec(ctx, "UPDATE audit_log SET action = 'user.logout'")
	require.ErrorContains(t, err, "append-only")
	_, err = db.Exec(ctx, "DELETE FROM audit_log")
	require.ErrorContains(t, err, "append-only")

	_, err = db.Exec(ctx, "DELETE FROM tenants WHERE id = $1", tn.ID)
	require.NoError(t, err)
	p, err := audit.ListAll(ctx, db, audit.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Entries, 1, "the record outlives its tenant")
	require.Nil(t, p.Entries[0].TenantID)
	require.Equal(t, audit.UserLogin, p.Entries[0].Action)
}
