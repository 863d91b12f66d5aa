// Package whatsapp is the gateway's view of one linked WhatsApp account: the Driver seam, and the
// neutral types and errors that cross it. It imports no WhatsApp library: whatsapp/whatsmeow is the
// production Driver, whatsapp/simulator the stand-in for tests and demos, and whatsapp/drivertest
// the conformance suite both pass. Nothing here knows about tenants' plans, queues or HTTP.
package whatsapp

import (
	"context"
	"io"
	"time"

	"github.com/google/uuid"
)

// SessionRef names a session to a Connector.
type SessionRef struct {
	ID       uuid.UUID // the wa_sessions row
	TenantID uuid.UUID
	// Device is the paired device's JID (user:device@s.whatsapp.net); empty for a session that was
	// never paired or was logged out.
	Device JID
	// Fence is the lease counter under which this process holds the session (invariant 3). Drivers
	// that record connections (the simulator) keep it with each connection.
	Fence int64
}

// Connector opens Drivers. There is one per process; it owns the device store.
type Connector interface {
	// Open prepares a Driver for ref without connecting. on receives every event of the session, in
	// order, one at a time; returning nil lets the driver acknowledge the event to WhatsApp.
	Open(ctx context.Context, ref SessionRef, on Handler) (Driver, error)
	// Delete wipes a session's device keys, whether or not it is connected or open anywhere.
	Delete(ctx context.Context, ref SessionRef) error
	// Name is "whatsmeow" or "simulator".
	Name() string
}

// Driver is one session's link to WhatsApp. Its methods are safe for concurrent use.
type Driver interface {
	// Connect opens the socket and logs in (a paired session) or gets ready to pair. It returns
	// once connected, or with an error; it never retries by itself (the session host owns backoff).
	Connect(ctx context.Context) error
	// Disconnect closes the socket. The session stays paired.
	Disconnect()
	// Pair starts pairing an unpaired session: with phone == "" the channel yields QR codes as
	// WhatsApp rotates them; with a phone number (international, digits) it yields one pairing
	// code. The channel ends with PairSuccess, PairTimeout or PairFailed, then closes.
	Pair(ctx context.Context, phone string) (<-chan PairEvent, error)
	// Logout unlinks the device on WhatsApp and wipes its keys.
	Logout(ctx context.Context) error
	// State tells whether the socket is up and logged in right now, and when WhatsApp was last
	// heard from; the session host's watchdog compares it with what the session claims.
	State() LinkState
	// Send sends m, reusing m.ID on every retry, and returns when WhatsApp acknowledged it.
	Send(ctx context.Context, m Outgoing) (Sent, error)
	// CheckNumbers asks WhatsApp which phone numbers (international, digits) have an account, and
	// their canonical JIDs (which may differ from the number asked).
	CheckNumbers(ctx context.Context, phones []string) ([]NumberStatus, error)
	// Groups lists the groups the account is in.
	Groups(ctx context.Context) ([]Group, error)
	// Download fetches inbound media by the handle an IncomingMedia carried.
	Download(ctx context.Context, h MediaHandle) (io.ReadCloser, error)
}

// Handler gets a session's events. Returning nil lets the driver ack to WhatsApp; an error
// withholds the ack so WhatsApp redelivers (store first, then return).
type Handler func(ctx context.Context, e Event) error

// LinkState is a Driver's own view of its link.
type LinkState struct {
	Connected    bool
	LoggedIn     bool
	LastActivity time.Time
}

// Sent is WhatsApp's acknowledgement of a message.
type Sent struct {
	ID        MessageID
	Timestamp time.Time
}

// NumberStatus is one answer of CheckNumbers.
type NumberStatus struct {
	Query        string // as asked
	JID          JID    // canonical, to send to; empty when not on WhatsApp
	OnWhatsApp   bool
	VerifiedName string // businesses
}

// Group is a group the account is in.
type Group struct {
	JID          JID
	Name         string
	Participants int
	AnnounceOnly bool // only admins may send
}
