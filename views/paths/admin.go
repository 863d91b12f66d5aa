package paths

import (
	"net/url"

	"github.com/google/uuid"
)

// Actions on a tenant in the console, the last segment of AdminTenantAction.
const (
	AdminTenantApprove    = "approve"
	AdminTenantSuspend    = "suspend" // GET: the confirmation page; POST: suspend
	AdminTenantReactivate = "reactivate"
	AdminTenantPlan       = "plan"
)

// AdminAuditForTenant is the console's audit log filtered to one tenant.
func AdminAuditForTenant(id uuid.UUID) string {
	return AdminAudit + "?" + url.Values{"tenant": {id.String()}}.Encode()
}

// AdminTenantsWithStatus is the console's tenant list filtered by status ("" for all).
func AdminTenantsWithStatus(status string) string {
	if status == "" {
		return AdminTenants
	}
	return AdminTenants + "?" + url.Values{"status": {status}}.Encode()
}
