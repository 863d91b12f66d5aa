// Package message is the gateway's messages as tenants see them: accepting a send (validation, the
// daily quota, idempotency, the row in Postgres before anyone is told "accepted"), reading and
// cancelling messages, the status machine and its events. Service.Send is the one entry for new
// outbound messages. Getting them out (dispatch, the holder's send, inbound traffic, the sweepers)
// is internal/delivery's job.
//
// It must not import web, worker, delivery, fiber, asynq or whatsmeow: the Enqueuer and Holders
// interfaces below are how it asks for a task and asks a session's holder.
package message

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/whatsapp"
)

// Status is where a message is in its life.
type Status string

// Outbound: scheduled → queued → sending → sent → delivered → read, or failed / canceled / expired.
// Inbound messages are received.
const (
	StatusScheduled Status = "scheduled"
	StatusQueued    Status = "queued"
	StatusSending   Status = "sending"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusRead      Status = "read"
	StatusFailed    Status = "failed"
	StatusCanceled  Status = "canceled"
	StatusExpired   Status = "expired"
	StatusReceived  Status = "received"
)

// Statuses lists every status, in lifecycle order (for filters and docs).
var Statuses = []Status{StatusScheduled, StatusQueued, StatusSending, StatusSent, StatusDelivered, StatusRead,
	StatusFailed, StatusCanceled, StatusExpired, StatusReceived}

// Final reports whether nothing more happens to a message in status s except receipts.
func (s Status) Final() bool {
	switch s {
	case StatusFailed, StatusCanceled, StatusExpired:
		return true
	}
	return false
}

// Direction says whether a message was sent by the tenant ("out") or received ("in").
type Direction string

const (
	DirectionOut Direction = "out"
	DirectionIn  Direction = "in"
)

// Queues a message's task runs in. Interactive sends have strict priority over bulk ones.
const (
	QueueInteractive = "interactive"
	QueueBulk        = "bulk"
)

// Message is one message as the tenant sees it.
type Message struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	SessionID uuid.UUID
	Direction Direction
	// WAID is the WhatsApp message id, fixed when the row was created and reused on every retry.
	WAID string
	// Chat is the other party's JID: the recipient (outbound) or the chat (inbound; a group, a phone
	// number or a LID). Phone is its E.164 number when known ("" for groups).
	Chat  string
	Phone string
	// Inbound: who wrote it (in groups, the participant), their other address (LID ↔ phone) and name.
	Sender    string
	SenderAlt string
	PushName  string
	FromMe    bool // outbound, sent from the phone itself
	Kind      whatsapp.Kind
	Text      string // the text, or a media message's caption
	MediaID   *uuid.UUID
	FileName  string
	VoiceNote bool
	Location  *whatsapp.Location
	Contact   *whatsapp.Contact
	ReplyTo   string // WhatsApp id of the quoted message
	Queue     string

	Status      Status
	ErrorCode   string // failed: a stable code (not_on_whatsapp, logged_out, media_rejected, …)
	ErrorReason string // failed: the same for people
	Attempts    int
	SendAt      *time.Time
	ExpiresAt   *time.Time
	Reaction    string
	EditedAt    *time.Time
	RevokedAt   *time.Time
	QueuedAt    *time.Time
	SentAt      *time.Time
	DeliveredAt *time.Time
	ReadAt      *time.Time
	FailedAt    *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// SendRequest is a message to send. To is a phone number in any common format (normalised to E.164
// with the tenant's default country) or a JID (…@g.us for groups). The kind follows from what is set:
// MediaID or File (the file's type decides image, video, audio, document), Location, Contact, else
// text.
type SendRequest struct {
	SessionID uuid.UUID
	To        string
	Text      string // the text, or a media message's caption
	// MediaID names a stored file (POST /media, or an earlier try of a form); File is one to store
	// with the send. At most one of them is set.
	MediaID *uuid.UUID
	File    *File
	// Type, when set, is what the sender means to send: it must agree with what the request carries
	// (a *KindError when the file is of another kind), and KindDocument sends an image, video or
	// audio file as a document.
	Type whatsapp.Kind
	// FileName is the name a document is shown with (default: the uploaded file's name).
	FileName string
	// AsDocument sends an image, video or audio as a document (a file) instead.
	AsDocument bool
	Location   *whatsapp.Location
	Contact    *whatsapp.Contact
	// ReplyTo names the message answered: our message id (UUID) or its WhatsApp id, in the same session.
	ReplyTo string
	// SendAt, when later than now, schedules the message; it is queued when due, never early.
	SendAt *time.Time
	// Queue is QueueInteractive (default) or QueueBulk.
	Queue string
}

// Idempotency makes a POST repeatable (DESIGN.md Contracts): the same key and request hash replay
// the first response; another hash is refused; a request while the first still runs gets a conflict.
type Idempotency struct {
	Key string
	// Hash is SHA-256 of the request's method, path and body.
	Hash []byte
	// Render makes the response to store for replays, inside the accepting transaction, from the
	// message and its file (nil when it carries none).
	Render func(m Message, file *MediaInfo) (status int, body []byte, err error)
}

// Accepted is what Send did: the message, or the replay of an earlier response with the same key.
type Accepted struct {
	Message Message
	// File is the message's file, when it carries one. Send returns it with a refusal too while the
	// file stays stored (a MediaID the tenant has, or a File with Keep), so a form can offer it again.
	File *MediaInfo
	// Replay is set when an earlier request with the same Idempotency-Key answered already.
	Replay *Replay
}

// Replay is a stored first response.
type Replay struct {
	Status int
	Body   []byte
}

// Filter narrows a message list. Zero values do not filter.
type Filter struct {
	SessionID *uuid.UUID
	Status    Status
	Direction Direction
	Since     *time.Time
	Until     *time.Time
	// Phone matches the other party's number; any common format, normalised like To.
	Phone  string
	Cursor string
	Limit  int // default 50, at most 200
}

// Page is one page of a list, newest first. NextCursor is "" on the last page.
type Page struct {
	Messages   []Message
	NextCursor string
}

// Step is one entry of a message's timeline.
type Step struct {
	Status Status
	Type   string // message.status, message.received, message.updated
	Detail string
	At     time.Time
}

// NumberResult is one answer of CheckNumbers.
type NumberResult struct {
	Input      string // as given
	Phone      string // E.164, "" when the input is not a valid number
	OnWhatsApp bool
	JID        string // canonical, to send to
	// Error says why the input could not be checked (not a valid number).
	Error string
}

// Errors the web layer maps to status codes (internal/web/httpx).
var (
	ErrNotFound            = errors.New("message not found")
	ErrNotCancelable       = errors.New("only scheduled or queued messages can be canceled; this one is already on its way or done")
	ErrIdempotencyRunning  = errors.New("a request with this Idempotency-Key is still being processed; retry when it has finished")
	ErrIdempotencyMismatch = errors.New("this Idempotency-Key was used with a different request; use a new key for a new request")
	ErrSessionNotPaired    = errors.New("the session is not linked to a WhatsApp account; pair it first")
	ErrSessionUnavailable  = errors.New("the session is not connected right now; try again when it is")
)

// QuotaError: the tenant's daily message quota is used up (429 with Retry-After, the quota in the body).
type QuotaError struct {
	Limit      int
	Used       int
	RetryAfter time.Duration // until the tenant's next day begins
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("daily message quota of %d reached; it resets in %s", e.Limit, roundDuration(e.RetryAfter))
}

// PacedError: the session's pacing does not allow another request now (number checks).
type PacedError struct{ RetryAfter time.Duration }

func (e *PacedError) Error() string {
	return fmt.Sprintf("the session's sending pace allows this in %s; try again then", roundDuration(e.RetryAfter))
}

func roundDuration(d time.Duration) time.Duration {
	return time.Duration(math.Ceil(d.Seconds())) * time.Second
}

// Enqueuer asks the worker role to run a message's send task: taskID is the message id, at is when
// (zero: now). A task that exists already is not an error (DESIGN.md: ErrTaskIDConflict is fine).
type Enqueuer interface {
	EnqueueSend(ctx context.Context, tenantID, messageID uuid.UUID, queue string, at time.Time) error
}
