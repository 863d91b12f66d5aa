// Package paths names every URL of the portal, the console and the sign-in pages, so templates,
// handlers and tests never spell one by hand.
package paths

import "github.com/google/uuid"

// Public and sign-in pages.
const (
	Home         = "/"
	Signup       = "/signup"
	Login        = "/login"
	LoginTOTP    = "/login/2fa"
	Logout       = "/logout"
	Forgot       = "/forgot"
	ResetPrefix  = "/reset/"  // + token
	InvitePrefix = "/invite/" // + token
	StaticPrefix = "/static/"
	APIBase      = "/api/v1"
	OpenAPIJSON  = "/api/v1/openapi.json"
)

// Reset is the page of a password-reset link.
func Reset(token string) string { return ResetPrefix + token }

// Invite is the page of an invitation link.
func Invite(token string) string { return InvitePrefix + token }

// Portal pages (tenant users).
const (
	App             = "/app"
	Team            = "/app/team"
	TeamInvite      = "/app/team/invitations"
	Keys            = "/app/keys"
	Audit           = "/app/audit"
	Account         = "/app/account"
	AccountPassword = "/app/account/password"
	AccountTOTP     = "/app/account/2fa"
	Settings        = "/app/settings"
	APIDocs         = "/app/api-docs"
)

// Member is a member's page in the team (role change, removal, reset link).
func Member(id uuid.UUID) string { return Team + "/members/" + id.String() }

// MemberRole changes a member's role.
func MemberRole(id uuid.UUID) string { return Member(id) + "/role" }

// MemberRemove removes a member.
func MemberRemove(id uuid.UUID) string { return Member(id) + "/remove" }

// MemberResetLink makes a password-reset link for a member.
func MemberResetLink(id uuid.UUID) string { return Member(id) + "/reset-link" }

// InvitationRevoke cancels an open invitation.
func InvitationRevoke(id uuid.UUID) string { return TeamInvite + "/" + id.String() + "/revoke" }

// KeyRevoke revokes an API key.
func KeyRevoke(id uuid.UUID) string { return Keys + "/" + id.String() + "/revoke" }

// Operator console.
const (
	Admin          = "/admin"
	AdminLogin     = "/admin/login"
	AdminLogout    = "/admin/logout"
	AdminTOTP      = "/admin/2fa"
	AdminTOTPSetup = "/admin/2fa/setup"
	AdminTenants   = "/admin/tenants"
	AdminPlans     = "/admin/plans"
	AdminPlanNew   = "/admin/plans/new"
	AdminAudit     = "/admin/audit"
	AdminSettings  = "/admin/settings"
)

// AdminTenant is a tenant's page in the console.
func AdminTenant(id uuid.UUID) string { return AdminTenants + "/" + id.String() }

// AdminTenantAction is a POST target on a tenant: approve, suspend, reactivate, plan.
func AdminTenantAction(id uuid.UUID, action string) string { return AdminTenant(id) + "/" + action }

// AdminTenantResetLink makes a reset link for one of the tenant's users.
func AdminTenantResetLink(tenantID, userID uuid.UUID) string {
	return AdminTenant(tenantID) + "/users/" + userID.String() + "/reset-link"
}

// AdminPlan is a plan's edit page.
func AdminPlan(id uuid.UUID) string { return AdminPlans + "/" + id.String() }
