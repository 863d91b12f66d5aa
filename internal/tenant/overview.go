package tenant

import (
	"context"

	"github.com/google/uuid"
)

// Overview is a tenant with its plan and its use of the plan so far: what the portal's dashboard
// shows.
type Overview struct {
	Tenant
	Usage Usage
}

// Overview returns the tenant, its plan and its usage.
func (s *Service) Overview(ctx context.Context, tenantID uuid.UUID) (Overview, error) {
	t, err := s.Get(ctx, tenantID)
	if err != nil {
		return Overview{}, err
	}
	u, err := s.Usage(ctx, tenantID)
	if err != nil {
		return Overview{}, err
	}
	return Overview{Tenant: t, Usage: u}, nil
}
