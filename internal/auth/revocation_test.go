package auth_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
)

func TestAPIKeys_RevokeAs(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	owner := signup(t, ctx, b, "owner@a.test")
	inv, err := b.users.Invite(ctx, owner, "member@a.test", auth.RoleMember)
	require.NoError(t, err)
	mu, err := b.users.AcceptInvitation(ctx, inv.Link[len("http://wagate.test/invite/"):], "Mem", "correct horse battery")
	require.NoError(t, err)
	member, err := b.users.Current(ctx, mu.ID)
	require.NoError(t, err)
	other := signup(t, ctx, b, "owner@b.test")

	ownersKey, err := b.keys.Create(ctx, owner, auth.CreateKeyInput{Name: "owner's", Scopes: []string{auth.ScopeRead}})
	require.NoError(t, err)
	membersKey, err := b.keys.Create(ctx, member, auth.CreateKeyInput{Name: "member's", Scopes: []string{auth.ScopeRead}})
	require.NoError(t, err)
	require.True(t, auth.CanRevokeKey(owner, membersKey.Key.CreatedBy))
	require.True(t, auth.CanRevokeKey(member, membersKey.Key.CreatedBy))
	require.False(t, auth.CanRevokeKey(member, ownersKey.Key.CreatedBy))
	require.False(t, auth.CanRevokeKey(member, nil), "a key whose creator left is for owners and admins")

	t.Run("MembersOnlyTheirOwn", func(t *testing.T) {
		require.ErrorIs(t, b.keys.RevokeAs(ctx, member, ownersKey.Key.ID), auth.ErrForbidden)
		_, err := b.keys.Authenticate(ctx, ownersKey.Secret)
		require.NoError(t, err)
		require.NoError(t, b.keys.RevokeAs(ctx, member, membersKey.Key.ID))
		_, err = b.keys.Authenticate(ctx, membersKey.Secret)
		require.ErrorIs(t, err, auth.ErrInvalidKey)
	})

	t.Run("OtherTenantIsNotFound", func(t *testing.T) {
		require.ErrorIs(t, b.keys.RevokeAs(ctx, other, ownersKey.Key.ID), auth.ErrNotFound)
		_, err := b.keys.Get(ctx, other.TenantID, ownersKey.Key.ID)
		require.ErrorIs(t, err, auth.ErrNotFound)
		_, err = b.keys.Authenticate(ctx, ownersKey.Secret)
		require.NoError(t, err)
	})

	t.Run("OwnersAny", func(t *testing.T) {
		require.NoError(t, b.keys.RevokeAs(ctx, owner, ownersKey.Key.ID))
		require.NoError(t, b.keys.RevokeAs(ctx, owner, ownersKey.Key.ID), "twice is fine")
		k, err := b.keys.Get(ctx, owner.TenantID, ownersKey.Key.ID)
		require.NoError(t, err)
		require.NotNil(t, k.RevokedAt)
	})
}

func TestService_Member(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	a := signup(t, ctx, b, "owner@a.test")
	other := signup(t, ctx, b, "owner@b.test")

	m, err := b.users.Member(ctx, a.TenantID, a.ID)
	require.NoError(t, err)
	require.Equal(t, a.Email, m.Email)
	_, err = b.users.Member(ctx, other.TenantID, a.ID)
	require.ErrorIs(t, err, auth.ErrNotFound, "another tenant's user is not found")
}
