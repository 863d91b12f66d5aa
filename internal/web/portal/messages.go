package portal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/outbox"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/views/components"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/messages"
	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/portalui"
)

// messagePageSize is how many messages one page of the log shows; recentMessages how many a
// session's page shows.
const (
	messagePageSize = 50
	recentMessages  = 10
)

// dateLayout is how <input type="date"> sends a day; dateTimeLayout how datetime-local sends a
// moment (seconds appear when the user's browser offers them).
const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02T15:04"
)

func (h *handlers) listMessages(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenantID := auth.TenantID(ctx)
	t, err := h.d.Tenants.Get(ctx, tenantID)
	if err != nil {
		return err
	}
	p, status, err := h.messageLog(ctx, tenantID, location(t), messageFilterForm(c))
	if err != nil {
		return err
	}
	c.Vary("HX-Request")
	if fragment(c) {
		return httpx.Render(c, status, messages.Results(p))
	}
	return httpx.Render(c, status, messages.Index(h.shell(c, "Messages", layout.NavMessages), p))
}

// messageFilterForm reads the log's filters from the query string (copies: Fiber reuses its memory).
func messageFilterForm(c *fiber.Ctx) messages.Filter {
	q := func(k string) string { return strings.TrimSpace(strings.Clone(c.Query(k))) }
	return messages.Filter{Session: q("session"), Status: q("status"), Direction: q("direction"), From: q("from"),
		To: q("to"), Number: q("number"), Cursor: q("cursor")}
}

// messageLog loads one page of the log for the filters in form. Filters that make no sense come
// back as field errors on the page (422) rather than as an error page.
func (h *handlers) messageLog(ctx context.Context, tenantID uuid.UUID, loc *time.Location, form messages.Filter) (messages.IndexPage, int, error) {
	now := time.Now()
	p := messages.IndexPage{Frag: messages.Frag{Now: now, Loc: loc, CSRFToken: h.csrf(ctx)}, Filter: form, Since: now.UnixMilli()}
	list, err := h.d.Sessions.List(ctx, tenantID)
	if err != nil {
		return p, 0, err
	}
	p.Sessions = sessionOptions(list)
	f, errs := messageFilter(form, loc)
	if errs.Any() {
		p.Filter.Errors = errs
		return p, fiber.StatusUnprocessableEntity, nil
	}
	page, err := h.d.Messages.List(ctx, tenantID, f)
	if fe, ok := fieldErrors(err); ok {
		p.Filter.Errors = filterErrors(fe)
		return p, fiber.StatusUnprocessableEntity, nil
	} else if err != nil {
		return p, 0, err
	}
	names := sessionNames(list)
	for _, m := range page.Messages {
		p.Messages = append(p.Messages, messageView(m, names))
	}
	p.NextCursor = page.NextCursor
	return p, fiber.StatusOK, nil
}

// messageFilter turns the form into the service's filter: days are whole days of the workspace's
// time zone, "to" included.
func messageFilter(form messages.Filter, loc *time.Location) (message.Filter, portalui.Errors) {
	f := message.Filter{Status: message.Status(form.Status), Direction: message.Direction(form.Direction), Phone: form.Number,
		Cursor: form.Cursor, Limit: messagePageSize}
	errs := portalui.Errors{}
	if form.Session != "" {
		id, err := uuid.Parse(form.Session)
		if err != nil {
			errs["session"] = "Not a session of this workspace."
		}
		f.SessionID = &id
	}
	if form.From != "" {
		d, err := time.ParseInLocation(dateLayout, form.From, loc)
		if err != nil {
			errs["from"] = "Enter a date like 2025-03-31."
		}
		f.Since = &d
	}
	if form.To != "" {
		d, err := time.ParseInLocation(dateLayout, form.To, loc)
		if err != nil {
			errs["to"] = "Enter a date like 2025-03-31."
		}
		end := d.AddDate(0, 0, 1)
		f.Until = &end
	}
	if f.Since != nil && f.Until != nil && !errs.Has("from") && !errs.Has("to") && !f.Until.After(*f.Since) {
		errs["to"] = "Must not be before the first day."
	}
	return f, errs
}

// filterErrors names the service's fields as the filter form does.
func filterErrors(fe portalui.Errors) portalui.Errors {
	out := portalui.Errors{}
	for k, v := range fe {
		switch k {
		case "phone":
			k = "number"
		case "session_id":
			k = "session"
		case "limit":
			k = "cursor"
		}
		out[k] = v
	}
	return out
}

func (h *handlers) showMessage(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	tenantID := auth.TenantID(ctx)
	m, err := h.d.Messages.Get(ctx, tenantID, id)
	if err != nil {
		return err
	}
	t, err := h.d.Tenants.Get(ctx, tenantID)
	if err != nil {
		return err
	}
	steps, err := h.d.Messages.Timeline(ctx, tenantID, id)
	if err != nil {
		return err
	}
	names, err := h.sessionNames(ctx, tenantID)
	if err != nil {
		return err
	}
	v := messageView(m, names)
	p := messages.ShowPage{Frag: messages.Frag{Now: time.Now(), Loc: location(t), CSRFToken: h.csrf(ctx)}, Message: v,
		Timeline: timelineView(steps), Media: h.mediaView(ctx, tenantID, m)}
	return httpx.Render(c, fiber.StatusOK, messages.Show(h.shell(c, "Message", layout.NavMessages), p))
}

// mediaView describes a message's file with a fresh signed link; nil when it has none.
func (h *handlers) mediaView(ctx context.Context, tenantID uuid.UUID, m message.Message) *messages.Media {
	if m.MediaID == nil || h.d.Media == nil {
		return nil
	}
	md, err := h.d.Media.Get(ctx, tenantID, *m.MediaID)
	if err != nil {
		return nil // deleted since: the page says the file is no longer stored
	}
	v := &messages.Media{Kind: string(m.Kind), MIME: md.MIME, FileName: firstNonEmpty(m.FileName, md.FileName), Size: md.Size}
	switch md.State {
	case media.StatePending:
		v.Pending = true
	case media.StateFailed:
		v.Error = "The file could not be fetched from WhatsApp: " + md.Error
	default:
		u, exp, err := h.d.Media.URL(ctx, md)
		if err != nil {
			h.d.Log.WarnContext(ctx, "media link failed", "message_id", m.ID, "err", err)
			v.Error = "The file cannot be shown right now. Reload the page to try again."
		} else {
			v.URL, v.Expires = u, exp
		}
	}
	return v
}

func (h *handlers) newMessageForm(c *fiber.Ctx) error {
	form := messages.Form{SessionID: strings.Clone(c.Query("session")), To: strings.Clone(c.Query("to")), Kind: "text"}
	return h.renderMessageForm(c, fiber.StatusOK, form)
}

// renderMessageForm renders the send form: the form alone for htmx (a form that came back with
// errors), the whole page otherwise.
func (h *handlers) renderMessageForm(c *fiber.Ctx, status int, form messages.Form) error {
	ctx := c.UserContext()
	tenantID := auth.TenantID(ctx)
	t, err := h.d.Tenants.Get(ctx, tenantID)
	if err != nil {
		return err
	}
	list, err := h.d.Sessions.List(ctx, tenantID)
	if err != nil {
		return err
	}
	p := messages.FormPage{Frag: messages.Frag{Now: time.Now(), Loc: location(t), CSRFToken: h.csrf(ctx)}, Form: form,
		Sessions: sessionOptions(list), Timezone: t.Timezone, Country: t.DefaultCountry, MaxMedia: t.Plan.MaxMediaBytes,
		FileTypes: media.AllowedTypes}
	if p.Form.SessionID == "" {
		for _, s := range p.Sessions { // the first connected one: the list puts them first
			if s.Connected {
				p.Form.SessionID = s.ID.String()
				break
			}
		}
	}
	if fragment(c) && status != fiber.StatusOK {
		return httpx.Render(c, status, messages.FormFragment(p))
	}
	return httpx.Render(c, status, messages.New(h.shell(c, "Send a message", layout.NavMessages), p))
}

// sendMessage sends what the form describes, with the file it uploads (message.Service.Send stores
// it once the rest of the form is right), and the browser goes to the message's page to watch it.
func (h *handlers) sendMessage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenantID := auth.TenantID(ctx)
	t, err := h.d.Tenants.Get(ctx, tenantID)
	if err != nil {
		return err
	}
	form := sendForm(c)
	req := sendRequest(c, t, &form)
	if form.Errors.Any() {
		return h.renderMessageForm(c, fiber.StatusUnprocessableEntity, form)
	}
	acc, err := h.d.Messages.Send(ctx, tenantID, req, nil)
	if status, ok := sendError(err, acc.File, &form); ok {
		return h.renderMessageForm(c, status, form)
	} else if err != nil {
		return err
	}
	m := acc.Message
	if m.Status == message.StatusScheduled && m.SendAt != nil {
		h.success(ctx, "Message scheduled for "+m.SendAt.In(location(t)).Format("2 Jan 2006, 15:04 MST")+".")
	} else {
		h.success(ctx, "Message accepted. Its status below changes as WhatsApp reports it.")
	}
	return httpx.Redirect(c, paths.Message(m.ID))
}

// sendForm reads the send form (copies: Fiber reuses its memory).
func sendForm(c *fiber.Ctx) messages.Form {
	v := func(k string) string { return strings.Clone(c.FormValue(k)) }
	return messages.Form{SessionID: v("session_id"), To: v("to"), Kind: v("kind"), Text: v("text"), MediaID: v("media_id"),
		FileName: strings.TrimSpace(v("file_name")), Latitude: strings.TrimSpace(v("latitude")), Longitude: strings.TrimSpace(v("longitude")),
		LocationName: strings.TrimSpace(v("location_name")), LocationAddress: strings.TrimSpace(v("location_address")),
		ContactName: strings.TrimSpace(v("contact_name")), ContactPhone: strings.TrimSpace(v("contact_phone")), SendAt: v("send_at")}
}

// sendRequest builds the service's request from the form: its file is the one chosen (uploaded by
// Send, and kept for the next try when the send is refused), else the one an earlier try uploaded.
// Problems with the form itself are written into it.
func sendRequest(c *fiber.Ctx, t tenant.Tenant, form *messages.Form) message.SendRequest {
	form.Kind = form.KindOrText()
	form.Errors = portalui.Errors{}
	req := message.SendRequest{To: form.To, Text: form.Text}
	if id, err := uuid.Parse(form.SessionID); err == nil {
		req.SessionID = id
	} else {
		form.Errors["session_id"] = "Choose the session to send from."
	}
	if form.SendAt != "" {
		at, err := parseLocalTime(form.SendAt, location(t))
		if err != nil {
			form.Errors["send_at"] = "Enter a date and time, like 2025-03-31 09:30."
		} else {
			req.SendAt = &at
		}
	}
	switch form.Kind {
	case "location":
		req.Text = ""
		req.Location = locationOf(form)
	case "contact":
		req.Text = ""
		req.Contact = contactOf(form, t.DefaultCountry)
	case "text":
	default:
		req.Type, req.FileName = whatsapp.Kind(form.Kind), form.FileName
		if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
			req.File = &message.File{Name: strings.Clone(fh.Filename), Size: fh.Size, Keep: true,
				Open: func() (io.ReadCloser, error) { return fh.Open() }}
		} else if id, err := uuid.Parse(form.MediaID); err == nil {
			req.MediaID = &id
		} else {
			form.MediaID = ""
			form.Errors["file"] = "Choose a file to send."
		}
	}
	return req
}

// fileKindError words a file of another kind than the tab the user chose.
func fileKindError(e *message.KindError) string {
	if e.File == whatsapp.KindDocument {
		return fmt.Sprintf("This file is a document (%s), not %s: choose the Document tab to send it.", e.MIME, message.Article(e.Type))
	}
	return fmt.Sprintf("This file is %s (%s), not %s: choose the %s tab, or Document to send it as a file.",
		message.Article(e.File), e.MIME, message.Article(e.Type), messages.KindLabel(string(e.File)))
}

// sendError turns what Send refused into the form's errors, with the status to answer. file is the
// message's file as Send kept it: the form offers it again.
func sendError(err error, file *message.MediaInfo, form *messages.Form) (int, bool) {
	if err == nil {
		return 0, false
	}
	form.MediaID, form.MediaName, form.MediaSize, form.MediaMIME = "", "", 0, ""
	if file != nil {
		form.MediaID, form.MediaName, form.MediaSize, form.MediaMIME = file.ID.String(), file.FileName, file.Size, file.MIME
	}
	var ke *message.KindError
	var re *media.RefusedError
	var qe *message.QuotaError
	if errors.As(err, &ke) {
		form.Errors["file"] = fileKindError(ke)
		return fiber.StatusUnprocessableEntity, true
	}
	if fe, ok := fieldErrors(err); ok {
		for k, v := range fe {
			if k == "media_id" { // the file an earlier try uploaded is gone (or never was this workspace's)
				v = "Choose a file to send."
			}
			form.Errors[sendField(k)] = v
		}
		return fiber.StatusUnprocessableEntity, true
	}
	switch {
	case errors.As(err, &re):
		form.Errors["file"] = httpx.Sentence(re.Detail)
		if errors.Is(err, media.ErrUnsupportedType) {
			return fiber.StatusUnsupportedMediaType, true
		}
		return fiber.StatusRequestEntityTooLarge, true
	case errors.As(err, &qe):
		form.Error = httpx.Sentence(qe.Error())
		return fiber.StatusTooManyRequests, true
	case errors.Is(err, message.ErrSessionNotPaired):
		form.Errors["session_id"] = httpx.Sentence(err.Error())
		return fiber.StatusConflict, true
	}
	return 0, false
}

// sendField names a field of message.Send's errors as the form does.
func sendField(k string) string {
	switch k {
	case "location.latitude":
		return "latitude"
	case "location.longitude":
		return "longitude"
	case "location.name":
		return "location_name"
	case "location.address":
		return "location_address"
	case "contact.display_name":
		return "contact_name"
	case "contact.vcard", "contact.phone":
		return "contact_phone"
	case "media_id", "type":
		return "file"
	}
	return k
}

// parseLocalTime reads a datetime-local value as a moment of the workspace's time zone.
func parseLocalTime(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{dateTimeLayout, dateTimeLayout + ":05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a datetime-local value")
}

func locationOf(form *messages.Form) *whatsapp.Location {
	l := &whatsapp.Location{Name: form.LocationName, Address: form.LocationAddress}
	var err error
	if l.Latitude, err = strconv.ParseFloat(strings.ReplaceAll(form.Latitude, ",", "."), 64); err != nil {
		form.Errors["latitude"] = "Enter degrees north as a number, like 52.520008 (south is negative)."
	}
	if l.Longitude, err = strconv.ParseFloat(strings.ReplaceAll(form.Longitude, ",", "."), 64); err != nil {
		form.Errors["longitude"] = "Enter degrees east as a number, like 13.404954 (west is negative)."
	}
	return l
}

// contactOf makes the card of the form's name and number (normalised as "to" is).
func contactOf(form *messages.Form, country string) *whatsapp.Contact {
	if form.ContactName == "" {
		form.Errors["contact_name"] = "Enter the name the card shows."
	}
	phone, msg := message.ParsePhone(form.ContactPhone, country)
	if msg != "" {
		form.Errors["contact_phone"] = msg
		return &whatsapp.Contact{DisplayName: form.ContactName}
	}
	return &whatsapp.Contact{DisplayName: form.ContactName, VCard: message.VCard(form.ContactName, phone)}
}

// vCardPhone is the first number on a card, as written in it.
func vCardPhone(card string) string {
	for _, line := range strings.Split(strings.ReplaceAll(card, "\r\n", "\n"), "\n") {
		if strings.HasPrefix(strings.ToUpper(line), "TEL") {
			if i := strings.LastIndexByte(line, ':'); i >= 0 {
				return strings.TrimSpace(line[i+1:])
			}
		}
	}
	return ""
}

func (h *handlers) confirmCancelMessage(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	m, err := h.d.Messages.Get(ctx, auth.TenantID(ctx), id)
	if err != nil {
		return err
	}
	if m.Status != message.StatusScheduled && m.Status != message.StatusQueued {
		h.flash(ctx, components.FlashInfo, "This message can no longer be canceled: it is "+string(m.Status)+".")
		return httpx.Redirect(c, paths.Message(id))
	}
	to := messages.Message{Chat: m.Chat, Phone: m.Phone}.Party()
	cf := portalui.Confirm{Action: paths.MessageAction(id, paths.MessageCancel), CancelURL: paths.Message(id), CSRFToken: h.csrf(ctx),
		TestID: "message-cancel-form", Title: "Cancel the message to " + to + "?", Button: "Cancel message",
		Text:   "It will not be sent, and it no longer counts against today's quota.",
		Detail: "This cannot be undone: to send it after all, send it again."}
	return httpx.Render(c, fiber.StatusOK, messages.Confirm(h.shell(c, "Cancel message", layout.NavMessages), cf))
}

func (h *handlers) cancelMessage(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	_, err = h.d.Messages.Cancel(ctx, auth.TenantID(ctx), id)
	if errors.Is(err, message.ErrNotCancelable) {
		h.flash(ctx, components.FlashWarning, "Too late to cancel: the message is already on its way or done.")
		return httpx.Redirect(c, paths.Message(id))
	} else if err != nil {
		return err
	}
	h.success(ctx, "Message canceled. It will not be sent.")
	return httpx.Redirect(c, paths.Message(id))
}

// recentView is a session page's "recent messages" panel (empty when messaging is not wired).
func (h *handlers) recentView(ctx context.Context, tenantID uuid.UUID, s session.Session) (messages.Recent, error) {
	r := messages.Recent{Frag: messages.Frag{Now: time.Now(), Loc: time.UTC}, SessionID: s.ID, CanSend: s.Status == session.StatusConnected}
	if h.d.Messages == nil {
		return r, nil
	}
	t, err := h.d.Tenants.Get(ctx, tenantID)
	if err != nil {
		return r, err
	}
	r.Loc = location(t)
	page, err := h.d.Messages.List(ctx, tenantID, message.Filter{SessionID: &s.ID, Limit: recentMessages})
	if err != nil {
		return r, err
	}
	names := map[uuid.UUID]string{s.ID: s.Name}
	for _, m := range page.Messages {
		r.Messages = append(r.Messages, messageView(m, names))
	}
	return r, nil
}

func (h *handlers) sessionNames(ctx context.Context, tenantID uuid.UUID) (map[uuid.UUID]string, error) {
	list, err := h.d.Sessions.List(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return sessionNames(list), nil
}

func sessionNames(list []session.Session) map[uuid.UUID]string {
	names := make(map[uuid.UUID]string, len(list))
	for _, s := range list {
		names[s.ID] = s.Name
	}
	return names
}

// sessionOptions are the sessions for a select: connected ones first, then by name.
func sessionOptions(list []session.Session) []messages.SessionOption {
	out := make([]messages.SessionOption, 0, len(list))
	for _, s := range list {
		out = append(out, messages.SessionOption{ID: s.ID, Name: s.Name, Status: s.Status, Phone: s.Phone,
			Connected: s.Status == session.StatusConnected})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Connected != out[j].Connected {
			return out[i].Connected
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out
}

// messageView is a message as the pages show it.
func messageView(m message.Message, sessionNames map[uuid.UUID]string) messages.Message {
	v := messages.Message{ID: m.ID, SessionID: m.SessionID, SessionName: sessionNames[m.SessionID], Direction: string(m.Direction),
		Chat: m.Chat, Phone: m.Phone, Sender: m.Sender, SenderAlt: m.SenderAlt, PushName: m.PushName, FromMe: m.FromMe,
		Kind: string(m.Kind), Text: m.Text, HasMedia: m.MediaID != nil, FileName: m.FileName, VoiceNote: m.VoiceNote,
		ReplyTo: m.ReplyTo, WAID: m.WAID, Queue: m.Queue, Status: string(m.Status), ErrorCode: m.ErrorCode,
		ErrorReason: m.ErrorReason, Attempts: m.Attempts, Reaction: m.Reaction, SendAt: m.SendAt, ExpiresAt: m.ExpiresAt,
		QueuedAt: m.QueuedAt, SentAt: m.SentAt, DeliveredAt: m.DeliveredAt, ReadAt: m.ReadAt, FailedAt: m.FailedAt,
		EditedAt: m.EditedAt, RevokedAt: m.RevokedAt, Created: m.CreatedAt, Updated: m.UpdatedAt}
	if l := m.Location; l != nil {
		v.Location = &messages.Location{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
	}
	if ct := m.Contact; ct != nil {
		v.Contact = &messages.Contact{Name: ct.DisplayName, Phone: vCardPhone(ct.VCard)}
	}
	return v
}

func timelineView(steps []message.Step) []messages.Step {
	out := make([]messages.Step, 0, len(steps))
	for _, s := range steps {
		out = append(out, messages.Step{Status: string(s.Status), Type: s.Type, Detail: s.Detail, At: s.At})
	}
	return out
}

// location is the workspace's time zone (UTC when its name is unknown here).
func location(t tenant.Tenant) *time.Location {
	loc, err := time.LoadLocation(t.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// messageEvents is the tenant's live message updates for htmx's SSE extension. For each outbox
// event of the caller's tenant it re-renders the message's log row (event messages.RowID); for the
// message whose page is open (?message=) its status panel and timeline; and for a message created
// after the page was made (?since=, Unix ms) its row as messages.NewEvent and the "new messages"
// notice. Each stream first sends the current state of what its page shows (the rows of the page
// its filters and cursor name, or the open message), so changes between the page load (or the last
// stream) and now are not lost. Streams end as the session stream's do (events.go).
func (h *handlers) messageEvents(c *fiber.Ctx) error {
	if h.d.Feed == nil || h.d.Messages == nil {
		return c.SendStatus(fiber.StatusNoContent) // EventSource does not reconnect after a 204
	}
	ctx := c.UserContext()
	tenantID := auth.TenantID(ctx)
	t, err := h.d.Tenants.Get(ctx, tenantID)
	if err != nil {
		return err
	}
	st := &messageStream{h: h, tenantID: tenantID, loc: location(t), page: messageFilterForm(c)}
	if ms, err := strconv.ParseInt(c.Query("since"), 10, 64); err == nil && ms > 0 {
		since := time.UnixMilli(ms)
		st.since = &since
	}
	if id, err := uuid.Parse(c.Query("message")); err == nil {
		st.watch = &id
	}
	return serveEvents(c, h.d.Streams, eventStream[outbox.Event]{tenantID: tenantID,
		subscribe: func(ctx context.Context) (<-chan outbox.Event, error) { return h.d.Feed.Subscribe(ctx, tenantID), nil },
		tenantOf:  func(e outbox.Event) uuid.UUID { return e.TenantID },
		snapshot:  st.snapshot, event: st.event})
}

// messageStream is one browser's message stream.
type messageStream struct {
	h        *handlers
	tenantID uuid.UUID
	loc      *time.Location
	page     messages.Filter // the log page's filters and cursor
	since    *time.Time      // messages created later are new to the page
	watch    *uuid.UUID      // the message whose page is open
	names    map[uuid.UUID]string
}

// event sends the fragments of the message e names.
func (st *messageStream) event(ctx context.Context, w *bufio.Writer, e outbox.Event) error {
	if e.MessageID == nil {
		return nil
	}
	m, err := st.h.d.Messages.Get(ctx, st.tenantID, *e.MessageID)
	if errors.Is(err, message.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return st.write(ctx, w, m)
}

// snapshot sends what the page shows as it is now.
func (st *messageStream) snapshot(ctx context.Context, w *bufio.Writer) error {
	if err := st.loadNames(ctx); err != nil {
		return err
	}
	if st.watch != nil {
		m, err := st.h.d.Messages.Get(ctx, st.tenantID, *st.watch)
		if errors.Is(err, message.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return st.write(ctx, w, m)
	}
	if st.since == nil {
		return nil
	}
	f, errs := messageFilter(st.page, st.loc)
	if errs.Any() {
		return nil
	}
	page, err := st.h.d.Messages.List(ctx, st.tenantID, f)
	if _, ok := fieldErrors(err); ok {
		return nil
	} else if err != nil {
		return err
	}
	fresh, err := st.h.d.Messages.List(ctx, st.tenantID, message.Filter{Since: st.since, Limit: messagePageSize})
	if err != nil {
		return err
	}
	// Oldest first, so that prepending leaves the newest on top.
	all := make([]message.Message, 0, len(page.Messages)+len(fresh.Messages))
	all = append(append(all, page.Messages...), fresh.Messages...)
	for i := len(all) - 1; i >= 0; i-- {
		if err := st.write(ctx, w, all[i]); err != nil {
			return err
		}
	}
	return nil
}

// write sends the fragments of m that the stream's page may show.
func (st *messageStream) write(ctx context.Context, w *bufio.Writer, m message.Message) error {
	if _, ok := st.names[m.SessionID]; !ok {
		if err := st.loadNames(ctx); err != nil { // a session created since the stream began
			return err
		}
	}
	f := messages.Frag{Now: time.Now(), Loc: st.loc}
	v := messageView(m, st.names)
	writeEvent(ctx, w, messages.RowID(m.ID), messages.Row(v, f))
	if st.since != nil && !m.CreatedAt.Before(*st.since) {
		writeEvent(ctx, w, messages.NewEvent, messages.Row(v, f))
		writeEvent(ctx, w, messages.NoticeEvent, messages.Notice())
	}
	if st.watch != nil && *st.watch == m.ID {
		steps, err := st.h.d.Messages.Timeline(ctx, st.tenantID, m.ID)
		if err != nil && !errors.Is(err, message.ErrNotFound) {
			return err
		}
		writeEvent(ctx, w, messages.StatusID(m.ID), messages.StatusPanel(v, f))
		writeEvent(ctx, w, messages.TimelineID(m.ID), messages.Timeline(timelineView(steps), f))
	}
	return nil
}

func (st *messageStream) loadNames(ctx context.Context) error {
	names, err := st.h.sessionNames(ctx, st.tenantID)
	if err != nil {
		return err
	}
	st.names = names
	return nil
}
