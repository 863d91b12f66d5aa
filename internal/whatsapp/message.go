package whatsapp

import (
	"context"
	"io"
	"time"
)

// Kind is what a message is.
type Kind string

const (
	KindText     Kind = "text"
	KindImage    Kind = "image"
	KindVideo    Kind = "video"
	KindAudio    Kind = "audio"
	KindDocument Kind = "document"
	KindSticker  Kind = "sticker"
	KindLocation Kind = "location"
	KindContact  Kind = "contact"
	KindUnknown  Kind = "unknown"
)

// Outgoing is a message to send. Exactly the fields of its Kind are set.
type Outgoing struct {
	ID   MessageID // fixed when the row was created; reused on every retry
	To   JID       // a user (non-AD) or a group
	Kind Kind
	Text string // KindText; for media, Caption is used instead
	// Media is the file of an image, video, audio or document; the driver streams and uploads it.
	Media     *Media
	Caption   string
	FileName  string // documents: the name the recipient sees
	VoiceNote bool   // audio: send as a voice note (OGG/Opus only)
	Location  *Location
	Contact   *Contact
	ReplyTo   *Quote
}

// Media is a file to upload.
type Media struct {
	MIME string
	Size int64
	// Open returns the bytes; it may be called more than once (retries).
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Location is a point on the map.
type Location struct {
	Latitude  float64
	Longitude float64
	Name      string
	Address   string
}

// Contact is a contact card.
type Contact struct {
	DisplayName string
	VCard       string
}

// Quote points at the message a reply answers.
type Quote struct {
	ID     MessageID
	Sender JID // the quoted message's sender (the account itself for its own messages)
	Text   string
}

// Incoming is a message as received.
type Incoming struct {
	ID        MessageID
	Chat      JID // the conversation: the other party, or the group
	Sender    JID // who wrote it (in groups, the participant)
	SenderAlt JID // the sender's other address (phone number for a LID, or LID for a number), when known
	IsFromMe  bool
	IsGroup   bool
	PushName  string
	Timestamp time.Time
	Kind      Kind
	Text      string // text, or a media message's caption
	Media     *IncomingMedia
	Location  *Location
	Contact   *Contact
	ReplyTo   MessageID
}

// IncomingMedia describes inbound media; the bytes are fetched with Driver.Download after the
// message is stored and acked (fetching them on the ack path would stall the session).
type IncomingMedia struct {
	MIME     string
	FileName string
	Size     int64
	SHA256   []byte
	Handle   MediaHandle
}

// MediaHandle is what a driver needs to download inbound media later, opaque to everyone else.
// It is stored with the message, so it is bytes, not a live object.
type MediaHandle []byte
