// Package components owns small presentational templ components shared by the
// portal, the console and the public pages (flash messages, empty states,
// status tags, icons). They take plain view-model arguments and never touch
// fiber, services or the store.
package components

import "strings"

// Flash kinds accepted by Flash; anything else renders as FlashInfo.
const (
	FlashSuccess = "success"
	FlashError   = "error"
	FlashWarning = "warning"
	FlashInfo    = "info"
)

func flashClass(kind string) string {
	switch kind {
	case FlashSuccess:
		return "notification is-success is-light wg-flash"
	case FlashError:
		return "notification is-danger is-light wg-flash"
	case FlashWarning:
		return "notification is-warning is-light wg-flash"
	default:
		return "notification is-info is-light wg-flash"
	}
}

func flashKind(kind string) string {
	switch kind {
	case FlashSuccess, FlashError, FlashWarning:
		return kind
	default:
		return FlashInfo
	}
}

// flashRole makes errors interrupt screen readers and lets the rest wait.
func flashRole(kind string) string {
	if kind == FlashError {
		return "alert"
	}
	return "status"
}

// statusClass maps a session, message, campaign or tenant status to a Bulma
// tag colour. Statuses are the lower-case values stored in the database.
func statusClass(status string) string {
	switch status {
	case "connected", "active", "sent", "delivered", "read", "completed", "paired":
		return "tag is-success is-light"
	case "queued", "scheduled", "sending", "running", "pairing", "connecting", "reconnecting":
		return "tag is-info is-light"
	case "pending", "paused", "disconnected", "parked", "qr", "waiting":
		return "tag is-warning is-light"
	case "failed", "banned", "suspended", "logged_out", "error":
		return "tag is-danger is-light"
	default: // canceled, expired, revoked, unknown values
		return "tag"
	}
}

// statusLabel turns "logged_out" into "Logged out".
func statusLabel(status string) string {
	s := strings.ReplaceAll(status, "_", " ")
	if s == "" {
		return "Unknown"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
