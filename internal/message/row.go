package message

import (
	"context"
	"encoding/json"
	"time"

	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// Event types written to the events outbox.
const (
	EventStatus   = "message.status"   // an outbound message changed status
	EventReceived = "message.received" // an inbound message (or one sent from the phone) was stored
	EventUpdated  = "message.updated"  // a reaction, edit or revoke changed a message
)

// eventPayload is the JSON of an events row: enough for a live page or a webhook to act without
// reading the message again.
type eventPayload struct {
	Direction   string `json:"direction"`
	WAID        string `json:"wa_id"`
	Chat        string `json:"chat"`
	Kind        string `json:"type"`
	Status      string `json:"status"`
	ErrorCode   string `json:"error_code,omitempty"`
	ErrorReason string `json:"error_reason,omitempty"`
	Detail      string `json:"detail,omitempty"`
}

// RecordStatus writes the message's current status to the events outbox, in the caller's
// transaction (every status change is recorded so, wherever it happens).
func RecordStatus(ctx context.Context, q *store.Queries, row store.Message, detail string) error {
	return RecordEvent(ctx, q, row, EventStatus, detail)
}

// RecordEvent writes an event of type typ about the message to the outbox, in the caller's transaction.
func RecordEvent(ctx context.Context, q *store.Queries, row store.Message, typ, detail string) error {
	if detail == "" && row.Status == string(StatusFailed) {
		detail = row.ErrorReason
	}
	pl, _ := json.Marshal(eventPayload{Direction: row.Direction, WAID: row.WaID, Chat: row.ChatJid, Kind: row.Kind,
		Status: row.Status, ErrorCode: row.ErrorCode, ErrorReason: row.ErrorReason, Detail: detail})
	return q.EventInsert(ctx, store.EventInsertParams{TenantID: row.TenantID, SessionID: &row.SessionID, MessageID: &row.ID,
		Type: typ, Status: row.Status, Payload: pl})
}

// Observer is told what happens to messages, after commit, for metrics. Its methods must return
// quickly: they run on the send and ack paths.
type Observer interface {
	// Status: a message reached status s.
	Status(s Status, m Message)
	// Sent: a driver send took send, and the message waited acceptToSent from acceptance to its ack.
	Sent(send, acceptToSent time.Duration)
	// PacingWait: the session's pace deferred a send by d.
	PacingWait(d time.Duration)
}

// NoObserver observes nothing (tools and tests that keep no metrics).
var NoObserver Observer = noObserver{}

type noObserver struct{}

func (noObserver) Status(Status, Message)            {}
func (noObserver) Sent(time.Duration, time.Duration) {}
func (noObserver) PacingWait(time.Duration)          {}

// FromRow is the message a row holds.
func FromRow(r store.Message) Message {
	m := Message{ID: r.ID, TenantID: r.TenantID, SessionID: r.SessionID, Direction: Direction(r.Direction), WAID: r.WaID,
		Chat: r.ChatJid, Phone: r.Phone, Sender: r.SenderJid, SenderAlt: r.SenderAlt, PushName: r.PushName, FromMe: r.FromMe,
		Kind: whatsapp.Kind(r.Kind), Text: r.Body, MediaID: r.MediaID, FileName: r.FileName, VoiceNote: r.VoiceNote,
		ReplyTo: r.ReplyTo, Queue: r.Queue, Status: Status(r.Status), ErrorCode: r.ErrorCode, ErrorReason: r.ErrorReason,
		Attempts: int(r.Attempts), SendAt: r.SendAt, ExpiresAt: r.ExpiresAt, Reaction: r.Reaction, EditedAt: r.EditedAt,
		RevokedAt: r.RevokedAt, QueuedAt: r.QueuedAt, SentAt: r.SentAt, DeliveredAt: r.DeliveredAt, ReadAt: r.ReadAt,
		FailedAt: r.FailedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if len(r.Detail) > 0 {
		switch m.Kind {
		case whatsapp.KindLocation:
			var l whatsapp.Location
			if json.Unmarshal(r.Detail, &l) == nil {
				m.Location = &l
			}
		case whatsapp.KindContact:
			var c whatsapp.Contact
			if json.Unmarshal(r.Detail, &c) == nil {
				m.Contact = &c
			}
		}
	}
	return m
}
