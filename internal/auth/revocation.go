package auth

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
)

// Member returns one member of the tenant; ErrNotFound when there is no such member in it (another
// tenant's user included).
func (s *Service) Member(ctx context.Context, tenantID, userID uuid.UUID) (User, error) {
	u, err := store.New(s.db).UserGet(ctx, store.UserGetParams{TenantID: tenantID, ID: userID})
	if store.IsNotFound(err) {
		return User{}, ErrNotFound
	} else if err != nil {
		return User{}, fmt.Errorf("get member: %w", err)
	}
	return userOf(u), nil
}

// Get returns one of the tenant's keys; ErrNotFound when it is not the tenant's.
func (a *APIKeys) Get(ctx context.Context, tenantID, id uuid.UUID) (APIKey, error) {
	k, err := store.New(a.db).APIKeyGet(ctx, store.APIKeyGetParams{TenantID: tenantID, ID: id})
	if store.IsNotFound(err) {
		return APIKey{}, ErrNotFound
	} else if err != nil {
		return APIKey{}, fmt.Errorf("get key: %w", err)
	}
	return apiKeyOf(k), nil
}

// CanRevokeKey reports whether actor may revoke a key created by createdBy: owners and admins any
// of their tenant's keys, members only the keys they created themselves.
func CanRevokeKey(actor CurrentUser, createdBy *uuid.UUID) bool {
	return actor.CanManageMembers() || (createdBy != nil && *createdBy == actor.ID)
}

// RevokeAs revokes one of the actor's tenant's keys, if the actor's role allows it (CanRevokeKey).
// Another tenant's key is ErrNotFound, as for a key that does not exist.
func (a *APIKeys) RevokeAs(ctx context.Context, actor CurrentUser, id uuid.UUID) error {
	k, err := a.Get(ctx, actor.TenantID, id)
	if err != nil {
		return err
	}
	if !CanRevokeKey(actor, k.CreatedBy) {
		return ErrForbidden
	}
	return a.Revoke(ctx, actor.TenantID, id)
}
