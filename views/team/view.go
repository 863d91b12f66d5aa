// Package team renders the portal's team pages: members and open invitations, the invitation form,
// the one-time invitation and password-reset links, and the confirmation before removing a member.
// It takes view models only; what each viewer may do is decided by the caller (and enforced again
// by the services).
package team

import (
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/views/portalui"
)

// Page is the team page.
type Page struct {
	CSRFToken   string
	CanManage   bool
	MailEnabled bool
	Members     []Member
	Invitations []Invitation
	Invite      InviteForm
	// Error is a problem with an action on a member (an invalid role), shown above the table.
	Error string
	Now   time.Time
}

// Member is one row of the members table, with what the viewer may do to it.
type Member struct {
	ID           uuid.UUID
	Name         string
	Email        string
	Role         string
	TwoFA        bool
	LastLogin    *time.Time
	Joined       time.Time
	Self         bool
	RoleChoices  []string // empty: the viewer may not change this member's role
	CanRemove    bool
	CanResetLink bool
}

// HasActions reports whether the viewer may do anything to the member.
func (m Member) HasActions() bool { return len(m.RoleChoices) > 0 || m.CanRemove || m.CanResetLink }

// Invitation is one open invitation.
type Invitation struct {
	ID        uuid.UUID
	Email     string
	Role      string
	InvitedBy string
	Created   time.Time
	Expires   time.Time
}

// InviteForm is the invitation form with its errors.
type InviteForm struct {
	Email  string
	Role   string
	Errors portalui.Errors
}

// InviteRoles are the roles an invitation may carry.
var InviteRoles = []string{"member", "admin"}

// LinkPage shows a one-time link (an invitation, a password reset) that could not be mailed.
type LinkPage struct {
	Email   string
	Name    string
	Role    string
	Link    string
	Expires time.Time
	Now     time.Time
}

func roleHelp(role string) string {
	switch role {
	case "owner":
		return "Everything, including billing-level changes and other owners"
	case "admin":
		return "Manage members, keys, settings and the audit log"
	default:
		return "Use the workspace: sessions, messages and their own API keys"
	}
}
