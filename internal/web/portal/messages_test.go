package portal_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/web/webtest"
)

// connectSession creates a session for tenantID and links it on the simulator, as a user scanning
// its QR code would; it returns once the session host has it connected. Needs Opts.SessionHost.
func connectSession(t *testing.T, e *webtest.Env, tenantID uuid.UUID, name, phone string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	s, err := e.Services.Sessions.Create(ctx, tenantID, name)
	require.NoError(t, err)
	_, err = e.Services.Sessions.RequestPair(ctx, tenantID, s.ID, "")
	require.NoError(t, err)
	dbtest.WaitFor(t, 15*time.Second, "the QR pairing to start", func() bool { return e.Simulator.Scan(ctx, s.ID, phone) == nil })
	dbtest.WaitFor(t, 15*time.Second, "the session to connect", func() bool {
		got, err := e.Services.Sessions.Get(ctx, tenantID, s.ID)
		return err == nil && got.Status == "connected"
	})
	return s.ID
}

// scheduled sends a text through the service an hour ahead, so that it stays put while a test looks.
func scheduled(t *testing.T, e *webtest.Env, tenantID, sessionID uuid.UUID, to, text string) message.Message {
	t.Helper()
	later := time.Now().Add(time.Hour)
	acc, err := e.Services.Messages.Send(context.Background(), tenantID,
		message.SendRequest{SessionID: sessionID, To: to, Text: text, SendAt: &later}, nil)
	require.NoError(t, err)
	return acc.Message
}

// send sends a text through the service, now.
func send(t *testing.T, e *webtest.Env, tenantID, sessionID uuid.UUID, to, text string) message.Message {
	t.Helper()
	acc, err := e.Services.Messages.Send(context.Background(), tenantID, message.SendRequest{SessionID: sessionID, To: to, Text: text}, nil)
	require.NoError(t, err)
	return acc.Message
}

// pngBytes is a generated PNG of w×h pixels: a gradient with some noise, so that its size grows
// with its area (a plain gradient compresses to almost nothing).
func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rnd := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{R: uint8(x * 255 / w), G: 120 + uint8(rnd.IntN(40)), B: uint8(y * 255 / h), A: 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// upload is a file part of a multipart form.
type upload struct {
	name string
	data []byte
}

// postMultipart submits a multipart form (as the send form does) with the CSRF token; htmx sends it
// as htmx does.
func postMultipart(t *testing.T, e *webtest.Env, b *webtest.Browser, path string, form url.Values, file *upload, htmx bool) *webtest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			require.NoError(t, mw.WriteField(k, v))
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", file.name)
		require.NoError(t, err)
		_, err = fw.Write(file.data)
		require.NoError(t, err)
	}
	csrf := b.CSRF()
	if !htmx {
		require.NoError(t, mw.WriteField("_csrf", csrf))
	}
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, e.URL()+path, &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", csrf)
	}
	return b.Do(req)
}

// formErrors are the errors a page shows, by data-testid.
func formErrors(t *testing.T, r *webtest.Response) map[string]string {
	t.Helper()
	out := map[string]string{}
	r.Doc(t).Find(`[data-testid^="error-"], [data-testid="message-form-error"]`).Each(func(_ int, s *goquery.Selection) {
		out[s.AttrOr("data-testid", "")] = strings.TrimSpace(s.Text())
	})
	return out
}

// messageID is the id of the message page a response redirects to.
func messageID(t *testing.T, r *webtest.Response) uuid.UUID {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, r.StatusCode, "%v", formErrors(t, r))
	loc := r.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, "/app/messages/"), loc)
	return uuid.MustParse(strings.TrimPrefix(loc, "/app/messages/"))
}

// rowIDs are the ids of the log's rows, in order.
func rowIDs(t *testing.T, r *webtest.Response) []string {
	t.Helper()
	var ids []string
	for _, n := range r.Doc(t).Find(`[data-testid="message-row"]`).Nodes {
		for _, a := range n.Attr {
			if a.Key == "data-id" {
				ids = append(ids, a.Val)
			}
		}
	}
	return ids
}

func TestMessages_EmptyStates(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Alpha")
	b := logIn(t, e, w.member.Email, w.memberPW)

	r := b.Get("/app/messages")
	requireStatus(t, http.StatusOK, r)
	require.Equal(t, "Messages", r.TestID(t, "page-title"))
	require.Equal(t, "page", r.Doc(t).Find(`[data-testid="nav-messages"]`).AttrOr("aria-current", ""), "Messages is the active nav item")
	require.Contains(t, r.TestID(t, "empty-state"), "No sessions yet")
	require.Equal(t, "/app/sessions", attr(t, r, "messages-empty-sessions", "href"))
	require.Empty(t, r.Doc(t).Find(`[data-testid="messages-new"]`).Nodes, "nothing to send through yet")

	r = b.Get("/app/messages/new")
	requireStatus(t, http.StatusOK, r)
	require.Equal(t, "Send a message", r.TestID(t, "page-title"))
	require.Equal(t, "/app/sessions", attr(t, r, "send-empty-sessions", "href"))

	// With a session (not paired yet) the log invites to send, and the form offers it disabled.
	s, err := e.Services.Sessions.Create(context.Background(), w.owner.TenantID, "Sales line")
	require.NoError(t, err)
	r = b.Get("/app/messages")
	require.Contains(t, r.TestID(t, "empty-state"), "No messages yet")
	require.Equal(t, "/app/messages/new", attr(t, r, "messages-empty-send", "href"))
	r = b.Get("/app/messages/new")
	opt := r.Doc(t).Find(`[data-testid="send-session"] option[value="` + s.ID.String() + `"]`)
	require.Equal(t, 1, opt.Length())
	_, disabled := opt.Attr("disabled")
	require.True(t, disabled, "a session that is not connected cannot be chosen")
	require.Contains(t, opt.Text(), "new")
	_, disabled = r.Doc(t).Find(`[data-testid="send-submit"]`).Attr("disabled")
	require.True(t, disabled, "no connected session: nothing to send with")

	// A message id that exists nowhere, or is no id at all, is a page that does not exist.
	requireStatus(t, http.StatusNotFound, b.Get("/app/messages/"+uuid.NewString()))
	requireStatus(t, http.StatusNotFound, b.Get("/app/messages/not-an-id"))
	requireStatus(t, http.StatusNotFound, b.Post("/app/messages/"+uuid.NewString()+"/cancel", nil))
}

func TestMessages_SendFromThePortal(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, &webtest.Opts{SessionHost: true})
	w := newWorkspace(t, e, "Alpha")
	ctx := context.Background()
	_, err := e.Pool.Exec(ctx, "UPDATE tenants SET timezone = 'Europe/Berlin', default_country = 'DE' WHERE id = $1", w.owner.TenantID)
	require.NoError(t, err)
	sid := connectSession(t, e, w.owner.TenantID, "Sales line", "4915111111101")
	idle, err := e.Services.Sessions.Create(ctx, w.owner.TenantID, "Spare line")
	require.NoError(t, err)
	b := logIn(t, e, w.member.Email, w.memberPW)
	later := time.Now().In(mustLoc(t, "Europe/Berlin")).Add(2 * time.Hour).Truncate(time.Minute)

	t.Run("Form", func(t *testing.T) {
		r := b.Get("/app/messages/new")
		requireStatus(t, http.StatusOK, r)
		doc := r.Doc(t)
		opts := doc.Find(`[data-testid="send-session"] option`)
		require.Equal(t, 2, opts.Length())
		require.Equal(t, sid.String(), opts.First().AttrOr("value", ""), "connected sessions first")
		_, sel := opts.First().Attr("selected")
		require.True(t, sel, "the connected session is chosen")
		_, dis := doc.Find(`[data-testid="send-session"] option[value="` + idle.ID.String() + `"]`).Attr("disabled")
		require.True(t, dis)
		require.Equal(t, "Europe/Berlin", r.TestID(t, "send-timezone"))
		require.Equal(t, 7, doc.Find(`[data-testid="send-kinds"] input[name="kind"]`).Length())
		require.Equal(t, "multipart/form-data", doc.Find(`[data-testid="message-form"]`).AttrOr("enctype", ""))

		// The session page's button opens the form with that session and the "to" of a reply.
		r = b.Get("/app/messages/new?session=" + idle.ID.String() + "&to=%2B4915123456789")
		_, sel = r.Doc(t).Find(`[data-testid="send-session"] option[value="` + idle.ID.String() + `"]`).Attr("selected")
		require.True(t, sel)
		require.Equal(t, "+4915123456789", value(t, r, "send-to"))
	})

	var textID uuid.UUID
	t.Run("ScheduledText", func(t *testing.T) {
		r := postMultipart(t, e, b, "/app/messages", url.Values{"session_id": {sid.String()}, "to": {"0151 23456789"},
			"kind": {"text"}, "text": {"Hello from the portal"}, "send_at": {later.Format("2006-01-02T15:04")}}, nil, false)
		textID = messageID(t, r)
		page := b.Get("/app/messages/" + textID.String())
		requireStatus(t, http.StatusOK, page)
		require.Contains(t, page.TestID(t, "flash"), "scheduled for")
		require.Equal(t, "Message to +4915123456789", page.TestID(t, "page-title"), "read with the workspace's country")
		require.Equal(t, "scheduled", attr(t, page, "message-status", "data-status"))
		require.Equal(t, "Hello from the portal", page.TestID(t, "message-text"))
		require.Equal(t, later.Format("2 Jan 2006, 15:04:05 MST"), page.TestID(t, "detail-send-at"), "read in the workspace's time zone")
		require.Equal(t, "/app/messages/"+textID.String()+"/cancel", attr(t, page, "message-cancel", "href"))
		require.NotEmpty(t, page.Doc(t).Find(`[data-testid="timeline-item"][data-status="scheduled"]`).Nodes)
		require.Equal(t, "done", attr(t, page, "progress-step", "data-state"), "scheduled is reached")
		require.Equal(t, "/app/messages/events?message="+textID.String(), attr(t, page, "message-live", "sse-connect"))

		m, err := e.Services.Messages.Get(ctx, w.owner.TenantID, textID)
		require.NoError(t, err)
		require.True(t, m.SendAt.Equal(later), "send_at %s, want %s", m.SendAt, later)
	})

	t.Run("Cancel", func(t *testing.T) {
		r := b.Get("/app/messages/" + textID.String() + "/cancel")
		requireStatus(t, http.StatusOK, r)
		require.Contains(t, r.TestID(t, "page-title"), "Cancel the message to +4915123456789")
		r = b.Post("/app/messages/"+textID.String()+"/cancel", nil)
		requireRedirect(t, "/app/messages/"+textID.String(), r)
		page := b.Get("/app/messages/" + textID.String())
		require.Equal(t, "canceled", attr(t, page, "message-status", "data-status"))
		require.Contains(t, page.TestID(t, "flash"), "canceled")
		require.Empty(t, page.Doc(t).Find(`[data-testid="message-cancel"]`).Nodes, "nothing left to cancel")
		require.NotEmpty(t, page.Doc(t).Find(`[data-testid="timeline-item"][data-status="canceled"]`).Nodes)

		// Too late now: both routes say so instead of failing.
		requireRedirect(t, "/app/messages/"+textID.String(), b.Get("/app/messages/"+textID.String()+"/cancel"))
		requireRedirect(t, "/app/messages/"+textID.String(), b.Post("/app/messages/"+textID.String()+"/cancel", nil))
		require.Contains(t, b.Get("/app/messages/"+textID.String()).TestID(t, "flash"), "Too late")
	})

	t.Run("Validation", func(t *testing.T) {
		base := url.Values{"session_id": {sid.String()}, "to": {"+49 151 23456789"}, "kind": {"text"}, "text": {"Hi"}}
		with := func(kv ...string) url.Values {
			v := url.Values{}
			for k, vs := range base {
				v[k] = append([]string(nil), vs...)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		cases := []struct {
			name   string
			form   url.Values
			field  string
			status int
		}{
			{"NoRecipient", with("to", ""), "to", http.StatusUnprocessableEntity},
			{"BadRecipient", with("to", "12"), "to", http.StatusUnprocessableEntity},
			{"NoText", with("text", "  "), "text", http.StatusUnprocessableEntity},
			{"NoSession", with("session_id", ""), "session_id", http.StatusUnprocessableEntity},
			{"OtherSession", with("session_id", uuid.NewString()), "session_id", http.StatusUnprocessableEntity},
			{"UnpairedSession", with("session_id", idle.ID.String()), "session_id", http.StatusConflict},
			{"BadTime", with("send_at", "tomorrow"), "send_at", http.StatusUnprocessableEntity},
			{"TooFarAhead", with("send_at", time.Now().AddDate(2, 0, 0).Format("2006-01-02T15:04")), "send_at", http.StatusUnprocessableEntity},
			{"BadLatitude", with("kind", "location", "latitude", "north", "longitude", "13.4"), "latitude", http.StatusUnprocessableEntity},
			{"LatitudeOutOfRange", with("kind", "location", "latitude", "91", "longitude", "13.4"), "latitude", http.StatusUnprocessableEntity},
			{"ContactWithoutPhone", with("kind", "contact", "contact_name", "Ada"), "contact_phone", http.StatusUnprocessableEntity},
			{"ContactWithoutName", with("kind", "contact", "contact_phone", "+44 20 7946 0958"), "contact_name", http.StatusUnprocessableEntity},
			{"ImageWithoutFile", with("kind", "image"), "file", http.StatusUnprocessableEntity},
		}
		before := countMessages(t, e, w.owner.TenantID)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := postMultipart(t, e, b, "/app/messages", tc.form, nil, false)
				requireStatus(t, tc.status, r)
				require.NotEmpty(t, r.TestID(t, "error-"+tc.field), "the error is shown at %s", tc.field)
				require.Equal(t, 1, r.Doc(t).Find(`[data-testid="portal-shell"]`).Length(), "a whole page without htmx")
				// What was typed comes back.
				require.Equal(t, tc.form.Get("to"), value(t, r, "send-to"))
				require.Equal(t, tc.form.Get("kind"), r.Doc(t).Find(`input[name="kind"][checked]`).AttrOr("value", ""))
			})
		}
		require.Equal(t, before, countMessages(t, e, w.owner.TenantID), "nothing was accepted")

		// With htmx the form alone comes back, to be swapped in place.
		r := postMultipart(t, e, b, "/app/messages", with("to", ""), nil, true)
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.Empty(t, r.Doc(t).Find(`[data-testid="portal-shell"]`).Nodes)
		require.Equal(t, "message-form", r.Doc(t).Find(`form`).First().AttrOr("id", ""))
		require.NotEmpty(t, r.TestID(t, "error-to"))
	})

	t.Run("Location", func(t *testing.T) {
		r := postMultipart(t, e, b, "/app/messages", url.Values{"session_id": {sid.String()}, "to": {"+49 151 23456788"}, "kind": {"location"},
			"latitude": {"52,520008"}, "longitude": {"13.404954"}, "location_name": {"Alexanderplatz"}, "send_at": {later.Format("2006-01-02T15:04")}},
			nil, false)
		page := b.Get("/app/messages/" + messageID(t, r).String())
		require.Contains(t, page.TestID(t, "message-location"), "Alexanderplatz")
		require.Contains(t, page.TestID(t, "message-location"), "52.520008, 13.404954")
		require.Contains(t, attr(t, page, "message-location", "href"), "openstreetmap.org/?mlat=52.520008&mlon=13.404954")
	})

	t.Run("Contact", func(t *testing.T) {
		r := postMultipart(t, e, b, "/app/messages", url.Values{"session_id": {sid.String()}, "to": {"+49 151 23456788"}, "kind": {"contact"},
			"contact_name": {"Ada Lovelace"}, "contact_phone": {"030 12345678"}, "text": {"ignored"}, "send_at": {later.Format("2006-01-02T15:04")}},
			nil, false)
		id := messageID(t, r)
		page := b.Get("/app/messages/" + id.String())
		require.Contains(t, page.TestID(t, "message-contact"), "Ada Lovelace")
		m, err := e.Services.Messages.Get(ctx, w.owner.TenantID, id)
		require.NoError(t, err)
		require.Equal(t, "Ada Lovelace", m.Contact.DisplayName)
		require.Contains(t, m.Contact.VCard, "waid=493012345678", "the number read with the workspace's country (DE)")
		require.Empty(t, m.Text, "a contact card carries no text")
	})

	t.Run("Image", func(t *testing.T) {
		img := pngBytes(t, 64, 48)
		r := postMultipart(t, e, b, "/app/messages", url.Values{"session_id": {sid.String()}, "to": {"+49 151 23456787"}, "kind": {"image"},
			"text": {"Our new shop"}, "send_at": {later.Format("2006-01-02T15:04")}}, &upload{"shop.png", img}, false)
		id := messageID(t, r)
		page := b.Get("/app/messages/" + id.String())
		require.Equal(t, "image", attr(t, page, "message-media", "data-kind"))
		require.Equal(t, "Our new shop", page.TestID(t, "message-text"))
		require.Equal(t, "shop.png", page.TestID(t, "media-name"))
		src := attr(t, page, "media-image", "src")
		require.NotEmpty(t, src)
		// The signed link serves the very bytes.
		u, err := url.Parse(src)
		require.NoError(t, err)
		got := e.NewBrowser().Get(u.RequestURI())
		requireStatus(t, http.StatusOK, got)
		require.Equal(t, "image/png", got.Header.Get("Content-Type"))
		require.Equal(t, string(img), got.Body)
	})

	t.Run("Document", func(t *testing.T) {
		r := postMultipart(t, e, b, "/app/messages", url.Values{"session_id": {sid.String()}, "to": {"+49 151 23456787"}, "kind": {"document"},
			"file_name": {"floor-plan.png"}, "send_at": {later.Format("2006-01-02T15:04")}}, &upload{"plan.png", pngBytes(t, 8, 8)}, false)
		id := messageID(t, r)
		m, err := e.Services.Messages.Get(ctx, w.owner.TenantID, id)
		require.NoError(t, err)
		require.Equal(t, "document", string(m.Kind), "an image sent from the Document tab goes as a file")
		page := b.Get("/app/messages/" + id.String())
		require.Equal(t, "floor-plan.png", page.TestID(t, "detail-file-name"))
		require.NotEmpty(t, attr(t, page, "media-download", "href"))
		require.Empty(t, page.Doc(t).Find(`[data-testid="media-image"]`).Nodes, "documents are offered as a download")
	})

	t.Run("FileOfAnotherKind", func(t *testing.T) {
		before := countMessages(t, e, w.owner.TenantID)
		r := postMultipart(t, e, b, "/app/messages", url.Values{"session_id": {sid.String()}, "to": {"+49 151 23456787"}, "kind": {"video"}},
			&upload{"clip.png", pngBytes(t, 8, 8)}, false)
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.Contains(t, r.TestID(t, "error-file"), "an image")
		// The upload is kept: the next try need not choose it again.
		mediaID := r.Doc(t).Find(`input[name="media_id"]`).AttrOr("value", "")
		require.NotEmpty(t, mediaID)
		require.Contains(t, r.TestID(t, "send-uploaded"), "clip.png")
		r = postMultipart(t, e, b, "/app/messages", url.Values{"session_id": {sid.String()}, "to": {"+49 151 23456787"}, "kind": {"image"},
			"media_id": {mediaID}, "send_at": {later.Format("2006-01-02T15:04")}}, nil, false)
		m, err := e.Services.Messages.Get(ctx, w.owner.TenantID, messageID(t, r))
		require.NoError(t, err)
		require.Equal(t, mediaID, m.MediaID.String())
		require.Equal(t, before+1, countMessages(t, e, w.owner.TenantID))
	})

	t.Run("RefusedFiles", func(t *testing.T) {
		before := countMessages(t, e, w.owner.TenantID)
		var media int
		require.NoError(t, e.Pool.QueryRow(ctx, "SELECT count(*) FROM media WHERE tenant_id = $1", w.owner.TenantID).Scan(&media))
		form := url.Values{"session_id": {sid.String()}, "to": {"+49 151 23456787"}, "kind": {"image"}}
		r := postMultipart(t, e, b, "/app/messages", form, &upload{"page.png", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")}, false)
		require.Equal(t, http.StatusUnsupportedMediaType, r.StatusCode, "%v", formErrors(t, r))
		require.NotEmpty(t, r.TestID(t, "error-file"))
		// htmx swaps the form for these too (static/src/js/messages.js lets 413 and 415 through).
		r = postMultipart(t, e, b, "/app/messages", form, &upload{"page.png", []byte("<!DOCTYPE html><html><body>again</body></html>")}, true)
		requireStatus(t, http.StatusUnsupportedMediaType, r)
		require.Equal(t, "message-form", r.Doc(t).Find(`form`).First().AttrOr("id", ""))

		_, err := e.Pool.Exec(ctx, "UPDATE plans SET max_media_bytes = 1024 WHERE id = (SELECT plan_id FROM tenants WHERE id = $1)", w.owner.TenantID)
		require.NoError(t, err)
		r = postMultipart(t, e, b, "/app/messages", form, &upload{"big.png", pngBytes(t, 200, 200)}, false)
		requireStatus(t, http.StatusRequestEntityTooLarge, r)
		require.Contains(t, r.TestID(t, "error-file"), "1 KiB")
		require.Equal(t, "1 KB", r.TestID(t, "send-max-media"))

		require.Equal(t, before, countMessages(t, e, w.owner.TenantID))
		var after int
		require.NoError(t, e.Pool.QueryRow(ctx, "SELECT count(*) FROM media WHERE tenant_id = $1", w.owner.TenantID).Scan(&after))
		require.Equal(t, media, after, "refused files are not stored")
	})

	t.Run("Quota", func(t *testing.T) {
		_, err := e.Pool.Exec(ctx, "UPDATE plans SET messages_per_day = 1 WHERE id = (SELECT plan_id FROM tenants WHERE id = $1)", w.owner.TenantID)
		require.NoError(t, err)
		r := postMultipart(t, e, b, "/app/messages", url.Values{"session_id": {sid.String()}, "to": {"+49 151 23456787"}, "kind": {"text"},
			"text": {"One too many"}}, nil, false)
		requireStatus(t, http.StatusTooManyRequests, r)
		require.Contains(t, r.TestID(t, "message-form-error"), "Daily message quota of 1 reached")
		require.Equal(t, "One too many", r.TestID(t, "send-text"))
	})
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func countMessages(t *testing.T, e *webtest.Env, tenantID uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, e.Pool.QueryRow(context.Background(), "SELECT count(*) FROM messages WHERE tenant_id = $1", tenantID).Scan(&n))
	return n
}

func TestMessages_Log(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Alpha")
	ctx := context.Background()
	_, err := e.Pool.Exec(ctx, "UPDATE plans SET messages_per_day = 10000, max_sessions = 5")
	require.NoError(t, err)
	_, err = e.Pool.Exec(ctx, "UPDATE tenants SET default_country = 'DE' WHERE id = $1", w.owner.TenantID)
	require.NoError(t, err)
	s1 := pairedSession(t, e, w.owner.TenantID, "Line one", "4915111111201")
	s2 := pairedSession(t, e, w.owner.TenantID, "Line two", "4915111111202")
	var ids []string // newest first
	for i := range 57 {
		sess, to := s1, "+49 151 23456789"
		if i%3 == 0 {
			sess, to = s2, "+49 151 23456780"
		}
		m := scheduled(t, e, w.owner.TenantID, sess, to, fmt.Sprintf("Message number %d with a text long enough to be cut short in the table of the log, surely", i))
		ids = append([]string{m.ID.String()}, ids...)
	}
	b := logIn(t, e, w.member.Email, w.memberPW)

	t.Run("Pages", func(t *testing.T) {
		r := b.Get("/app/messages")
		requireStatus(t, http.StatusOK, r)
		require.Equal(t, ids[:50], rowIDs(t, r), "newest first, 50 a page")
		first := r.Doc(t).Find(`[data-testid="message-row"]`).First()
		require.Equal(t, "+4915123456789", strings.TrimSpace(first.Find(`[data-testid="message-party"]`).Text()))
		require.Equal(t, "Line one", strings.TrimSpace(first.Find(`[data-testid="message-session"]`).Text()))
		require.Equal(t, "scheduled", first.Find(`[data-testid="message-status"]`).AttrOr("data-status", ""))
		require.Equal(t, "out", first.Find(`[data-testid="message-direction"]`).AttrOr("data-direction", ""))
		preview := strings.TrimSpace(first.Find(`[data-testid="message-preview"]`).Text())
		require.True(t, strings.HasPrefix(preview, "Message number 56 with"), preview)
		require.True(t, strings.HasSuffix(preview, "…"), "long texts are cut: %q", preview)
		// The first page without filters prepends new messages; its stream knows the page.
		require.Equal(t, "message-new", r.Doc(t).Find(`[data-testid="messages-body"]`).AttrOr("sse-swap", ""))
		stream := attr(t, r, "message-results", "sse-connect")
		require.True(t, strings.HasPrefix(stream, "/app/messages/events?since="), stream)

		older := attr(t, r, "messages-older", "href")
		require.Equal(t, "/app/messages?cursor="+ids[49], older)
		r = b.Get(older)
		require.Equal(t, ids[50:], rowIDs(t, r))
		require.Empty(t, r.Doc(t).Find(`[data-testid="messages-older"]`).Nodes, "the last page")
		require.Equal(t, "/app/messages", attr(t, r, "messages-newest", "href"))
		require.Empty(t, r.Doc(t).Find(`[data-testid="messages-body"][sse-swap]`).Nodes, "older pages show a notice instead")
		require.Equal(t, 1, r.Doc(t).Find(`[data-testid="message-notice-slot"]`).Length())
	})

	t.Run("Filters", func(t *testing.T) {
		count := func(q string) int {
			t.Helper()
			r := b.Get("/app/messages?" + q)
			requireStatus(t, http.StatusOK, r)
			return len(rowIDs(t, r))
		}
		require.Equal(t, 19, count("session="+s2.String()))
		require.Equal(t, 19, count("number=0151+23456780"), "numbers are read with the workspace's country")
		require.Equal(t, 38, count("session="+s1.String()+"&number=%2B4915123456789"))
		require.Equal(t, 50, count("status=scheduled"))
		require.Equal(t, 0, count("status=read"))
		require.Equal(t, 0, count("direction=in"))
		today := time.Now().UTC().Format("2006-01-02")
		require.Equal(t, 50, count("from="+today+"&to="+today))
		require.Equal(t, 0, count("to="+time.Now().UTC().AddDate(0, 0, -2).Format("2006-01-02")))

		// The filters stay filled in and paging keeps them.
		r := b.Get("/app/messages?session=" + s1.String() + "&direction=out")
		requireStatus(t, http.StatusOK, r)
		doc := r.Doc(t)
		require.Equal(t, s1.String(), doc.Find(`[data-testid="filter-session"] option[selected]`).AttrOr("value", ""))
		require.Equal(t, "out", doc.Find(`[data-testid="filter-direction"] option[selected]`).AttrOr("value", ""))
		r = b.Get("/app/messages?direction=out&status=scheduled")
		doc = r.Doc(t)
		older, _ := url.Parse(attr(t, r, "messages-older", "href"))
		require.Equal(t, url.Values{"direction": {"out"}, "status": {"scheduled"}, "cursor": {ids[49]}}, older.Query())
		require.Equal(t, "/app/messages", attr(t, r, "filter-clear", "href"))
		require.Equal(t, "message-notice", doc.Find(`[data-testid="message-notice-slot"]`).AttrOr("sse-swap", ""),
			"a filtered page shows a notice rather than rows that might not match")

		// Nonsense comes back as errors at the filter, not as an error page.
		for q, field := range map[string]string{"number=12": "number", "status=lost": "status", "from=yesterday": "from",
			"from=2025-03-02&to=2025-03-01": "to", "session=nope": "session", "cursor=nope": "cursor"} {
			r := b.Get("/app/messages?" + q)
			requireStatus(t, http.StatusUnprocessableEntity, r)
			require.NotEmpty(t, r.TestID(t, "error-"+field), q)
		}

		// htmx asks for the results alone.
		req, _ := http.NewRequest(http.MethodGet, e.URL()+"/app/messages?session="+s2.String(), nil)
		req.Header.Set("HX-Request", "true")
		r = b.Do(req)
		requireStatus(t, http.StatusOK, r)
		require.Empty(t, r.Doc(t).Find(`[data-testid="portal-shell"]`).Nodes)
		require.Len(t, rowIDs(t, r), 19)
		require.Contains(t, attr(t, r, "message-results", "sse-connect"), "session="+s2.String())
	})

	t.Run("SessionPage", func(t *testing.T) {
		r := b.Get("/app/sessions/" + s2.String())
		requireStatus(t, http.StatusOK, r)
		doc := r.Doc(t)
		require.Equal(t, 10, doc.Find(`[data-testid="recent-item"]`).Length())
		require.Equal(t, ids[2], doc.Find(`[data-testid="recent-item"]`).First().AttrOr("data-id", ""), "the session's newest first")
		require.Equal(t, "/app/messages?session="+s2.String(), attr(t, r, "recent-all", "href"))
		require.Equal(t, "/app/messages/new?session="+s2.String(), attr(t, r, "recent-send", "href"))

		idle, err := e.Services.Sessions.Create(ctx, w.owner.TenantID, "Idle")
		require.NoError(t, err)
		r = b.Get("/app/sessions/" + idle.ID.String())
		require.Equal(t, "No messages through this session yet.", r.TestID(t, "recent-empty"))
	})
}

// openMessageStream opens a message stream for b and returns its events; it waits until the stream has
// sent its snapshot (the first comment comes before it).
func openMessageStream(t *testing.T, e *webtest.Env, b *webtest.Browser, query string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.URL()+"/app/messages/events?"+query, nil)
	resp, err := b.Client.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	out := make(chan sseEvent, 256)
	ready := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == ": connected":
				close(ready)
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ") + "\n"
			case line == "" && ev.name != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not start")
	}
	return out
}

// collect reads events until d has passed.
func collect(events <-chan sseEvent, d time.Duration) []sseEvent {
	var got []sseEvent
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return got
			}
			got = append(got, ev)
		case <-timeout:
			return got
		}
	}
}

// waitEvent reads events until one named name whose data contains want arrives.
func waitEvent(t *testing.T, events <-chan sseEvent, limit time.Duration, name, want string) sseEvent {
	t.Helper()
	timeout := time.After(limit)
	for {
		select {
		case ev, ok := <-events:
			require.True(t, ok, "the stream ended before %s", name)
			if ev.name == name && strings.Contains(ev.data, want) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event with %q within %s", name, want, limit)
		}
	}
}

func TestMessages_Stream(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	wa := newWorkspace(t, e, "Alpha")
	ctx := context.Background()
	sa := pairedSession(t, e, wa.owner.TenantID, "Alpha line", "4915111111301")
	old := scheduled(t, e, wa.owner.TenantID, sa, "+49 151 23456789", "Before the page")
	b := logIn(t, e, wa.owner.Email, wa.ownerPW)

	t.Run("LogPage", func(t *testing.T) {
		since := strconv.FormatInt(time.Now().UnixMilli(), 10)
		events := openMessageStream(t, e, b, "since="+since)
		// The snapshot: the rows of the page, so changes since the page load are not lost.
		first := waitEvent(t, events, 5*time.Second, "message-row-"+old.ID.String(), `data-status="scheduled"`)
		require.Contains(t, first.data, "Before the page")
		for _, ev := range collect(events, 300*time.Millisecond) {
			require.NotEqual(t, "message-new", ev.name, "a message older than the page is not new to it")
		}

		// A status change re-renders the row.
		_, err := e.Services.Messages.Cancel(ctx, wa.owner.TenantID, old.ID)
		require.NoError(t, err)
		waitEvent(t, events, 5*time.Second, "message-row-"+old.ID.String(), `data-status="canceled"`)

		// A new message comes as a row to prepend and as a notice.
		m := scheduled(t, e, wa.owner.TenantID, sa, "+49 151 23456788", "After the page")
		ev := waitEvent(t, events, 5*time.Second, "message-new", m.ID.String())
		require.Contains(t, ev.data, `id="message-row-`+m.ID.String()+`"`)
		require.Contains(t, ev.data, "After the page")
		waitEvent(t, events, 5*time.Second, "message-notice", "New messages")

		// A stream that starts later (the browser reconnects) sends what is new to the page again:
		// a change in between is not lost (messages.js adds a row only once).
		again := openMessageStream(t, e, b, "since="+since)
		waitEvent(t, again, 5*time.Second, "message-new", m.ID.String())
	})

	t.Run("MessagePage", func(t *testing.T) {
		m := scheduled(t, e, wa.owner.TenantID, sa, "+49 151 23456787", "Watched")
		events := openMessageStream(t, e, b, "message="+m.ID.String())
		// The snapshot: its status panel and timeline as they are now.
		waitEvent(t, events, 5*time.Second, "message-status-"+m.ID.String(), `data-status="scheduled"`)
		waitEvent(t, events, 5*time.Second, "message-timeline-"+m.ID.String(), `data-status="scheduled"`)
		_, err := e.Services.Messages.Cancel(ctx, wa.owner.TenantID, m.ID)
		require.NoError(t, err)
		waitEvent(t, events, 5*time.Second, "message-status-"+m.ID.String(), `data-status="canceled"`)
		waitEvent(t, events, 5*time.Second, "message-timeline-"+m.ID.String(), `data-status="canceled"`)
	})

	t.Run("EndsOnShutdown", func(t *testing.T) {
		events := openMessageStream(t, e, b, "")
		done := make(chan error, 1)
		go func() { done <- e.Server.Shutdown(10 * time.Second) }()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("an open message stream held up the shutdown")
		}
		for range events { // the stream was closed
		}
	})
}
