package paths

import (
	"net/url"
	"strconv"

	"github.com/google/uuid"
)

// Portal session pages (a tenant's linked WhatsApp numbers).
const (
	Sessions       = "/app/sessions"
	SessionsEvents = "/app/sessions/events" // SSE: the tenant's session updates as HTML fragments
)

// Session is a session's page.
func Session(id uuid.UUID) string { return Sessions + "/" + id.String() }

// Session actions, the last segment of SessionAction (POST; "delete" is also the GET confirmation).
const (
	SessionPair         = "pair"
	SessionReconnect    = "reconnect"
	SessionLogout       = "logout"
	SessionDelete       = "delete"
	SessionSimulateScan = "simulate-scan"
)

// SessionAction is a POST target on a session: pair, reconnect, logout, delete, simulate-scan.
func SessionAction(id uuid.UUID, action string) string { return Session(id) + "/" + action }

// SessionQRImage is the session's current QR code as a PNG; v busts caches when the code changes.
func SessionQRImage(id uuid.UUID, v string) string {
	return Session(id) + "/qr.png?" + url.Values{"v": {v}}.Encode()
}

// Console session pages.
const AdminSessions = "/admin/sessions"

// AdminSessionsSearch is the console's session list filtered by q (tenant name or phone) from page.
func AdminSessionsSearch(q string, page int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return AdminSessions
	}
	return AdminSessions + "?" + v.Encode()
}

// AdminSessionDisconnect force-disconnects a session (POST): it stays parked until reconnected.
func AdminSessionDisconnect(id uuid.UUID) string {
	return AdminSessions + "/" + id.String() + "/disconnect"
}
