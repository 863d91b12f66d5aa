package api

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/internal/whatsapp"
)

const tagMessages = "Messages"

// Message is a message the workspace sent or received.
type Message struct {
	ID        uuid.UUID     `json:"id" format:"uuid" doc:"The message's id." example:"01966b20-5e6f-7a80-9b1c-2d3e4f5a6b7c"`
	SessionID uuid.UUID     `json:"session_id" format:"uuid" doc:"The session (WhatsApp number) it went out on or came in through." example:"01966b10-3c4d-7e5f-8a6b-7c8d9e0f1a2b"`
	Direction string        `json:"direction" enum:"out,in" doc:"out: sent by the workspace (API, portal, or from the phone itself: see from_me). in: received." example:"out"`
	WAID      string        `json:"wa_id" doc:"WhatsApp's id of the message. Fixed when the message is accepted and kept on every retry; receipts and replies refer to it." example:"3EB0C767D26A1D5B8F2A"`
	Chat      string        `json:"chat" doc:"The other side's WhatsApp address (JID): the recipient (out) or the chat (in). A person (…@s.whatsapp.net, or …@lid when WhatsApp hides the number) or a group (…@g.us)." example:"14155550123@s.whatsapp.net"`
	Phone     string        `json:"phone" doc:"The other side's number in E.164 when known; empty for groups and for contacts known only by their LID." example:"+14155550123"`
	Sender    string        `json:"sender" doc:"in: who wrote it (in a group, the participant). Empty for out." example:""`
	SenderAlt string        `json:"sender_alt" doc:"in: the sender's other address (their LID when sender is a number, or their number when sender is a LID), when known." example:""`
	PushName  string        `json:"push_name" doc:"in: the name the sender shows in WhatsApp." example:""`
	FromMe    bool          `json:"from_me" doc:"out: sent from the linked phone itself, not through Wagate." example:"false"`
	Type      string        `json:"type" enum:"text,image,video,audio,document,sticker,location,contact,unknown" doc:"What it carries. unknown: a kind of inbound message Wagate does not read (polls, calls …)." example:"text"`
	Text      string        `json:"text" doc:"The text, or a media message's caption." example:"Your order 1042 has shipped."`
	Media     *MessageMedia `json:"media,omitempty" doc:"The file of an image, video, audio, document or sticker; absent otherwise."`
	Location  *Location     `json:"location,omitempty" doc:"The place of a location message; absent otherwise."`
	Contact   *Contact      `json:"contact,omitempty" doc:"The card of a contact message; absent otherwise."`
	ReplyTo   string        `json:"reply_to" doc:"The WhatsApp id (wa_id) of the message this one answers; empty when it answers none." example:""`
	Status    string        `json:"status" enum:"scheduled,queued,sending,sent,delivered,read,failed,canceled,expired,received" doc:"Where the message is. Out: scheduled (waits for send_at) → queued (waits for its turn and its session) → sending → sent (WhatsApp took it) → delivered (on the recipient's phone) → read; or failed (see error), canceled, expired (its session stayed down until expires_at). In: received." example:"queued"`
	Error     *MessageError `json:"error,omitempty" doc:"Why it failed or expired; absent otherwise."`
	Attempts  int           `json:"attempts" doc:"How many times sending it was started. Every attempt reuses wa_id, so WhatsApp shows it once." example:"0"`
	SendAt    *time.Time    `json:"send_at" nullable:"true" doc:"Not sent before this time; null when sent as soon as possible." example:"2025-05-02T08:00:00Z"`
	ExpiresAt *time.Time    `json:"expires_at" nullable:"true" doc:"out: when it expires if its session has not been able to send it by then." example:"2025-05-03T08:00:00Z"`
	Reaction  string        `json:"reaction" doc:"The latest reaction to it (an emoji); empty when none." example:""`
	// Timestamps of what happened to it; null until it has.
	EditedAt    *time.Time `json:"edited_at" nullable:"true" doc:"When it was last edited." example:"2025-05-01T09:41:00Z"`
	RevokedAt   *time.Time `json:"revoked_at" nullable:"true" doc:"When it was deleted for everyone." example:"2025-05-01T09:42:00Z"`
	QueuedAt    *time.Time `json:"queued_at" nullable:"true" doc:"When it was queued to be sent." example:"2025-05-01T09:40:00Z"`
	SentAt      *time.Time `json:"sent_at" nullable:"true" doc:"When WhatsApp took it." example:"2025-05-01T09:40:02Z"`
	DeliveredAt *time.Time `json:"delivered_at" nullable:"true" doc:"When it reached the recipient's phone." example:"2025-05-01T09:40:03Z"`
	ReadAt      *time.Time `json:"read_at" nullable:"true" doc:"When the recipient read it (if they share read receipts)." example:"2025-05-01T09:45:00Z"`
	FailedAt    *time.Time `json:"failed_at" nullable:"true" doc:"When it failed or expired." example:"2025-05-01T09:40:05Z"`
	CreatedAt   time.Time  `json:"created_at" doc:"When it was accepted (out) or received (in)." example:"2025-05-01T09:40:00Z"`
	UpdatedAt   time.Time  `json:"updated_at" doc:"When anything about it last changed." example:"2025-05-01T09:40:03Z"`
}

// MessageMedia is the file a message carries.
type MessageMedia struct {
	ID           uuid.UUID  `json:"id" format:"uuid" doc:"The file's id (as in GET /media/{id})." example:"01966b1f-4d5e-7f60-8a7b-9c0d1e2f3a4b"`
	MIME         string     `json:"mime,omitempty" doc:"Its type, as sniffed from its content. Given by GET /messages/{id} and when sending; omitted in lists." example:"image/jpeg"`
	FileName     string     `json:"file_name" doc:"The name it is shown with." example:"invoice-1042.pdf"`
	VoiceNote    bool       `json:"voice_note" doc:"An OGG/Opus audio that plays as a voice note." example:"false"`
	URL          string     `json:"url,omitempty" doc:"A short-lived link to download it. Given by GET /messages/{id} only, once the file is stored (inbound files are fetched from WhatsApp right after they arrive)." example:"https://files.example.com/tenants/…?X-Amz-Signature=…"`
	URLExpiresAt *time.Time `json:"url_expires_at,omitempty" doc:"When url stops working; ask GET /messages/{id} again for a fresh one." example:"2025-05-01T09:55:00Z"`
}

// Location is a place on the map.
type Location struct {
	Latitude  float64 `json:"latitude" minimum:"-90" maximum:"90" doc:"Degrees north (negative: south)." example:"52.520008"`
	Longitude float64 `json:"longitude" minimum:"-180" maximum:"180" doc:"Degrees east (negative: west)." example:"13.404954"`
	Name      string  `json:"name,omitempty" maxLength:"256" doc:"The place's name." example:"Acme Store Mitte"`
	Address   string  `json:"address,omitempty" maxLength:"512" doc:"Its address." example:"Alexanderplatz 1, 10178 Berlin"`
}

// Contact is a contact card.
type Contact struct {
	DisplayName string `json:"display_name" doc:"The name the card is shown with." example:"Acme Support"`
	VCard       string `json:"vcard" doc:"The card as a vCard (3.0)." example:"BEGIN:VCARD\nVERSION:3.0\nFN:Acme Support\nTEL;type=CELL;waid=14155550123:+14155550123\nEND:VCARD"`
}

// MessageError says why a message failed.
type MessageError struct {
	Code   string `json:"code" doc:"A stable code to act on: not_on_whatsapp, logged_out, media_rejected, expired, … (new codes may appear)." example:"not_on_whatsapp"`
	Reason string `json:"reason" doc:"The same for people." example:"The number is not on WhatsApp."`
}

// MessageEvent is one step of a message's timeline.
type MessageEvent struct {
	Status string    `json:"status" doc:"The status the message reached, when the step changed it." example:"sent"`
	Type   string    `json:"type" enum:"message.status,message.received,message.updated" doc:"message.status: its status changed. message.received: it came in. message.updated: it was edited, deleted for everyone, or reacted to." example:"message.status"`
	Detail string    `json:"detail" doc:"What happened, in words." example:""`
	At     time.Time `json:"at" doc:"When." example:"2025-05-01T09:40:02Z"`
}

// MessageDetail is a message with its timeline.
type MessageDetail struct {
	Message
	Events []MessageEvent `json:"events" nullable:"false" doc:"What happened to it, oldest first."`
}

// MessageList is a page of messages.
type MessageList struct {
	Data       []Message `json:"data" nullable:"false" doc:"The messages, newest first."`
	NextCursor string    `json:"next_cursor" doc:"Pass as cursor for the next page; empty on the last page." example:""`
}

// SendMessage is a message to send.
type SendMessage struct {
	SessionID  uuid.UUID    `json:"session_id" format:"uuid" doc:"The session (WhatsApp number) to send from." example:"01966b10-3c4d-7e5f-8a6b-7c8d9e0f1a2b"`
	To         string       `json:"to" minLength:"1" maxLength:"128" doc:"The recipient: a phone number in any common format (numbers without a country code get the workspace's default country), or a JID (…@s.whatsapp.net, a group's …@g.us)." example:"+1 415 555 0123"`
	Type       string       `json:"type,omitempty" enum:"text,image,video,audio,document,location,contact" doc:"What to send. Optional: it follows from what is set (media_id or media_url: the file's type; location; contact; else text). When given, it must agree with that; type document with an image, video or audio file sends the file as a document (as as_document)." example:"text"`
	Text       string       `json:"text,omitempty" doc:"The text (up to 4096 characters), or a media message's caption (up to 1024)." example:"Your order 1042 has shipped."`
	MediaID    *uuid.UUID   `json:"media_id,omitempty" format:"uuid" doc:"A file uploaded with POST /media. Its content decides image, video, audio (a voice note when OGG/Opus) or document." example:"01966b1f-4d5e-7f60-8a7b-9c0d1e2f3a4b"`
	MediaURL   string       `json:"media_url,omitempty" maxLength:"2048" doc:"Instead of media_id: an http(s) URL Wagate fetches the file from (within the plan's file size; private addresses are refused)." example:"https://example.com/invoice-1042.pdf"`
	FileName   string       `json:"file_name,omitempty" maxLength:"255" doc:"Documents: the name the recipient sees (default: the file's own name)." example:"invoice-1042.pdf"`
	AsDocument bool         `json:"as_document,omitempty" doc:"Send an image, video or audio file as a document: unchanged, with its file name." example:"false"`
	Location   *Location    `json:"location,omitempty" doc:"Send a location."`
	Contact    *SendContact `json:"contact,omitempty" doc:"Send a contact card."`
	ReplyTo    string       `json:"reply_to,omitempty" maxLength:"128" doc:"Answer a message of the same session: its id or its wa_id." example:""`
	SendAt     *time.Time   `json:"send_at,omitempty" doc:"Send at this time (RFC 3339), not before; the message is scheduled until then. Omit to send now." example:"2025-05-02T08:00:00Z"`
}

// SendContact is a contact card to send: a vCard, or a name and a number to make one of.
type SendContact struct {
	DisplayName string `json:"display_name" minLength:"1" maxLength:"256" doc:"The name the card is shown with." example:"Acme Support"`
	VCard       string `json:"vcard,omitempty" maxLength:"16384" doc:"The card as a vCard. Omit it to send a card of display_name and phone." example:""`
	Phone       string `json:"phone,omitempty" maxLength:"64" doc:"Without vcard: the number on the card, in any common format." example:"+1 415 555 0123"`
}

type messageIDPath struct {
	ID uuid.UUID `path:"id" format:"uuid" doc:"The message's id."`
}

type listMessagesInput struct {
	Cursor    string    `query:"cursor" doc:"From a previous page's next_cursor."`
	Limit     int       `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"At most this many messages."`
	SessionID uuid.UUID `query:"session_id" format:"uuid" doc:"Only messages of this session."`
	Status    string    `query:"status" enum:"scheduled,queued,sending,sent,delivered,read,failed,canceled,expired,received" doc:"Only messages in this status."`
	Direction string    `query:"direction" enum:"out,in" doc:"Only sent (out) or received (in) messages."`
	Since     time.Time `query:"since" doc:"Only messages created at or after this time (RFC 3339)."`
	Until     time.Time `query:"until" doc:"Only messages created before this time (RFC 3339)."`
	Phone     string    `query:"phone" maxLength:"64" doc:"Only messages with this number, in any common format."`
}

type messageOutput struct{ Body Message }

type messageDetailOutput struct{ Body MessageDetail }

type messageListOutput struct{ Body MessageList }

// acceptedOutput is the 202 of a send: the body is written as bytes, so that a replay under the same
// Idempotency-Key answers exactly the bytes of the first response.
type acceptedOutput struct {
	Status      int
	ContentType string `header:"Content-Type" hidden:"true"`
	Location    string `header:"Location" hidden:"true"` // documented in registerMessages
	Replayed    string `header:"Idempotent-Replayed" hidden:"true"`
	Body        []byte
}

type messageHandlers struct {
	svc     *message.Service
	media   *media.Service
	tenants *tenant.Service
}

func registerMessages(a huma.API, d Deps) {
	h := messageHandlers{svc: d.Messages, media: d.Media, tenants: d.Tenants}
	const base, one = "/messages", "/messages/{id}"
	tags := []string{tagMessages}
	accepted := &huma.Response{Description: "Accepted: the message is stored and on its way (or scheduled). Follow it with GET /messages/{id}.",
		Content: map[string]*huma.MediaType{"application/json": {
			Schema: a.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Message](), true, "")}},
		Headers: map[string]*huma.Param{
			"Location": {Description: "The message: GET it to follow its status.", Schema: &huma.Schema{Type: huma.TypeString},
				Example: "/api/v1/messages/01966b20-5e6f-7a80-9b1c-2d3e4f5a6b7c"},
			headerReplayed: {Description: "`true` when this is the stored first answer to an earlier request with the same Idempotency-Key; absent otherwise.",
				Schema: &huma.Schema{Type: huma.TypeString, Enum: []any{"true"}}, Example: "true"},
		}}
	huma.Register(a, operation(huma.Operation{OperationID: "send-message", Method: http.MethodPost, Path: base, Tags: tags,
		DefaultStatus: http.StatusAccepted, Responses: map[string]*huma.Response{"202": accepted},
		Errors:  []int{http.StatusConflict, http.StatusUnprocessableEntity},
		Summary: "Send a message", Description: sendDescription}, auth.ScopeSend), h.send)
	documentSend(a.OpenAPI().Paths[base].Post)
	huma.Register(a, operation(huma.Operation{OperationID: "list-messages", Method: http.MethodGet, Path: base, Tags: tags,
		Errors: []int{http.StatusUnprocessableEntity}, Summary: "List messages",
		Description: "Sent and received messages, newest first, with filters. Media files have no download url here: GET /messages/{id} gives one."}, auth.ScopeRead), h.list)
	huma.Register(a, operation(huma.Operation{OperationID: "get-message", Method: http.MethodGet, Path: one, Tags: tags,
		Errors: []int{http.StatusNotFound}, Summary: "Get a message",
		Description: "The message with its timeline (events) and, for media, a short-lived download url."}, auth.ScopeRead), h.get)
	huma.Register(a, operation(huma.Operation{OperationID: "cancel-message", Method: http.MethodPost, Path: one + "/cancel", Tags: tags,
		Errors: []int{http.StatusNotFound, http.StatusConflict}, Summary: "Cancel a message",
		Description: "Cancels a scheduled or queued message; it counts no more against the daily quota. 409 once it is being sent or done."}, auth.ScopeSend), h.cancel)
	describe(a.OpenAPI().Paths[one+"/cancel"].Post, http.StatusConflict, "The message is being sent or is done: it cannot be canceled any more.", nil)
}

// documentSend describes the send's errors: what its 409 and 422 mean, and its 429, which is the
// API's rate limit or the daily quota, with the quota's members.
func documentSend(op *huma.Operation) {
	describe(op, http.StatusConflict, "The session is not linked to a WhatsApp account, or a request with this Idempotency-Key is still running.", nil)
	describe(op, http.StatusUnprocessableEntity, "A field is not right (each is named in errors), or the Idempotency-Key was used for another request.",
		httpx.Problem{Status: http.StatusUnprocessableEntity, Title: "Unprocessable Entity", Detail: "Some fields need your attention.",
			Fields: map[string]string{"to": "Not a valid phone number. Use the international format, e.g. +14155550123 (numbers without a country code are read as US)."}}.Model())
	describe(op, http.StatusTooManyRequests, "The workspace's API rate limit, or its daily message quota, is used up. Wait Retry-After seconds. "+
		"For the quota, the problem also carries `limit` (messages a day), `used` and `resets_at` (when the workspace's next day begins).",
		map[string]any{"type": httpx.ProblemType, "title": "Too Many Requests", "status": http.StatusTooManyRequests,
			"detail": "Daily message quota of 1000 reached; it resets in 5h12m0s.", "limit": 1000, "used": 1000, "resets_at": "2025-05-02T00:00:00Z"})
}

// describe sets what an operation's error response means and, when example is not nil, its example.
func describe(op *huma.Operation, status int, description string, example any) {
	r := op.Responses[strconv.Itoa(status)]
	if r == nil {
		return
	}
	r.Description = description
	if mt := r.Content[httpx.ProblemContentType]; mt != nil && example != nil {
		mt.Example = example
	}
}

const sendDescription = `Accepts a message for sending and answers ` + "`202`" + ` with it (status ` + "`queued`, or `scheduled`" + ` with
send_at) and a ` + "`Location`" + `. The message is stored before the answer, so an accepted message is never lost; it
goes out through its session when the plan's pacing allows, and its status moves to sent, delivered and read.
Follow it with GET /messages/{id}.

**What to send** follows from the fields: ` + "`media_id` or `media_url`" + ` (image, video, audio or document, by the
file's content; ` + "`text`" + ` is its caption), ` + "`location`, `contact`" + `, or just ` + "`text`" + `.

**Idempotency:** send an ` + "`Idempotency-Key`" + ` (any printable ASCII, up to 255 characters, e.g. a UUID) to make
retries safe. For 24 hours, the same key with the same body answers the first response again, byte for byte, with
` + "`Idempotent-Replayed: true`" + `; the same key with another body is refused (422); a request while the first with that
key is still running gets 409. A request that was refused (4xx) stores nothing, so it can be corrected and sent
again with the same key.

**Daily quota:** past the plan's messages per day (in the workspace's time zone), the answer is ` + "`429`" + ` with
` + "`Retry-After`" + ` and the quota in the body: ` + "`limit`, `used` and `resets_at`" + `.`

func (h messageHandlers) list(ctx context.Context, in *listMessagesInput) (*messageListOutput, error) {
	f := message.Filter{Status: message.Status(in.Status), Direction: message.Direction(in.Direction), Phone: in.Phone,
		Cursor: in.Cursor, Limit: in.Limit}
	if in.SessionID != uuid.Nil {
		f.SessionID = &in.SessionID
	}
	if !in.Since.IsZero() {
		f.Since = &in.Since
	}
	if !in.Until.IsZero() {
		f.Until = &in.Until
	}
	page, err := h.svc.List(ctx, auth.TenantID(ctx), f)
	if err != nil {
		return nil, inQuery(err)
	}
	out := &messageListOutput{Body: MessageList{Data: make([]Message, 0, len(page.Messages)), NextCursor: page.NextCursor}}
	for _, m := range page.Messages {
		out.Body.Data = append(out.Body.Data, messageOf(m, nil))
	}
	return out, nil
}

// inQuery places the fields of a *validate.Errors in the query string, where the list's
// filters come from (httpx places them in the body).
func inQuery(err error) error {
	var ve *validate.Errors
	if !errors.As(err, &ve) {
		return err
	}
	fields := slices.Sorted(maps.Keys(ve.Fields))
	details := make([]error, 0, len(fields))
	for _, f := range fields {
		details = append(details, &huma.ErrorDetail{Location: "query." + f, Message: ve.Fields[f]})
	}
	return huma.Error422UnprocessableEntity("validation failed", details...)
}

func (h messageHandlers) get(ctx context.Context, in *messageIDPath) (*messageDetailOutput, error) {
	tenantID := auth.TenantID(ctx)
	m, err := h.svc.Get(ctx, tenantID, in.ID)
	if err != nil {
		return nil, err
	}
	steps, err := h.svc.Timeline(ctx, tenantID, in.ID)
	if err != nil {
		return nil, err
	}
	mi, err := h.mediaDetail(ctx, tenantID, m.MediaID, true)
	if err != nil {
		return nil, err
	}
	out := &messageDetailOutput{Body: MessageDetail{Message: messageOf(m, mi), Events: make([]MessageEvent, 0, len(steps))}}
	for _, s := range steps {
		out.Body.Events = append(out.Body.Events, MessageEvent{Status: string(s.Status), Type: s.Type, Detail: s.Detail, At: s.At.UTC()})
	}
	return out, nil
}

func (h messageHandlers) cancel(ctx context.Context, in *messageIDPath) (*messageOutput, error) {
	tenantID := auth.TenantID(ctx)
	m, err := h.svc.Cancel(ctx, tenantID, in.ID)
	if err != nil {
		return nil, err
	}
	mi, err := h.mediaDetail(ctx, tenantID, m.MediaID, false)
	if err != nil {
		return nil, err
	}
	return &messageOutput{Body: messageOf(m, mi)}, nil
}

// mediaDetail is what the media service knows of a message's file beyond the message row: its type
// and, with link, a download URL. It is nil when there is nothing to add: no file, no media
// service, or a file gone (the answer then shows what the row knows); the link is left out while
// the file is not stored (inbound files are fetched from WhatsApp after they arrive).
func (h messageHandlers) mediaDetail(ctx context.Context, tenantID uuid.UUID, id *uuid.UUID, link bool) (*mediaInfo, error) {
	if id == nil || h.media == nil {
		return nil, nil
	}
	md, err := h.media.Get(ctx, tenantID, *id)
	if errors.Is(err, media.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	info := &mediaInfo{mime: md.MIME}
	if !link || md.State != media.StateStored {
		return info, nil
	}
	u, exp, err := h.media.URL(ctx, md)
	if errors.Is(err, media.ErrNotReady) {
		return info, nil
	} else if err != nil {
		return nil, err
	}
	info.url, info.expires = u, &exp
	return info, nil
}

// mediaInfo completes a message's media from the media service.
type mediaInfo struct {
	mime    string
	url     string
	expires *time.Time
}

func messageOf(m message.Message, mi *mediaInfo) Message {
	out := Message{ID: m.ID, SessionID: m.SessionID, Direction: string(m.Direction), WAID: m.WAID, Chat: m.Chat, Phone: m.Phone,
		Sender: m.Sender, SenderAlt: m.SenderAlt, PushName: m.PushName, FromMe: m.FromMe, Type: string(m.Kind), Text: m.Text,
		ReplyTo: m.ReplyTo, Status: string(m.Status), Attempts: m.Attempts, SendAt: utc(m.SendAt), ExpiresAt: utc(m.ExpiresAt),
		Reaction: m.Reaction, EditedAt: utc(m.EditedAt), RevokedAt: utc(m.RevokedAt), QueuedAt: utc(m.QueuedAt),
		SentAt: utc(m.SentAt), DeliveredAt: utc(m.DeliveredAt), ReadAt: utc(m.ReadAt), FailedAt: utc(m.FailedAt),
		CreatedAt: m.CreatedAt.UTC(), UpdatedAt: m.UpdatedAt.UTC()}
	if m.MediaID != nil {
		out.Media = &MessageMedia{ID: *m.MediaID, FileName: m.FileName, VoiceNote: m.VoiceNote}
		if mi != nil {
			out.Media.MIME, out.Media.URL, out.Media.URLExpiresAt = mi.mime, mi.url, utc(mi.expires)
		}
	}
	if l := m.Location; l != nil {
		out.Location = &Location{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
	}
	if c := m.Contact; c != nil {
		out.Contact = &Contact{DisplayName: c.DisplayName, VCard: c.VCard}
	}
	if m.ErrorCode != "" || m.ErrorReason != "" {
		out.Error = &MessageError{Code: m.ErrorCode, Reason: m.ErrorReason}
	}
	return out
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// send accepts a message: the service checks the request, stores a file from media_url once the
// rest is right (and does not keep it when the send is refused after all), and stores the message,
// its quota count and the idempotency record in one transaction.
func (h messageHandlers) send(ctx context.Context, in *sendMessageInput) (*acceptedOutput, error) {
	tenantID := auth.TenantID(ctx)
	req, err := h.sendRequest(ctx, tenantID, in.Body)
	if err != nil {
		return nil, err
	}
	var rendered []byte
	idem := in.idempotency(func(m message.Message, file *message.MediaInfo) (int, []byte, error) {
		body, err := json.Marshal(messageOf(m, mediaOfFile(file)))
		rendered = body
		return http.StatusAccepted, body, err
	})
	acc, err := h.svc.Send(ctx, tenantID, req, idem)
	if err != nil {
		return nil, err
	}
	if acc.Replay != nil {
		return replayed(acc.Replay), nil
	}
	if rendered == nil { // no Idempotency-Key: nothing rendered the answer yet
		if rendered, err = json.Marshal(messageOf(acc.Message, mediaOfFile(acc.File))); err != nil {
			return nil, err
		}
	}
	return &acceptedOutput{Status: http.StatusAccepted, ContentType: "application/json", Body: rendered,
		Location: Prefix + "/messages/" + acc.Message.ID.String()}, nil
}

// sendRequest is the service's request for b, after the checks of the body's shape.
func (h messageHandlers) sendRequest(ctx context.Context, tenantID uuid.UUID, b SendMessage) (message.SendRequest, error) {
	req := message.SendRequest{SessionID: b.SessionID, To: b.To, Text: b.Text, MediaID: b.MediaID, FileName: b.FileName,
		AsDocument: b.AsDocument, Type: whatsapp.Kind(b.Type), ReplyTo: b.ReplyTo, SendAt: b.SendAt, Queue: message.QueueInteractive}
	if err := checkContent(b); err != nil {
		return req, err
	}
	if b.MediaURL != "" {
		req.File = &message.File{URL: b.MediaURL}
	}
	if l := b.Location; l != nil {
		req.Location = &whatsapp.Location{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
	}
	if c := b.Contact; c != nil {
		card, err := h.contactCard(ctx, tenantID, c)
		if err != nil {
			return req, err
		}
		req.Contact = card
	}
	return req, nil
}

// replayed is the answer of a stored first response: its status and bytes, its Location (the id
// is in the body), and the header that says it is a replay.
func replayed(r *message.Replay) *acceptedOutput {
	out := &acceptedOutput{Status: r.Status, ContentType: "application/json", Body: r.Body, Replayed: "true"}
	var ref struct {
		ID uuid.UUID `json:"id"`
	}
	if json.Unmarshal(r.Body, &ref) == nil && ref.ID != uuid.Nil {
		out.Location = Prefix + "/messages/" + ref.ID.String()
	}
	return out
}

func mediaOfFile(file *message.MediaInfo) *mediaInfo {
	if file == nil {
		return nil
	}
	return &mediaInfo{mime: file.MIME}
}

// checkContent refuses a message that carries more than one thing: a file, a location, a contact.
func checkContent(b SendMessage) error {
	var c validate.Checker
	c.Check(b.MediaID == nil || b.MediaURL == "", "media_url", "Give either media_id or media_url, not both.")
	n := 0
	for _, set := range []bool{b.MediaID != nil || b.MediaURL != "", b.Location != nil, b.Contact != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		field := "contact"
		if b.Contact == nil {
			field = "location"
		}
		c.Add(field, "A message carries one thing: a file (media_id or media_url), a location or a contact. Send them as separate messages.")
	}
	return c.Err()
}

// contactCard is the card to send: the vCard given, or one made of the name and the number
// (normalised with the workspace's default country, as "to" is).
func (h messageHandlers) contactCard(ctx context.Context, tenantID uuid.UUID, c *SendContact) (*whatsapp.Contact, error) {
	if strings.TrimSpace(c.VCard) != "" {
		return &whatsapp.Contact{DisplayName: c.DisplayName, VCard: c.VCard}, nil
	}
	if strings.TrimSpace(c.Phone) == "" {
		return nil, validate.Field("contact.vcard", "Give the card as vcard, or a phone number for it.")
	}
	country := "US"
	if h.tenants != nil {
		t, err := h.tenants.Get(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		country = t.DefaultCountry
	}
	phone, msg := message.ParsePhone(c.Phone, country)
	if msg != "" {
		return nil, validate.Field("contact.phone", msg)
	}
	return &whatsapp.Contact{DisplayName: c.DisplayName, VCard: message.VCard(c.DisplayName, phone)}, nil
}
