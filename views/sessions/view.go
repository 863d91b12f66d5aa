// Package sessions renders the portal's WhatsApp session pages: the list with the form for a new
// session, a session's page (status with its reason, pairing by QR code or phone code, actions,
// history) and the confirmations before logging out or deleting. The list row, the status panel and
// the pairing panel are exported fragments: the SSE stream re-renders them as sessions change, and
// htmx swaps them by the event names below. It takes view models only.
package sessions

import (
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/views/messages"
	"github.com/wagate/wagate/views/portalui"
)

// Swap targets and SSE event names. Each fragment's element id is also the name of the SSE event
// that carries its new HTML, so a page listens exactly for the sessions it shows.
const (
	ListID = "session-list"
)

// RowID is the list row of a session (and its SSE event).
func RowID(id uuid.UUID) string { return "session-row-" + id.String() }

// StatusID is a session page's status panel (and its SSE event).
func StatusID(id uuid.UUID) string { return "session-status-" + id.String() }

// PairID is a session page's pairing panel (and its SSE event).
func PairID(id uuid.UUID) string { return "session-pair-" + id.String() }

// HistoryID is a session page's history panel (and its SSE event).
func HistoryID(id uuid.UUID) string { return "session-history-" + id.String() }

// Session is a session as the pages show it.
type Session struct {
	ID            uuid.UUID
	Name          string
	Status        string
	Reason        string
	StatusChanged time.Time
	Phone         string // international digits, once paired
	PushName      string
	Paired        bool
	Holder        string // the holding instance's id; "" when none holds it
	PairMethod    string // "qr" or "code" of the last pairing request; "" when never asked
	PairPhoneNum  string // the number a pairing code was asked for
	QR            string
	QRImage       string // the QR code as a PNG data URI, when QR is set
	QRExpires     *time.Time
	PairCode      string
	PairCodeUntil *time.Time
	ConnectedAt   *time.Time
	Created       time.Time
}

// Pairing reports whether a pairing is on screen now.
func (s Session) Pairing() bool { return s.Status == "pairing" }

// CanPair reports whether the session may be paired (no device linked).
func (s Session) CanPair() bool { return !s.Paired && s.Status != "pairing" }

// TimedOut reports whether an earlier pairing ended without a scan: the page offers to start again.
func (s Session) TimedOut() bool { return s.Status == "new" && s.PairMethod != "" }

// PairPhone is the number a pairing code was asked for.
func (s Session) PairPhone() string { return s.PairPhoneNum }

// PhoneDisplay is the number with a plus, or a dash when not paired.
func (s Session) PhoneDisplay() string {
	if s.Phone == "" {
		return "—"
	}
	return "+" + s.Phone
}

// Frag is what a fragment needs besides the session: the CSRF token for its forms, whether the
// simulator is on (the "Simulate scan" button) and the time now.
type Frag struct {
	CSRFToken string
	Simulator bool
	Now       time.Time
}

// IndexPage is the sessions list.
type IndexPage struct {
	Frag
	Sessions []Session
	Max      int // the plan's session limit
	Form     Form
}

// AtLimit reports whether the plan allows no more sessions.
func (p IndexPage) AtLimit() bool { return len(p.Sessions) >= p.Max }

// Form is the new-session form (and the phone pairing form: Phone).
type Form struct {
	Name   string
	Phone  string
	Error  string // a problem of the whole form (the plan's limit)
	Errors portalui.Errors
}

// ShowPage is a session's page.
type ShowPage struct {
	Frag
	Session  Session
	History  []Event
	PairForm Form
	// Recent is the session's last messages (views/messages renders the panel).
	Recent messages.Recent
}

// Event is one entry of the status history.
type Event struct {
	Status   string
	Reason   string
	Instance string // the holder that recorded it; "" for a user's action
	At       time.Time
}

// Short shortens an instance id for display: its last 8 characters, the random part of a UUIDv7
// (the first ones are a timestamp, the same for instances started together).
func Short(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// HasDeadline reports whether t is set and in the future.
func HasDeadline(t *time.Time, now time.Time) bool { return t != nil && t.After(now) }
