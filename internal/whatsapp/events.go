package whatsapp

import "time"

// Event is something that happened to a session. The set is closed: the types in this file.
type Event interface{ event() }

// PairEvent is one step of pairing, on the channel Pair returns.
type PairEvent struct {
	Kind PairKind
	// QR is the string to show as a QR code (PairQR); it changes as WhatsApp rotates codes.
	QR string
	// Code is the 8-character phone pairing code, shown as XXXX-XXXX (PairCode).
	Code string
	// ValidFor is how long this QR code or pairing code is shown before the next one.
	ValidFor time.Duration
	// Device is the new device JID (PairSuccess).
	Device JID
	// Err says why pairing failed (PairFailed).
	Err error
}

// PairKind says what a PairEvent carries.
type PairKind int

const (
	PairQR      PairKind = iota + 1 // a (new) QR code
	PairCode                        // a phone pairing code
	PairSuccess                     // the phone confirmed; Connected follows
	PairTimeout                     // no scan within the pairing window (about 160 s): start again
	PairFailed                      // pairing failed; Err says why
)

// Connected: the session is logged in and may send.
type Connected struct{}

// Disconnected: the socket closed unexpectedly. The session is still paired; reconnect with backoff.
type Disconnected struct{ Reason string }

// LoggedOut: the device was unlinked (from the phone, or by WhatsApp: 401, 403, 406). The keys are
// gone; the session must pair again. Never reconnect blindly.
type LoggedOut struct {
	OnConnect bool
	Code      int
	Reason    string
}

// StreamReplaced: another connection logged in with the same keys. Do not reconnect blindly: two
// holders would fight.
type StreamReplaced struct{}

// TemporaryBan: WhatsApp refused the login for a while (402). Code is WhatsApp's reason (101 too
// many messages to non-contacts, 102 blocked by many users, …); Expire may be zero when unknown.
type TemporaryBan struct {
	Code   int
	Reason string
	Expire time.Duration
}

// ClientOutdated: WhatsApp refuses this client version (405). A software update is needed.
type ClientOutdated struct{}

// ConnectFailure: another refusal at login, with WhatsApp's code.
type ConnectFailure struct {
	Code    int
	Message string
}

// KeepAliveTimeout: pings went unanswered; the link may be dead although the socket is open.
type KeepAliveTimeout struct {
	ErrorCount  int
	LastSuccess time.Time
}

// KeepAliveRestored: pings are answered again.
type KeepAliveRestored struct{}

// PairSucceeded: pairing finished (the event form of PairSuccess, for the host's bookkeeping).
type PairSucceeded struct {
	Device       JID
	LID          JID
	BusinessName string
	Platform     string
}

// PushNameChanged: the account's own display name, known some time after pairing.
type PushNameChanged struct{ Name string }

// MessageReceived: a message in a chat, from someone else or from the account's own phone
// (IsFromMe). Store it before returning: the ack follows the handler.
type MessageReceived struct{ Message Incoming }

// ReceiptType is what a receipt says about sent messages.
type ReceiptType int

const (
	ReceiptDelivered ReceiptType = iota + 1
	ReceiptRead
	ReceiptPlayed
)

// Receipt: messages the account sent were delivered, read or played. Match by message id: the chat
// may be named by a LID although the message went to a phone number.
type Receipt struct {
	MessageIDs []MessageID
	Chat       JID
	Sender     JID // who read it (groups: one receipt per participant)
	Type       ReceiptType
	Timestamp  time.Time
}

// Reaction: someone reacted to a message; Emoji "" removes the reaction.
type Reaction struct {
	Chat      JID
	Sender    JID
	Target    MessageID
	Emoji     string
	Timestamp time.Time
}

// Edited: a message was edited; Text is its new text (or caption).
type Edited struct {
	Chat      JID
	Sender    JID
	Target    MessageID
	Text      string
	Timestamp time.Time
}

// Revoked: a message was deleted for everyone.
type Revoked struct {
	Chat      JID
	Sender    JID
	Target    MessageID
	Timestamp time.Time
}

// HistorySynced: the phone sent a history batch (ignored by default; counted for the record).
type HistorySynced struct{ Conversations int }

func (Connected) event()         {}
func (Disconnected) event()      {}
func (LoggedOut) event()         {}
func (StreamReplaced) event()    {}
func (TemporaryBan) event()      {}
func (ClientOutdated) event()    {}
func (ConnectFailure) event()    {}
func (KeepAliveTimeout) event()  {}
func (KeepAliveRestored) event() {}
func (PairSucceeded) event()     {}
func (PushNameChanged) event()   {}
func (MessageReceived) event()   {}
func (Receipt) event()           {}
func (Reaction) event()          {}
func (Edited) event()            {}
func (Revoked) event()           {}
func (HistorySynced) event()     {}

// Permanent reports whether e ends the session's link for good until someone acts (re-pair,
// update, wait out a ban): the host must not reconnect blindly after it.
func Permanent(e Event) bool {
	switch e.(type) {
	case LoggedOut, StreamReplaced, TemporaryBan, ClientOutdated, ConnectFailure:
		return true
	}
	return false
}
