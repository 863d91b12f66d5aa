// Package auditlog renders the portal's audit log: a workspace's own security events and team
// changes, newest first, filtered by kind and paged by cursor. It takes view models only.
package auditlog

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ResultsID is the element the filter swaps (htmx) when it changes.
const ResultsID = "audit-results"

// Page is the audit log page.
type Page struct {
	Action  string // the action-prefix filter, "" for all
	Entries []Entry
	Next    *uuid.UUID // cursor of the next (older) page; nil at the end
	Paged   bool       // this is not the first page
	Now     time.Time
}

// Entry is one event.
type Entry struct {
	ID         uuid.UUID
	At         time.Time
	ActorType  string
	ActorEmail string
	Action     string
	TargetType string
	TargetID   string
	IP         string
	Details    map[string]any
}

// Filter is one choice of the action filter.
type Filter struct {
	Prefix string
	Label  string
}

// Filters are the choices of the action filter; the handler accepts only these prefixes.
var Filters = []Filter{
	{"", "All events"},
	{"user.", "Sign-ins and security"},
	{"member.", "Team"},
	{"api_key.", "API keys"},
	{"tenant.", "Workspace"},
}

// ValidFilter reports whether prefix is one of Filters.
func ValidFilter(prefix string) bool {
	for _, f := range Filters {
		if f.Prefix == prefix {
			return true
		}
	}
	return false
}

var wording = map[string]string{
	"user.login":                "Logged in",
	"user.login_failed":         "Failed login attempt",
	"user.logout":               "Logged out",
	"user.password_changed":     "Changed their password",
	"user.password_reset":       "Reset their password with a link",
	"user.reset_link_created":   "Made a password reset link",
	"user.2fa_enabled":          "Turned on two-factor authentication",
	"user.2fa_disabled":         "Turned off two-factor authentication",
	"member.invited":            "Invited someone",
	"member.invitation_revoked": "Revoked an invitation",
	"member.joined":             "Joined the workspace",
	"member.role_changed":       "Changed a member's role",
	"member.removed":            "Removed a member",
	"api_key.created":           "Created an API key",
	"api_key.revoked":           "Revoked an API key",
	"tenant.signed_up":          "Created the workspace",
	"tenant.updated":            "Updated the workspace settings",
	"tenant.approved":           "Approved the workspace",
	"tenant.suspended":          "Suspended the workspace",
	"tenant.reactivated":        "Reactivated the workspace",
	"tenant.plan_changed":       "Changed the plan",
}

// Wording is the action in plain words.
func (e Entry) Wording() string {
	if w, ok := wording[e.Action]; ok {
		return w
	}
	return e.Action
}

// Tone colours the action's marker: danger, warning, success or neutral.
func (e Entry) Tone() string {
	switch e.Action {
	case "user.login_failed", "tenant.suspended", "api_key.revoked", "member.removed":
		return "danger"
	case "user.2fa_disabled", "user.reset_link_created", "member.invitation_revoked", "user.password_reset":
		return "warning"
	case "api_key.created", "member.joined", "user.2fa_enabled", "tenant.signed_up", "tenant.approved", "tenant.reactivated":
		return "success"
	}
	return "neutral"
}

// Actor names who acted.
func (e Entry) Actor() string {
	switch e.ActorType {
	case "operator":
		return "Platform operator"
	case "system":
		return "System"
	case "api_key":
		return "API key"
	}
	if e.ActorEmail != "" {
		return e.ActorEmail
	}
	return "Unknown"
}

func (e Entry) detail(k string) string {
	v, ok := e.Details[k]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Target says what the action was done to, or "".
func (e Entry) Target() string {
	switch e.Action {
	case "member.invited":
		return join(e.detail("email"), "as "+e.detail("role"), e.detail("role") != "")
	case "member.role_changed":
		return join(e.detail("email"), e.detail("from")+" → "+e.detail("to"), e.detail("to") != "")
	case "member.removed", "user.reset_link_created":
		return e.detail("email")
	case "member.joined":
		return join("", "as "+e.detail("role"), e.detail("role") != "")
	case "api_key.created", "api_key.revoked":
		name, prefix := e.detail("name"), e.detail("prefix")
		if prefix != "" {
			return strings.TrimSpace(name + " (" + prefix + "…)")
		}
		return name
	case "tenant.suspended":
		return e.detail("reason")
	case "tenant.plan_changed":
		return join("", "to "+e.detail("to_plan"), e.detail("to_plan") != "")
	}
	return ""
}

func join(a, b string, withB bool) string {
	if !withB {
		return a
	}
	return strings.TrimSpace(a + " " + b)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
