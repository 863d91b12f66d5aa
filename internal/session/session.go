// Package session owns the tenants' WhatsApp sessions (linked numbers): their lifecycle and status
// machine in Postgres (wa_sessions, wa_session_events), the user's requests (Service: create, pair,
// reconnect, log out, delete), and the session host (Host: the `host` role), which leases sessions
// through internal/cluster, holds their live whatsapp.Drivers, pairs, connects with backoff, watches
// the links and parks sessions that keep failing. Every status change is written with its history row
// in one transaction and then published on Redis for live pages.
//
// It must not import web, worker, Fiber, Asynq, templ or whatsmeow: drivers come in through the
// whatsapp.Connector interface, wired in cmd.
package session

import (
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/store"
)

// Statuses of a session (wa_sessions.status).
const (
	StatusNew          = "new"          // never paired, or a pairing ended without a scan
	StatusPairing      = "pairing"      // a QR code or pairing code is on screen
	StatusConnecting   = "connecting"   // logging in
	StatusConnected    = "connected"    // logged in; may send
	StatusDisconnected = "disconnected" // link lost; reconnecting with backoff
	StatusParked       = "parked"       // failed too often; waits for a user's Reconnect
	StatusLoggedOut    = "logged_out"   // unlinked; must pair again
	StatusBanned       = "banned"       // WhatsApp's temporary ban
	StatusFailed       = "failed"       // refused in a way retrying cannot fix
	// StatusDeleted is never stored: it is published when a session is gone.
	StatusDeleted = "deleted"
)

// Session is a tenant's WhatsApp session as pages and the API show it.
type Session struct {
	ID              uuid.UUID
	TenantID        uuid.UUID
	Name            string
	Status          string
	StatusReason    string // what happened and what to do, in words
	StatusChangedAt time.Time
	Phone           string // international digits, once paired
	PushName        string
	DeviceJID       string // empty when not paired
	LID             string
	PairMethod      string // "qr" or "code" of the last pairing request
	PairPhone       string
	// QR is the QR code to show now (status pairing by QR), valid until QRExpiresAt.
	QR          string
	QRExpiresAt *time.Time
	// PairCode is the phone pairing code (XXXX-XXXX) to show now, valid until PairCodeExpiresAt.
	PairCode          string
	PairCodeExpiresAt *time.Time
	ConnectedAt       *time.Time
	// Holder is the instance whose session host holds the session now; nil when none does.
	Holder    *uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Paired reports whether the session has a linked device.
func (s Session) Paired() bool { return s.DeviceJID != "" }

// Event is one entry of a session's status history.
type Event struct {
	ID       int64
	Status   string
	Reason   string
	Instance *uuid.UUID // the holder that recorded it; nil for a user's action
	At       time.Time
}

// Update is what is published on TenantChannel at every change of a session: its status, the reason,
// and the QR code or pairing code on screen now. The web layer streams it to the tenant's pages.
type Update struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	SessionID uuid.UUID `json:"session_id"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason"`
	QR        string    `json:"qr,omitempty"`
	Code      string    `json:"code,omitempty"`
	At        time.Time `json:"at"`
}

// TenantChannel is the Redis channel of a tenant's session updates: wagate:tenant:<id>:sessions.
func TenantChannel(tenantID uuid.UUID) string {
	return cluster.Channel("tenant", tenantID.String(), "sessions")
}

// intentChannel carries {"session_id"} whenever a user asked something of a session (or created one):
// the holder wakes up at once, other hosts run placement. A lost message only delays: holders also see
// intent_seq move when they renew their leases.
var intentChannel = cluster.Channel("sessions", "intents")

type intentMsg struct {
	SessionID uuid.UUID `json:"session_id"`
}

func sessionOf(r store.WaSession, holder *uuid.UUID) Session {
	return Session{
		ID: r.ID, TenantID: r.TenantID, Name: r.Name, Status: r.Status, StatusReason: r.StatusReason,
		StatusChangedAt: r.StatusChangedAt, Phone: r.Phone, PushName: r.PushName, DeviceJID: r.DeviceJid,
		LID: r.Lid, PairMethod: r.PairMethod, PairPhone: r.PairPhone, QR: r.Qr, QRExpiresAt: r.QrExpiresAt,
		PairCode: r.PairCode, PairCodeExpiresAt: r.PairCodeExpiresAt, ConnectedAt: r.ConnectedAt,
		Holder: holder, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func updateOf(r store.WaSession) Update {
	u := Update{TenantID: r.TenantID, SessionID: r.ID, Status: r.Status, Reason: r.StatusReason, At: r.UpdatedAt}
	if r.Status == StatusPairing {
		u.QR, u.Code = r.Qr, r.PairCode
	}
	return u
}
