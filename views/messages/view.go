// Package messages renders the portal's message pages: the log of sent and received messages with
// its filters and cursor paging, a message's page (every field, its media, its status timeline, the
// cancel confirmation) and the send form with file upload and preview, plus the "recent messages"
// panel of a session's page. Rows, a message's status panel and its timeline are exported
// fragments: the SSE stream re-renders them as messages change and htmx swaps them by the event
// names below. It takes view models only.
package messages

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/portalui"
)

// Swap targets and SSE event names. A fragment's element id is also the name of the SSE event that
// carries its new HTML, so a page listens exactly for the messages it shows.
const (
	// ResultsID is the log's table with its paging and its stream: the filter form swaps it.
	ResultsID = "message-results"
	// NewEvent carries the row of a message created after the page was made; the first page of
	// the unfiltered log prepends it (once: a row already on the page is not added again).
	NewEvent = "message-new"
	// NoticeEvent carries the "new messages arrived" notice for the other pages of the log.
	NoticeEvent = "message-notice"
	// FormID is the send form; htmx swaps it in place when it comes back with errors.
	FormID = "message-form"
)

// RowID is a message's row in the log (and its SSE event).
func RowID(id uuid.UUID) string { return "message-row-" + id.String() }

// StatusID is the status panel of a message's page (and its SSE event).
func StatusID(id uuid.UUID) string { return "message-status-" + id.String() }

// TimelineID is the timeline panel of a message's page (and its SSE event).
func TimelineID(id uuid.UUID) string { return "message-timeline-" + id.String() }

// Frag is what every fragment needs besides its message: the time now, the workspace's time zone
// (times are shown in it) and the CSRF token for forms.
type Frag struct {
	Now       time.Time
	Loc       *time.Location
	CSRFToken string
}

func (f Frag) loc() *time.Location {
	if f.Loc == nil {
		return time.UTC
	}
	return f.Loc
}

// When is t in the workspace's time zone, as short as still clear: "14:05" today, "3 Mar, 14:05"
// this year, "3 Mar 2024, 14:05" before.
func (f Frag) When(t time.Time) string {
	lt, now := t.In(f.loc()), f.Now.In(f.loc())
	switch {
	case lt.Year() == now.Year() && lt.YearDay() == now.YearDay():
		return lt.Format("15:04")
	case lt.Year() == now.Year():
		return lt.Format("2 Jan, 15:04")
	}
	return lt.Format("2 Jan 2006, 15:04")
}

// Full is t to the second in the workspace's time zone, with the zone's abbreviation.
func (f Frag) Full(t time.Time) string { return t.In(f.loc()).Format("2 Jan 2006, 15:04:05 MST") }

// Message is a message as the pages show it.
type Message struct {
	ID          uuid.UUID
	SessionID   uuid.UUID
	SessionName string // "" when the session is gone
	Direction   string // "out" or "in"
	// Chat is the other party's JID; Phone its E.164 number when known ("" for groups).
	Chat      string
	Phone     string
	Sender    string // inbound: who wrote it (in groups, the participant)
	SenderAlt string
	PushName  string
	FromMe    bool
	Kind      string
	Text      string
	HasMedia  bool
	FileName  string
	VoiceNote bool
	Location  *Location
	Contact   *Contact
	ReplyTo   string
	WAID      string
	Queue     string

	Status      string
	ErrorCode   string
	ErrorReason string
	Attempts    int
	Reaction    string
	SendAt      *time.Time
	ExpiresAt   *time.Time
	QueuedAt    *time.Time
	SentAt      *time.Time
	DeliveredAt *time.Time
	ReadAt      *time.Time
	FailedAt    *time.Time
	EditedAt    *time.Time
	RevokedAt   *time.Time
	Created     time.Time
	Updated     time.Time
}

// Location is a point on the map a message carries.
type Location struct {
	Latitude  float64
	Longitude float64
	Name      string
	Address   string
}

// MapURL opens the point on OpenStreetMap.
func (l Location) MapURL() string {
	lat, lon := strconv.FormatFloat(l.Latitude, 'f', 6, 64), strconv.FormatFloat(l.Longitude, 'f', 6, 64)
	return "https://www.openstreetmap.org/?" + url.Values{"mlat": {lat}, "mlon": {lon}}.Encode() + "#map=16/" + lat + "/" + lon
}

// Coordinates is "52.520008, 13.404954".
func (l Location) Coordinates() string {
	return strconv.FormatFloat(l.Latitude, 'f', 6, 64) + ", " + strconv.FormatFloat(l.Longitude, 'f', 6, 64)
}

// Contact is a contact card a message carries.
type Contact struct {
	Name  string
	Phone string // the card's first number, as written in it
}

// Outbound reports whether the tenant sent it.
func (m Message) Outbound() bool { return m.Direction == "out" }

// Group reports whether the other party is a group.
func (m Message) Group() bool { return strings.HasSuffix(m.Chat, "@g.us") }

// Party is the other party as people read it: "+49 151 …" for a number, the JID otherwise.
func (m Message) Party() string {
	if m.Phone != "" {
		return PhoneDisplay(m.Phone)
	}
	if m.Group() {
		return "Group " + strings.TrimSuffix(m.Chat, "@g.us")
	}
	return m.Chat
}

// PartyDetail is the second line under the party: the sender's push name (and in groups, who wrote).
func (m Message) PartyDetail() string {
	var parts []string
	if m.PushName != "" {
		parts = append(parts, m.PushName)
	}
	if m.Group() && m.Sender != "" {
		parts = append(parts, "from "+jidUser(m.Sender))
	}
	return strings.Join(parts, " · ")
}

// PhoneDisplay writes an E.164 number with its plus (and nothing else: grouping digits needs the
// country's plan, and a wrong grouping is worse than none).
func PhoneDisplay(p string) string {
	if p == "" || strings.HasPrefix(p, "+") {
		return p
	}
	return "+" + p
}

func jidUser(jid string) string {
	if i := strings.IndexByte(jid, '@'); i > 0 {
		u := jid[:i]
		if j := strings.IndexByte(u, ':'); j > 0 { // device suffix
			u = u[:j]
		}
		if strings.HasSuffix(jid, "@s.whatsapp.net") {
			return "+" + u
		}
		return u
	}
	return jid
}

// previewLen is how many characters of a text the log shows.
const previewLen = 80

// Preview is a one-line summary of the content: the text (or caption), shortened.
func (m Message) Preview() string {
	s := strings.Join(strings.Fields(m.Text), " ")
	switch {
	case m.RevokedAt != nil:
		return "This message was deleted"
	case s == "" && m.Location != nil:
		s = firstNonEmpty(m.Location.Name, m.Location.Address, m.Location.Coordinates())
	case s == "" && m.Contact != nil:
		s = m.Contact.Name
	case s == "" && m.FileName != "":
		s = m.FileName
	}
	if utf8.RuneCountInString(s) > previewLen {
		r := []rune(s)
		s = strings.TrimSpace(string(r[:previewLen-1])) + "…"
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// KindLabel names the kind: "Text", "Image", "Voice note" ….
func (m Message) KindLabel() string {
	if m.Kind == "audio" && m.VoiceNote {
		return "Voice note"
	}
	return KindLabel(m.Kind)
}

// KindLabel names a kind of message.
func KindLabel(kind string) string {
	switch kind {
	case "":
		return "Unknown"
	case "contact":
		return "Contact card"
	}
	return strings.ToUpper(kind[:1]) + kind[1:]
}

// KindIcon is the icon of a kind of message.
func KindIcon(kind string) string {
	switch kind {
	case "image", "sticker":
		return "image"
	case "video":
		return "video"
	case "audio":
		return "mic"
	case "document":
		return "file"
	case "location":
		return "map-pin"
	case "contact":
		return "contact"
	}
	return "text"
}

// Cancelable reports whether the message may still be canceled: nothing has gone out yet.
func (m Message) Cancelable() bool { return m.Status == "scheduled" || m.Status == "queued" }

// StatusHint says in words what a status means for this message.
func (m Message) StatusHint() string {
	switch m.Status {
	case "scheduled":
		return "Waiting for its time; it is queued when due, never early."
	case "queued":
		return "Accepted and waiting for its turn: the session's pace and connection decide when it leaves."
	case "sending":
		return "Being handed to WhatsApp now."
	case "sent":
		return "WhatsApp has it; the recipient's phone has not confirmed it yet."
	case "delivered":
		return "On the recipient's phone, not read yet."
	case "read":
		return "The recipient has read it."
	case "failed":
		if m.ErrorReason != "" {
			return m.ErrorReason
		}
		return "It could not be sent."
	case "canceled":
		return "Canceled before it was sent; it no longer counts against the daily quota."
	case "expired":
		return "The session was not available in time, so it was never sent."
	case "received":
		return "Received on this session."
	}
	return ""
}

// Step is one entry of a message's timeline.
type Step struct {
	Status string
	Type   string // message.status, message.received, message.updated
	Detail string
	At     time.Time
}

// Title is the step in words.
func (s Step) Title() string {
	switch s.Type {
	case "message.received":
		return "Received"
	case "message.updated":
		return "Updated"
	}
	switch s.Status {
	case "":
		return "Changed"
	case "queued":
		return "Queued"
	case "scheduled":
		return "Scheduled"
	}
	return strings.ToUpper(s.Status[:1]) + s.Status[1:]
}

// Tone colours a status's marker: success, info, warning, danger or neutral.
func Tone(status string) string {
	switch status {
	case "sent", "delivered", "read", "received":
		return "success"
	case "queued", "scheduled", "sending":
		return "info"
	case "failed":
		return "danger"
	case "expired", "canceled":
		return "neutral"
	}
	return "neutral"
}

// Media is a message's file as its page shows it.
type Media struct {
	Kind     string // image, video, audio, document, sticker
	MIME     string
	FileName string
	Size     int64
	URL      string // a short-lived signed URL; "" when the file is not available (yet)
	Expires  time.Time
	Pending  bool   // inbound: the bytes are still being fetched from WhatsApp
	Error    string // why the file is not available
}

// Inline reports whether the browser can show the file in the page.
func (m Media) Inline() bool {
	switch m.Kind {
	case "image", "sticker", "video", "audio":
		return m.URL != ""
	}
	return false
}

// SizeLabel is the size as people read it ("" when unknown).
func (m Media) SizeLabel() string {
	if m.Size <= 0 {
		return ""
	}
	return portalui.Bytes(m.Size)
}

// SessionOption is a session in the session selects.
type SessionOption struct {
	ID        uuid.UUID
	Name      string
	Status    string
	Phone     string
	Connected bool
}

// Label is the option's text: the name, the number, and the status when not connected.
func (o SessionOption) Label() string {
	s := o.Name
	if o.Phone != "" {
		s += " (" + PhoneDisplay(o.Phone) + ")"
	}
	if !o.Connected {
		s += " — " + strings.ReplaceAll(o.Status, "_", " ")
	}
	return s
}

// Filter is the log's filter form as the user filled it in.
type Filter struct {
	Session   string
	Status    string
	Direction string
	From      string // YYYY-MM-DD in the workspace's time zone
	To        string
	Number    string
	Cursor    string
	Errors    portalui.Errors
}

// Values are the filter as query parameters (without the cursor).
func (f Filter) Values() url.Values {
	return url.Values{"session": {f.Session}, "status": {f.Status}, "direction": {f.Direction},
		"from": {f.From}, "to": {f.To}, "number": {f.Number}}
}

// Active reports whether any filter is set.
func (f Filter) Active() bool {
	return f.Session != "" || f.Status != "" || f.Direction != "" || f.From != "" || f.To != "" || f.Number != ""
}

// Statuses are the status filter's choices.
var Statuses = []string{"scheduled", "queued", "sending", "sent", "delivered", "read", "failed", "canceled", "expired", "received"}

// StatusLabel is a status in words.
func StatusLabel(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// IndexPage is the message log.
type IndexPage struct {
	Frag
	Messages []Message
	Filter   Filter
	Sessions []SessionOption
	// NextCursor is the cursor of the next (older) page; "" on the last one.
	NextCursor string
	// Since is when the page was made (Unix ms): the stream announces messages created later.
	Since int64
}

// Paged reports whether this is not the first page.
func (p IndexPage) Paged() bool { return p.Filter.Cursor != "" }

// Live reports whether new messages are prepended to the table (the first page without filters);
// other pages show a notice instead.
func (p IndexPage) Live() bool { return !p.Paged() && !p.Filter.Active() }

// StreamURL is the page's SSE stream.
func (p IndexPage) StreamURL() string {
	v := p.Filter.Values()
	v.Set("cursor", p.Filter.Cursor)
	v.Set("since", strconv.FormatInt(p.Since, 10))
	return paths.MessagesEventsQuery(v)
}

// PageURL is this page's own URL (filters and cursor).
func (p IndexPage) PageURL() string {
	v := p.Filter.Values()
	v.Set("cursor", p.Filter.Cursor)
	return paths.MessagesQuery(v)
}

// OlderURL is the next (older) page.
func (p IndexPage) OlderURL() string {
	v := p.Filter.Values()
	v.Set("cursor", p.NextCursor)
	return paths.MessagesQuery(v)
}

// NewestURL is the first page with the same filters.
func (p IndexPage) NewestURL() string { return paths.MessagesQuery(p.Filter.Values()) }

// SessionName is the name of a session in the filter's choices.
func (p IndexPage) SessionName(id string) string {
	for _, s := range p.Sessions {
		if s.ID.String() == id {
			return s.Name
		}
	}
	return ""
}

// ShowPage is a message's page.
type ShowPage struct {
	Frag
	Message  Message
	Media    *Media
	Timeline []Step
}

// Kinds a message can be sent as from the form, in the order of its tabs.
var Kinds = []string{"text", "image", "video", "audio", "document", "location", "contact"}

// MediaKind reports whether kind is sent with a file.
func MediaKind(kind string) bool {
	switch kind {
	case "image", "video", "audio", "document":
		return true
	}
	return false
}

// Accept is the file input's accept attribute for a kind.
func Accept(kind string) string {
	switch kind {
	case "image":
		return "image/jpeg,image/png,image/webp,image/gif"
	case "video":
		return "video/*"
	case "audio":
		return "audio/*"
	}
	return ""
}

// Form is the send form as the user filled it in.
type Form struct {
	SessionID string
	To        string
	Kind      string
	Text      string
	// MediaID is a file uploaded by an earlier try of this form (it came back with errors), kept so
	// the user need not choose it again; MediaName and MediaSize describe it.
	MediaID         string
	MediaName       string
	MediaSize       int64
	MediaMIME       string
	FileName        string // the name a document is shown with
	Latitude        string
	Longitude       string
	LocationName    string
	LocationAddress string
	ContactName     string
	ContactPhone    string
	SendAt          string // datetime-local, in the workspace's time zone
	Errors          portalui.Errors
	// Error is a problem of the whole form (the daily quota, a session that is not paired).
	Error string
}

// KindOrText is the chosen kind, text by default.
func (f Form) KindOrText() string {
	for _, k := range Kinds {
		if k == f.Kind {
			return k
		}
	}
	return "text"
}

// FileError is the file field's error: the upload's own, or the one Send found with the media.
func (f Form) FileError() string {
	for _, k := range []string{"file", "media_id", "media"} {
		if f.Errors.Has(k) {
			return f.Errors.Get(k)
		}
	}
	return ""
}

// FormPage is the send form's page.
type FormPage struct {
	Frag
	Form     Form
	Sessions []SessionOption
	// Timezone names the workspace's time zone (schedules are read in it); Country its default country.
	Timezone string
	Country  string
	// MaxMedia is the plan's largest file, in bytes; FileTypes says in words which files are taken.
	MaxMedia  int64
	FileTypes string
}

// AnyConnected reports whether some session can send now.
func (p FormPage) AnyConnected() bool {
	for _, s := range p.Sessions {
		if s.Connected {
			return true
		}
	}
	return false
}

// Recent is a session page's "recent messages" panel.
type Recent struct {
	Frag
	SessionID uuid.UUID
	Messages  []Message
	// CanSend is whether the session is connected (the "Send a message" button is primary then).
	CanSend bool
}

// Count is "3 messages".
func Count(n int) string {
	if n == 1 {
		return "1 message"
	}
	return fmt.Sprintf("%d messages", n)
}

func showTitle(m Message) string {
	if m.Outbound() {
		return "Message to " + m.Party()
	}
	return "Message from " + m.Party()
}

func showSubtitle(m Message) string {
	s := m.KindLabel()
	if m.SessionName != "" {
		if m.Outbound() {
			s += " sent through " + m.SessionName
		} else {
			s += " received on " + m.SessionName
		}
	}
	return s + "."
}

// sendAgainURL opens the send form for the same session and party.
func sendAgainURL(m Message) string {
	to := m.Chat
	if m.Phone != "" {
		to = PhoneDisplay(m.Phone)
	}
	return paths.MessageNew + "?" + url.Values{"session": {m.SessionID.String()}, "to": {to}}.Encode()
}

// progressStep is one stop on the way from accepted to read.
type progressStep struct {
	Status string
	Label  string
	State  string // done, current, todo; the end of a message that stopped: failed or stopped
	At     *time.Time
	Due    *time.Time // a scheduled message's queued step: when it is due
}

// progress is an outbound message's way from accepted to read: the stops it reached (with their
// times), the one it waits for, and for a message that stopped (failed, canceled, expired) where.
func progress(m Message) []progressStep {
	queuedAt := m.QueuedAt
	steps := []progressStep{}
	if m.SendAt != nil {
		steps = append(steps, progressStep{Status: "scheduled", Label: "Scheduled", At: &m.Created})
	} else if queuedAt == nil {
		queuedAt = &m.Created // accepted straight into the queue
	}
	steps = append(steps,
		progressStep{Status: "queued", Label: "Queued", At: queuedAt},
		progressStep{Status: "sent", Label: "Sent", At: m.SentAt},
		progressStep{Status: "delivered", Label: "Delivered", At: m.DeliveredAt},
		progressStep{Status: "read", Label: "Read", At: m.ReadAt})
	cur := -1
	for i, s := range steps {
		if s.Status == m.Status || (m.Status == "sending" && s.Status == "queued") {
			cur = i
		}
	}
	stopped := cur < 0
	if stopped { // as far as its times go
		for i, s := range steps {
			if s.At != nil {
				cur = i
			}
		}
	}
	for i := range steps {
		switch {
		case i <= cur:
			steps[i].State = "done"
		case i == cur+1 && !stopped:
			steps[i].State, steps[i].At = "current", nil
		default:
			steps[i].State, steps[i].At = "todo", nil
		}
		if steps[i].Status == "queued" && steps[i].At == nil && m.Status == "scheduled" {
			steps[i].Due = m.SendAt
		}
	}
	if stopped { // the stops it reached, then where it ended
		steps = steps[:cur+1]
		end := progressStep{Status: m.Status, Label: StatusLabel(m.Status), State: "stopped", At: &m.Updated}
		if m.Status == "failed" {
			end.State = "failed"
			if m.FailedAt != nil {
				end.At = m.FailedAt
			}
		}
		steps = append(steps, end)
	}
	return steps
}
