package session

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/validate"
)

func TestService_Create(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()

	t.Run("NameRequired", func(t *testing.T) {
		_, err := b.svc.Create(ctx, b.tenant, "  ")
		var verr *validate.Errors
		require.ErrorAs(t, err, &verr)
		require.Contains(t, verr.Fields, "name")
	})

	s1, err := b.svc.Create(ctx, b.tenant, "Sales")
	require.NoError(t, err)
	require.Equal(t, StatusNew, s1.Status)
	require.NotEmpty(t, s1.StatusReason)
	_, err = b.svc.Create(ctx, b.tenant, "Support")
	require.NoError(t, err)

	t.Run("PlanLimit", func(t *testing.T) {
		_, err := b.svc.Create(ctx, b.tenant, "Third") // the default plan allows 2
		require.ErrorIs(t, err, ErrLimitReached)
		var lerr *LimitError
		require.True(t, errors.As(err, &lerr))
		require.Equal(t, 2, lerr.Max)
		require.Contains(t, err.Error(), "your plan allows 2")
		list, err := b.svc.List(ctx, b.tenant)
		require.NoError(t, err)
		require.Len(t, list, 2, "a refused creation changes nothing")
	})

	t.Run("DeletedSessionsFreeTheirPlace", func(t *testing.T) {
		require.NoError(t, b.svc.Delete(ctx, b.tenant, s1.ID))
		_, err := b.svc.Get(ctx, b.tenant, s1.ID)
		require.ErrorIs(t, err, ErrNotFound)
		_, err = b.svc.Create(ctx, b.tenant, "Third")
		require.NoError(t, err)
	})

	t.Run("History", func(t *testing.T) {
		list, err := b.svc.List(ctx, b.tenant)
		require.NoError(t, err)
		require.Equal(t, []string{StatusNew}, b.statuses(t, list[0].ID))
	})
}

func TestService_TenantScoped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	mine, err := b.svc.Create(ctx, b.tenant, "Mine")
	require.NoError(t, err)
	other := b.newTenant(t)

	_, err = b.svc.Get(ctx, other, mine.ID)
	require.ErrorIs(t, err, ErrNotFound)
	_, err = b.svc.Get(ctx, other, uuid.New())
	require.ErrorIs(t, err, ErrNotFound, "the same answer as for an id that does not exist")
	list, err := b.svc.List(ctx, other)
	require.NoError(t, err)
	require.Empty(t, list)
	_, err = b.svc.History(ctx, other, mine.ID, 10)
	require.ErrorIs(t, err, ErrNotFound)
	_, err = b.svc.RequestPair(ctx, other, mine.ID, "")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = b.svc.Reconnect(ctx, other, mine.ID)
	require.ErrorIs(t, err, ErrNotFound)
	_, err = b.svc.Logout(ctx, other, mine.ID)
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorIs(t, b.svc.Delete(ctx, other, mine.ID), ErrNotFound)

	got := b.get(t, mine.ID)
	require.Equal(t, StatusNew, got.Status, "nothing changed")
}

func TestService_Requests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	s, err := b.svc.Create(ctx, b.tenant, "Phone")
	require.NoError(t, err)

	_, err = b.svc.Reconnect(ctx, b.tenant, s.ID)
	require.ErrorIs(t, err, ErrNotPaired)
	_, err = b.svc.Logout(ctx, b.tenant, s.ID)
	require.ErrorIs(t, err, ErrNotPaired)
	_, err = b.svc.RequestPair(ctx, b.tenant, s.ID, "0151 bad")
	var verr *validate.Errors
	require.ErrorAs(t, err, &verr)
	require.Contains(t, verr.Fields, "phone")

	got, err := b.svc.RequestPair(ctx, b.tenant, s.ID, "+49 151 2345 6789")
	require.NoError(t, err)
	require.Equal(t, StatusPairing, got.Status)
	require.Equal(t, "code", got.PairMethod)
	require.Equal(t, "4915123456789", got.PairPhone)

	t.Run("OfflineLogoutWipesKeys", func(t *testing.T) {
		p := b.paired(t, "Paired")
		got, err := b.svc.Logout(ctx, b.tenant, p.ID)
		require.NoError(t, err)
		require.Equal(t, StatusLoggedOut, got.Status, "no holder: done at once")
		require.Empty(t, got.DeviceJID)
		// The simulator's account is wiped: a login with the old device fails.
		acc, err := b.db.Query(ctx, "SELECT state FROM sim_accounts WHERE session_id = $1", p.ID)
		require.NoError(t, err)
		require.True(t, acc.Next())
		var state string
		require.NoError(t, acc.Scan(&state))
		acc.Close()
		require.Equal(t, "deleted", state)
	})
}
