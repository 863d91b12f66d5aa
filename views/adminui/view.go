// Package adminui holds the small pieces every page of the operator console shares: icons, the page
// header, form fields, pagers, the compact audit feed, and the wording of audit actions. It takes
// view models only and must not import fiber, services or the store.
package adminui

import (
	"fmt"
	"strings"
	"time"
)

// Link is a labelled URL.
type Link struct {
	Label string
	URL   string
}

// Header is the top of a console page: an optional way back, the title and one line saying what
// the page is for. Its children are the page's main actions.
type Header struct {
	Back     *Link
	Title    string
	Subtitle string
	Status   string // a stored status shown as a tag beside the title ("" for none)
}

// Field is one labelled form input with its error in place.
type Field struct {
	Label       string
	Name        string
	Type        string // text (default), email, password, number …
	Value       string
	Help        string
	Error       string
	Suffix      string // unit shown after the input ("MiB", "ms")
	Min, Max    string
	Step        string
	Placeholder string
	Required    bool
	Autofocus   bool
	// Autocomplete is the input's autocomplete hint; "" omits it.
	Autocomplete string
	InputMode    string
}

func (f Field) inputType() string {
	if f.Type == "" {
		return "text"
	}
	return f.Type
}

func (f Field) inputClass() string {
	if f.Error != "" {
		return "input is-danger"
	}
	return "input"
}

func (f Field) id() string { return "field-" + f.Name }

// Pager links a keyset-paged list onwards; First is set on every page but the first.
type Pager struct {
	First string
	Next  string
}

// AuditEntry is one audit-log entry as the console shows it.
type AuditEntry struct {
	ID         string
	At         time.Time
	Action     string
	ActorType  string
	ActorEmail string
	TenantID   string
	TenantName string
	TenantURL  string // the tenant's console page, "" for platform events
	TargetType string
	TargetID   string
	IP         string
	Details    []Detail
}

// Detail is one key and value of an entry's details, ready to show.
type Detail struct {
	Key   string
	Value string
}

var actionLabels = map[string]string{
	"user.login":                   "Logged in",
	"user.login_failed":            "Failed login attempt",
	"user.logout":                  "Logged out",
	"user.password_changed":        "Changed their password",
	"user.password_reset":          "Reset their password with a link",
	"user.reset_link_created":      "Password reset link created",
	"user.2fa_enabled":             "Turned on two-factor authentication",
	"user.2fa_disabled":            "Turned off two-factor authentication",
	"member.invited":               "Invited a member",
	"member.invitation_revoked":    "Revoked an invitation",
	"member.joined":                "Joined the workspace",
	"member.role_changed":          "Changed a member's role",
	"member.removed":               "Removed a member",
	"api_key.created":              "Created an API key",
	"api_key.revoked":              "Revoked an API key",
	"session.created":              "Created a WhatsApp session",
	"session.pair_requested":       "Started pairing a session",
	"session.reconnect_requested":  "Reconnected a session",
	"session.logout_requested":     "Logged a session out",
	"session.deleted":              "Deleted a session",
	"session.force_disconnected":   "Session force-disconnected",
	"tenant.signed_up":             "Signed up",
	"tenant.updated":               "Updated workspace settings",
	"tenant.approved":              "Workspace approved",
	"tenant.suspended":             "Workspace suspended",
	"tenant.reactivated":           "Workspace reactivated",
	"tenant.plan_changed":          "Plan changed",
	"plan.created":                 "Plan created",
	"plan.updated":                 "Plan updated",
	"settings.signup_mode_changed": "Sign-up mode changed",
	"operator.created":             "Operator account created",
	"operator.login":               "Operator logged in",
	"operator.login_failed":        "Failed operator login attempt",
	"operator.logout":              "Operator logged out",
	"operator.2fa_enabled":         "Operator set up two-factor authentication",
	"operator.password_changed":    "Operator changed their password",
}

// ActionLabel words an audit action ("tenant.suspended") for people ("Workspace suspended").
func ActionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return action
}

// ActionTone is the colour of an action's marker: danger, success, info or neutral.
func ActionTone(action string) string {
	switch {
	case strings.HasSuffix(action, "_failed"), strings.HasSuffix(action, ".suspended"), strings.HasSuffix(action, ".removed"),
		strings.HasSuffix(action, ".revoked"), strings.HasSuffix(action, "invitation_revoked"), strings.HasSuffix(action, "2fa_disabled"):
		return "danger"
	case strings.HasSuffix(action, ".approved"), strings.HasSuffix(action, ".reactivated"), strings.HasSuffix(action, ".created"),
		strings.HasSuffix(action, ".joined"), strings.HasSuffix(action, "2fa_enabled"), strings.HasSuffix(action, ".signed_up"):
		return "success"
	case strings.HasSuffix(action, ".login"), strings.HasSuffix(action, ".logout"):
		return "neutral"
	}
	return "info"
}

// ActionGroup is an entry of the audit log's action filter.
type ActionGroup struct {
	Prefix string
	Label  string
}

// ActionGroups are the audit log's action filters, each an action prefix.
var ActionGroups = []ActionGroup{
	{"", "All events"},
	{"user.", "Accounts and logins"},
	{"user.login_failed", "Failed logins (users)"},
	{"member.", "Team members"},
	{"api_key.", "API keys"},
	{"tenant.", "Workspaces"},
	{"plan.", "Plans"},
	{"settings.", "Platform settings"},
	{"operator.", "Operators"},
	{"operator.login_failed", "Failed logins (operators)"},
}

// ActorLabel names who acted: their email, or what kind of actor it was.
func ActorLabel(actorType, email string) string {
	if email != "" {
		return email
	}
	switch actorType {
	case "system":
		return "System"
	case "api_key":
		return "API key"
	case "anonymous":
		return "Anonymous"
	}
	return actorType
}

// DetailKey words a details key ("from_plan_id") for people ("from plan id").
func DetailKey(k string) string { return strings.ReplaceAll(k, "_", " ") }

// Date formats t as "2 Jan 2006" (UTC: operators work across time zones).
func Date(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// DateTime formats t as "2 Jan 2006, 15:04 UTC".
func DateTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// Clock formats t's time of day as "15:04:05 UTC".
func Clock(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }

// ISO formats t for a <time datetime> attribute.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Ago says how long ago t was, roughly ("just now", "5 min ago", "3 h ago", "4 days ago").
func Ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", max(1, int(d.Round(time.Minute)/time.Minute)))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	case d < 30*24*time.Hour:
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "yesterday"
		}
		return fmt.Sprintf("%d days ago", n)
	}
	return Date(t)
}

// Initials are up to two letters standing for a name or email, for avatars.
func Initials(s string) string {
	s = strings.TrimSpace(s)
	if at := strings.IndexByte(s, '@'); at > 0 {
		s = s[:at]
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '.' || r == '-' || r == '_' })
	out := ""
	for _, p := range parts {
		if len(out) == 2 {
			break
		}
		out += strings.ToUpper(string([]rune(p)[:1]))
	}
	if out == "" {
		return "?"
	}
	return out
}

// Count formats n with thousands separators ("12,500").
func Count[T ~int | ~int32 | ~int64](n T) string {
	s := fmt.Sprint(int64(n))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Bytes formats a size in bytes with a binary unit ("25 MiB", "1.5 GiB").
func Bytes(n int64) string {
	const (
		kib = 1 << 10
		mib = 1 << 20
		gib = 1 << 30
	)
	trim := func(f float64) string {
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
	}
	switch {
	case n >= gib:
		return trim(float64(n)/gib) + " GiB"
	case n >= mib:
		return trim(float64(n)/mib) + " MiB"
	case n >= kib:
		return trim(float64(n)/kib) + " KiB"
	}
	return fmt.Sprintf("%d B", n)
}
