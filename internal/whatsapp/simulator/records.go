package simulator

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
)

// Connection is one logged-in connection of a session as WhatsApp recorded it.
type Connection struct {
	ID          int64
	SessionID   uuid.UUID
	Device      string
	Fence       int64  // the holder's lease counter (SessionRef.Fence)
	Instance    string // Options.Instance of the holder's process
	Process     string // the holder's Connector
	StartedAt   time.Time
	HeartbeatAt time.Time // the last heartbeat
	Frozen      bool
	EndedAt     *time.Time // nil while live
	// EndReason: "closed", "replaced", "heartbeat_lost", "logged_out", "banned", "dropped"; "" while live.
	EndReason  string
	EndDetail  string
	ReplacedBy *int64 // the connection whose login ended this one
}

// Live reports whether the connection has not ended.
func (c Connection) Live() bool { return c.EndedAt == nil }

// Connections returns every connection of a session, oldest first: what a test of invariant 3 reads
// (a connection that ended "replaced" was replaced while its holder was still heartbeating; compare
// its end with the expiry of the lease of its Fence).
func Connections(ctx context.Context, db store.DB, sessionID uuid.UUID) ([]Connection, error) {
	rows, err := store.New(db).SimConnectionListBySession(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("simulator: list connections: %w", err)
	}
	out := make([]Connection, len(rows))
	for i, r := range rows {
		out[i] = connectionOf(r)
	}
	return out, nil
}

func connectionOf(r store.SimConnection) Connection {
	c := Connection{
		ID: r.ID, SessionID: r.SessionID, Device: r.Device, Fence: r.Fence, Instance: r.Instance, Process: r.Process,
		StartedAt: r.StartedAt, HeartbeatAt: r.HeartbeatAt, Frozen: r.Frozen, EndedAt: r.EndedAt,
		EndDetail: r.EndDetail, ReplacedBy: r.ReplacedBy,
	}
	if r.EndReason != nil {
		c.EndReason = *r.EndReason
	}
	return c
}

// SentMessage is one send WhatsApp accepted.
type SentMessage struct {
	ID           int64
	SessionID    uuid.UUID
	ConnectionID int64 // the connection it went out on
	Fence        int64 // its holder's lease counter
	MessageID    string
	To           string
	Kind         string
	Body         string // text or caption
	FileName     string
	VoiceNote    bool
	MediaMIME    string
	MediaSize    int64
	MediaSHA256  []byte
	ReplyTo      string
	SentAt       time.Time
}

// SentMessages returns every send of a session WhatsApp accepted, in order; a message sent twice
// appears twice.
func SentMessages(ctx context.Context, db store.DB, sessionID uuid.UUID) ([]SentMessage, error) {
	rows, err := store.New(db).SimSentListBySession(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("simulator: list sent messages: %w", err)
	}
	out := make([]SentMessage, len(rows))
	for i, r := range rows {
		out[i] = SentMessage{
			ID: r.ID, SessionID: r.SessionID, ConnectionID: r.ConnectionID, Fence: r.Fence, MessageID: r.MessageID,
			To: r.ToJid, Kind: r.Kind, Body: r.Body, FileName: r.FileName, VoiceNote: r.VoiceNote,
			MediaMIME: r.MediaMime, MediaSize: r.MediaSize, MediaSHA256: r.MediaSha256, ReplyTo: r.ReplyTo, SentAt: r.SentAt,
		}
	}
	return out, nil
}

// SentCount is how many times WhatsApp accepted the message id from the session (invariant 4 wants 1).
func SentCount(ctx context.Context, db store.DB, sessionID uuid.UUID, messageID string) (int, error) {
	n, err := store.New(db).SimSentCount(ctx, store.SimSentCountParams{SessionID: sessionID, MessageID: messageID})
	if err != nil {
		return 0, fmt.Errorf("simulator: count sent: %w", err)
	}
	return int(n), nil
}
