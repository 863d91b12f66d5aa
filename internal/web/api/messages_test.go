package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/app"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/web/webtest"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

// withHost runs the session host and the worker beside the app. Few RPC workers: each one blocks a
// connection of the app's shared Redis pool in BRPOP, and the default 32 (more than the pool's 20 on
// two cores) made every other Redis command, so every API request, wait a second for a free one.
func withHost() *webtest.Opts {
	return &webtest.Opts{SessionHost: true, Tuning: func(c *app.Tuning) { c.RPCWorkers = 4 }}
}

// connectedSession creates a session for w and links it on the simulator, as a user scanning the
// QR code would; it returns once the session host has it connected.
func connectedSession(t *testing.T, e *webtest.Env, w workspace, name, phone string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	s, err := e.Services.Sessions.Create(ctx, w.tenant, name)
	require.NoError(t, err)
	_, err = e.Services.Sessions.RequestPair(ctx, w.tenant, s.ID, "")
	require.NoError(t, err)
	within(t, 15*time.Second, "the QR pairing to start", func() bool { return e.Simulator.Scan(ctx, s.ID, phone) == nil })
	within(t, 15*time.Second, "the session to connect", func() bool {
		got, err := e.Services.Sessions.Get(ctx, w.tenant, s.ID)
		return err == nil && got.Status == "connected"
	})
	return s.ID
}

// post sends a raw JSON body with headers (name, value pairs), so tests control its bytes.
func post(t *testing.T, base, path, secret, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// fieldErrors returns a problem's errors as location → message.
func fieldErrors(t *testing.T, p map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	list, _ := p["errors"].([]any)
	for _, e := range list {
		m := e.(map[string]any)
		loc, _ := m["location"].(string)
		msg, _ := m["message"].(string)
		out[loc] = msg
	}
	return out
}

func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func countMedia(t *testing.T, e *webtest.Env, tenantID uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, e.Pool.QueryRow(context.Background(), "SELECT count(*) FROM media WHERE tenant_id = $1", tenantID).Scan(&n))
	return n
}

func countMessages(t *testing.T, e *webtest.Env, tenantID uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, e.Pool.QueryRow(context.Background(), "SELECT count(*) FROM messages WHERE tenant_id = $1", tenantID).Scan(&n))
	return n
}

// TestMessages_OpenAPI checks what customers read: every operation with its scope, the send's 202
// documented as the message with its headers, and every field of a message described.
func TestMessages_OpenAPI(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	r := call(t, e.URL(), http.MethodGet, "/api/v1/openapi.json")
	require.Equal(t, http.StatusOK, r.Status)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]map[string]any `json:"properties"`
				Required   []string                  `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.Body), &doc))

	type op struct {
		OperationID string                `json:"operationId"`
		Security    []map[string][]string `json:"security"`
		Parameters  []struct {
			Name, In string
		} `json:"parameters"`
		Responses map[string]struct {
			Headers map[string]any `json:"headers"`
			Content map[string]struct {
				Schema map[string]any `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	}
	get := func(path, method string) op {
		t.Helper()
		require.Contains(t, doc.Paths, path)
		require.Contains(t, doc.Paths[path], method, path)
		var o op
		require.NoError(t, json.Unmarshal(doc.Paths[path][method], &o))
		return o
	}
	for _, c := range []struct{ path, method, id, scope string }{
		{"/messages", "post", "send-message", "send"},
		{"/messages", "get", "list-messages", "read"},
		{"/messages/{id}", "get", "get-message", "read"},
		{"/messages/{id}/cancel", "post", "cancel-message", "send"},
		{"/sessions/{session_id}/groups", "get", "list-session-groups", "read"},
		{"/sessions/{session_id}/check-numbers", "post", "check-numbers", "send"},
	} {
		o := get(c.path, c.method)
		require.Equal(t, c.id, o.OperationID)
		require.ElementsMatch(t, []map[string][]string{{"bearer": {c.scope}}, {"apiKey": {c.scope}}}, o.Security, c.id)
		require.Contains(t, o.Responses, "429", c.id)
	}

	send := get("/messages", "post")
	require.Contains(t, send.Responses, "202")
	require.Equal(t, "#/components/schemas/Message", send.Responses["202"].Content["application/json"].Schema["$ref"],
		"the 202 is documented as the message, though it is written as bytes")
	for _, h := range []string{"Location", "Idempotent-Replayed", "RateLimit-Remaining"} {
		require.Contains(t, send.Responses["202"].Headers, h)
	}
	require.NotContains(t, send.Responses["202"].Headers, "Content-Type", "set by the handler, not a documented header")
	var idemHeader bool
	for _, p := range send.Parameters {
		idemHeader = idemHeader || (p.In == "header" && p.Name == "Idempotency-Key")
	}
	require.True(t, idemHeader, "Idempotency-Key is documented")
	for _, code := range []string{"409", "422"} {
		require.Contains(t, send.Responses, code)
	}

	msg := doc.Components.Schemas["Message"]
	for _, f := range []string{"id", "session_id", "direction", "chat", "phone", "sender", "sender_alt", "push_name", "from_me",
		"type", "text", "media", "location", "contact", "reply_to", "status", "error", "attempts", "send_at", "expires_at",
		"reaction", "edited_at", "revoked_at", "queued_at", "sent_at", "delivered_at", "read_at", "failed_at", "created_at",
		"updated_at", "wa_id"} {
		require.Contains(t, msg.Properties, f)
	}
	for name, p := range msg.Properties {
		require.NotEmpty(t, p["description"], "Message.%s is documented", name)
	}
	detail := doc.Components.Schemas["MessageDetail"]
	require.Contains(t, detail.Properties, "events")
	require.Contains(t, detail.Properties, "wa_id", "the detail is the message plus its events")
	body := doc.Components.Schemas["SendMessage"]
	require.ElementsMatch(t, []string{"session_id", "to"}, body.Required)
}

// TestMessages_Validation: refused sends name their field, change nothing and need no service
// state beyond a tenant and a session.
func TestMessages_Validation(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, withHost())
	a, b := signup(t, e, "Alpha"), signup(t, e, "Bravo")
	key := newKey(t, e, a, "sender", auth.ScopeRead, auth.ScopeSend).Secret
	reader := newKey(t, e, a, "reader", auth.ScopeRead).Secret
	sess := connectedSession(t, e, a, "Alpha line", "4915112345601")
	bSess, err := e.Services.Sessions.Create(context.Background(), b.tenant, "Bravo line")
	require.NoError(t, err)

	sendBody := func(fields map[string]any) string {
		m := map[string]any{"session_id": sess.String(), "to": "+49 151 23456789", "text": "Hello"}
		for k, v := range fields {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return jsonBody(t, m)
	}
	refused := func(t *testing.T, status int, body string, headers ...string) map[string]string {
		t.Helper()
		p := post(t, e.URL(), "/api/v1/messages", key, body, headers...).requireProblem(t, status)
		return fieldErrors(t, p)
	}

	t.Run("Scope", func(t *testing.T) {
		post(t, e.URL(), "/api/v1/messages", reader, sendBody(nil)).requireProblem(t, http.StatusForbidden)
	})
	t.Run("Required", func(t *testing.T) {
		p := post(t, e.URL(), "/api/v1/messages", key, `{"text": "Hello"}`).requireProblem(t, http.StatusUnprocessableEntity)
		// Huma names a missing property in the message, at location "body".
		require.Contains(t, p["errors"], map[string]any{"location": "body", "message": "expected required property session_id to be present",
			"value": map[string]any{"text": "Hello"}})
		require.Contains(t, p["errors"], map[string]any{"location": "body", "message": "expected required property to to be present",
			"value": map[string]any{"text": "Hello"}})
	})
	t.Run("InvalidPhone", func(t *testing.T) {
		errs := refused(t, http.StatusUnprocessableEntity, sendBody(map[string]any{"to": "12"}))
		require.Contains(t, errs, "body.to")
		require.Len(t, errs, 1, errs)
	})
	t.Run("UnknownAndOtherTenantsSession", func(t *testing.T) {
		// B's session and an id that exists nowhere get the same answer, byte for byte (invariant 2).
		other := post(t, e.URL(), "/api/v1/messages", key, sendBody(map[string]any{"session_id": bSess.ID.String()}))
		random := post(t, e.URL(), "/api/v1/messages", key, sendBody(map[string]any{"session_id": uuid.NewString()}))
		p := other.requireProblem(t, http.StatusUnprocessableEntity)
		random.requireProblem(t, http.StatusUnprocessableEntity)
		require.Contains(t, fieldErrors(t, p), "body.session_id")
		require.Equal(t, random.Body, other.Body)
		require.NotContains(t, other.Body, "Bravo")
	})
	t.Run("TypeMismatch", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			fields map[string]any
		}{
			{"ImageWithoutFile", map[string]any{"type": "image"}},
			{"LocationWithoutLocation", map[string]any{"type": "location"}},
			{"TextWithLocation", map[string]any{"type": "text", "text": nil, "location": map[string]any{"latitude": 52.5, "longitude": 13.4}}},
		} {
			t.Run(c.name, func(t *testing.T) {
				errs := refused(t, http.StatusUnprocessableEntity, sendBody(c.fields))
				require.Contains(t, errs, "body.type", errs)
			})
		}
		errs := refused(t, http.StatusUnprocessableEntity, sendBody(map[string]any{"type": "sticker"}))
		require.Contains(t, errs, "body.type", "not a type one can send")
	})
	t.Run("OneThingPerMessage", func(t *testing.T) {
		errs := refused(t, http.StatusUnprocessableEntity, sendBody(map[string]any{"media_id": uuid.NewString(),
			"media_url": "https://example.com/a.png"}))
		require.Contains(t, errs, "body.media_url")
		errs = refused(t, http.StatusUnprocessableEntity, sendBody(map[string]any{
			"location": map[string]any{"latitude": 52.5, "longitude": 13.4},
			"contact":  map[string]any{"display_name": "Support", "phone": "+49 151 23456789"}}))
		require.Contains(t, errs, "body.contact")
	})
	t.Run("Location", func(t *testing.T) {
		errs := refused(t, http.StatusUnprocessableEntity, sendBody(map[string]any{"text": nil,
			"location": map[string]any{"latitude": 91, "longitude": 13.4}}))
		require.Contains(t, errs, "body.location.latitude")
	})
	t.Run("ContactPhone", func(t *testing.T) {
		errs := refused(t, http.StatusUnprocessableEntity, sendBody(map[string]any{"text": nil,
			"contact": map[string]any{"display_name": "Support", "phone": "12"}}))
		require.Contains(t, errs, "body.contact.phone")
		errs = refused(t, http.StatusUnprocessableEntity, sendBody(map[string]any{"text": nil,
			"contact": map[string]any{"display_name": "Support"}}))
		require.Contains(t, errs, "body.contact.vcard")
	})
	t.Run("SendAt", func(t *testing.T) {
		errs := refused(t, http.StatusUnprocessableEntity, sendBody(map[string]any{"send_at": "tomorrow"}))
		require.Contains(t, errs, "body.send_at")
	})
	t.Run("IdempotencyKey", func(t *testing.T) {
		for _, k := range []string{strings.Repeat("k", 256), "caf\u00e9"} {
			errs := refused(t, http.StatusUnprocessableEntity, sendBody(nil), "Idempotency-Key", k)
			require.Contains(t, errs, "header.Idempotency-Key", k)
		}
	})
	t.Run("UnknownMessage", func(t *testing.T) {
		send(t, e.URL(), http.MethodGet, "/api/v1/messages/"+uuid.NewString(), key, nil).requireProblem(t, http.StatusNotFound)
		send(t, e.URL(), http.MethodPost, "/api/v1/messages/"+uuid.NewString()+"/cancel", key, nil).requireProblem(t, http.StatusNotFound)
		send(t, e.URL(), http.MethodGet, "/api/v1/messages/not-a-uuid", key, nil).requireProblem(t, http.StatusUnprocessableEntity)
	})
	t.Run("ListFilters", func(t *testing.T) {
		for _, q := range []string{"status=lost", "direction=sideways", "limit=0", "limit=201", "since=yesterday", "session_id=x"} {
			send(t, e.URL(), http.MethodGet, "/api/v1/messages?"+q, key, nil).requireProblem(t, http.StatusUnprocessableEntity)
		}
	})
	require.Zero(t, countMessages(t, e, a.tenant), "refused sends store nothing")
}

// TestMessages_SendText sends a text through a connected simulator session and follows it to sent.
func TestMessages_SendText(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, withHost())
	a := signup(t, e, "Alpha")
	key := newKey(t, e, a, "sender", auth.ScopeRead, auth.ScopeSend).Secret
	sess := connectedSession(t, e, a, "Alpha line", "4915112345602")

	r := post(t, e.URL(), "/api/v1/messages", key, jsonBody(t, map[string]any{"session_id": sess, "to": "+49 151 23456789",
		"type": "text", "text": "Your order 1042 has shipped."}))
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	require.Empty(t, r.Header.Get("Idempotent-Replayed"))
	m := r.json(t)
	id := m["id"].(string)
	require.Equal(t, "/api/v1/messages/"+id, r.Header.Get("Location"))
	require.Equal(t, "queued", m["status"])
	require.Equal(t, "out", m["direction"])
	require.Equal(t, "text", m["type"])
	require.Equal(t, "+4915123456789", m["phone"])
	require.Equal(t, "4915123456789@s.whatsapp.net", m["chat"])
	require.Equal(t, sess.String(), m["session_id"])
	require.NotEmpty(t, m["wa_id"])
	require.Nil(t, m["media"])
	require.Nil(t, m["error"])
	require.Equal(t, 1, countMessages(t, e, a.tenant), "stored before the 202")

	var got map[string]any
	within(t, 20*time.Second, "the message to be sent", func() bool {
		got = send(t, e.URL(), http.MethodGet, r.Header.Get("Location"), key, nil).json(t)
		return got["status"] == "sent" || got["status"] == "delivered" || got["status"] == "read"
	})
	require.NotNil(t, got["sent_at"])
	require.Equal(t, m["wa_id"], got["wa_id"], "the WhatsApp id fixed at accept is the one sent")
	events, ok := got["events"].([]any)
	require.True(t, ok, got)
	var statuses []string
	for _, ev := range events {
		statuses = append(statuses, ev.(map[string]any)["status"].(string))
	}
	require.Contains(t, statuses, "queued")
	require.Contains(t, statuses, "sent")

	// A contact card made of a name and a number.
	r = post(t, e.URL(), "/api/v1/messages", key, jsonBody(t, map[string]any{"session_id": sess, "to": "+49 151 23456789",
		"contact": map[string]any{"display_name": "Acme; Support", "phone": "+49 151 11112222"}}))
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	c := r.json(t)["contact"].(map[string]any)
	require.Equal(t, "Acme; Support", c["display_name"])
	require.Contains(t, c["vcard"], "FN:Acme\\; Support\n")
	require.Contains(t, c["vcard"], "TEL;type=CELL;type=VOICE;waid=4915111112222:+4915111112222")
	require.Equal(t, "contact", r.json(t)["type"])
}

// TestMessages_Idempotency: the same key and body replay the first answer byte for byte; another
// body is refused; a refused request stores nothing, so the key stays usable.
func TestMessages_Idempotency(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, withHost())
	a, b := signup(t, e, "Alpha"), signup(t, e, "Bravo")
	key := newKey(t, e, a, "sender", auth.ScopeRead, auth.ScopeSend).Secret
	keyB := newKey(t, e, b, "sender", auth.ScopeRead, auth.ScopeSend).Secret
	sess := connectedSession(t, e, a, "Alpha line", "4915112345603")
	sendAt := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	body := fmt.Sprintf(`{"session_id": %q, "to": "+49 151 23456789", "text": "Once", "send_at": %q}`, sess, sendAt)

	first := post(t, e.URL(), "/api/v1/messages", key, body, "Idempotency-Key", "order-1042")
	require.Equal(t, http.StatusAccepted, first.Status, first.Body)
	again := post(t, e.URL(), "/api/v1/messages", key, body, "Idempotency-Key", "order-1042")
	require.Equal(t, http.StatusAccepted, again.Status, again.Body)
	require.Equal(t, first.Body, again.Body, "the replay is the first answer's bytes")
	require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	require.Equal(t, first.Header.Get("Location"), again.Header.Get("Location"))
	require.Equal(t, "application/json", again.Header.Get("Content-Type"))
	require.Equal(t, 1, countMessages(t, e, a.tenant))

	// Another body with the same key: refused, nothing stored.
	other := strings.Replace(body, "Once", "Twice", 1)
	p := post(t, e.URL(), "/api/v1/messages", key, other, "Idempotency-Key", "order-1042").requireProblem(t, http.StatusUnprocessableEntity)
	require.Contains(t, p["detail"], "Idempotency-Key")
	// The same bytes but another path or tenant are other requests: B's key space is its own.
	r := post(t, e.URL(), "/api/v1/messages", keyB, body, "Idempotency-Key", "order-1042")
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "B's request names A's session, and must not replay A's answer: %s", r.Body)
	require.NotContains(t, r.Body, first.json(t)["id"])
	require.Equal(t, 1, countMessages(t, e, a.tenant))
	require.Zero(t, countMessages(t, e, b.tenant))

	// A request refused by validation stores nothing under its key: corrected, it is accepted.
	bad := fmt.Sprintf(`{"session_id": %q, "to": "12", "text": "Fixed later"}`, sess)
	post(t, e.URL(), "/api/v1/messages", key, bad, "Idempotency-Key", "order-1043").requireProblem(t, http.StatusUnprocessableEntity)
	good := fmt.Sprintf(`{"session_id": %q, "to": "+49 151 23456789", "text": "Fixed later", "send_at": %q}`, sess, sendAt)
	r = post(t, e.URL(), "/api/v1/messages", key, good, "Idempotency-Key", "order-1043")
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	require.Empty(t, r.Header.Get("Idempotent-Replayed"))
	require.Equal(t, 2, countMessages(t, e, a.tenant))

	// Concurrent first requests with one key: one message, every answer the same or a 409.
	const n = 6
	body3 := fmt.Sprintf(`{"session_id": %q, "to": "+49 151 23456789", "text": "Racing", "send_at": %q}`, sess, sendAt)
	results := make(chan response, n)
	for range n {
		go func() { results <- post(t, e.URL(), "/api/v1/messages", key, body3, "Idempotency-Key", "order-1044") }()
	}
	var accepted []string
	for range n {
		r := <-results
		switch r.Status {
		case http.StatusAccepted:
			accepted = append(accepted, r.Body)
		case http.StatusConflict:
			r.requireProblem(t, http.StatusConflict)
		default:
			t.Fatalf("unexpected %d: %s", r.Status, r.Body)
		}
	}
	require.NotEmpty(t, accepted)
	for _, body := range accepted {
		require.Equal(t, accepted[0], body)
	}
	require.Equal(t, 3, countMessages(t, e, a.tenant), "one message for all of them")
}

// TestMessages_Quota: past the plan's messages per day the send is 429 with Retry-After and the
// quota in the body; a canceled message gives its count back.
func TestMessages_Quota(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, withHost())
	a := signup(t, e, "Alpha")
	key := newKey(t, e, a, "sender", auth.ScopeRead, auth.ScopeSend).Secret
	sess := connectedSession(t, e, a, "Alpha line", "4915112345604")
	_, err := e.Pool.Exec(context.Background(), "UPDATE plans SET messages_per_day = 2 WHERE id = (SELECT plan_id FROM tenants WHERE id = $1)", a.tenant)
	require.NoError(t, err)
	body := jsonBody(t, map[string]any{"session_id": sess, "to": "+49 151 23456789", "text": "Later",
		"send_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})

	var ids []string
	for range 2 {
		r := post(t, e.URL(), "/api/v1/messages", key, body)
		require.Equal(t, http.StatusAccepted, r.Status, r.Body)
		ids = append(ids, r.json(t)["id"].(string))
	}
	r := post(t, e.URL(), "/api/v1/messages", key, body)
	require.Equal(t, http.StatusTooManyRequests, r.Status, r.Body)
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err, r.Header.Get("Retry-After"))
	require.Positive(t, secs)
	require.LessOrEqual(t, secs, 24*60*60)
	p := r.json(t)
	require.Equal(t, float64(2), p["limit"])
	require.Equal(t, float64(2), p["used"])
	resets, err := time.Parse(time.RFC3339, p["resets_at"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(time.Duration(secs)*time.Second), resets, 2*time.Second)
	require.Contains(t, p["detail"], "quota of 2")
	require.Equal(t, 2, countMessages(t, e, a.tenant))

	// Canceling a scheduled message gives its count back.
	r = send(t, e.URL(), http.MethodPost, "/api/v1/messages/"+ids[0]+"/cancel", key, nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	r = post(t, e.URL(), "/api/v1/messages", key, body)
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
}

// TestMessages_ListAndCancel pages through 120 messages without duplicates or gaps, filters them,
// and cancels a scheduled one (a second cancel is 409).
func TestMessages_ListAndCancel(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, withHost())
	a, b := signup(t, e, "Alpha"), signup(t, e, "Bravo")
	key := newKey(t, e, a, "sender", auth.ScopeRead, auth.ScopeSend).Secret
	keyB := newKey(t, e, b, "sender", auth.ScopeRead, auth.ScopeSend).Secret
	s1 := connectedSession(t, e, a, "Line one", "4915112345605")
	s2 := connectedSession(t, e, a, "Line two", "4915112345606")
	sB := connectedSession(t, e, b, "Bravo line", "4915112345607")
	ctx := context.Background()
	_, err := e.Pool.Exec(ctx, "UPDATE plans SET messages_per_day = 10000, api_requests_per_minute = 10000")
	require.NoError(t, err)

	// Scheduled an hour ahead, so nothing goes out while the test looks at them.
	later := time.Now().Add(time.Hour)
	recipients := []string{"+49 151 23456789", "+49 151 23456780", "+49 151 23456781"}
	var all []string // oldest first
	for i := range 120 {
		sess := s1
		if i%4 == 3 {
			sess = s2
		}
		acc, err := e.Services.Messages.Send(ctx, a.tenant, message.SendRequest{SessionID: sess, To: recipients[i%3],
			Text: fmt.Sprintf("Message %d", i), SendAt: &later}, nil)
		require.NoError(t, err)
		all = append(all, acc.Message.ID.String())
	}
	accB, err := e.Services.Messages.Send(ctx, b.tenant, message.SendRequest{SessionID: sB, To: recipients[0], Text: "Bravo's", SendAt: &later}, nil)
	require.NoError(t, err)

	// list returns every id of a filtered listing, page by page, checking the pages' shape.
	list := func(t *testing.T, query url.Values) []string {
		t.Helper()
		var ids []string
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			require.Less(t, pages, 20, "the cursor must end")
			q := url.Values{}
			for k, v := range query {
				q[k] = v
			}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			r := send(t, e.URL(), http.MethodGet, "/api/v1/messages?"+q.Encode(), key, nil)
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			require.NotContains(t, r.Body, accB.Message.ID.String())
			var page struct {
				Data []struct {
					ID string `json:"id"`
				} `json:"data"`
				NextCursor *string `json:"next_cursor"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.Body), &page))
			require.NotNil(t, page.Data, "data is a list, never null")
			require.NotNil(t, page.NextCursor, "next_cursor is always there")
			for _, m := range page.Data {
				require.False(t, seen[m.ID], "%s twice", m.ID)
				seen[m.ID] = true
				ids = append(ids, m.ID)
			}
			if *page.NextCursor == "" {
				return ids
			}
			cursor = *page.NextCursor
		}
	}
	newestFirst := func(ids []string) []string {
		out := make([]string, 0, len(ids))
		for i := len(ids) - 1; i >= 0; i-- {
			out = append(out, ids[i])
		}
		return out
	}
	where := func(keep func(i int) bool) []string {
		var out []string
		for i, id := range all {
			if keep(i) {
				out = append(out, id)
			}
		}
		return newestFirst(out)
	}

	t.Run("Pages", func(t *testing.T) {
		require.Equal(t, newestFirst(all), list(t, url.Values{"limit": {"50"}}), "every message once, newest first")
		require.Equal(t, newestFirst(all), list(t, url.Values{"limit": {"7"}}))
		r := send(t, e.URL(), http.MethodGet, "/api/v1/messages", key, nil)
		require.Len(t, r.json(t)["data"], 50, "50 by default")
	})
	t.Run("Filters", func(t *testing.T) {
		require.Equal(t, where(func(i int) bool { return i%4 == 3 }), list(t, url.Values{"session_id": {s2.String()}, "limit": {"13"}}))
		require.Equal(t, where(func(i int) bool { return i%3 == 1 }), list(t, url.Values{"phone": {"0049 (151) 2345-6780"}}),
			"the number in another format")
		require.Equal(t, newestFirst(all), list(t, url.Values{"status": {"scheduled"}, "direction": {"out"}, "limit": {"200"}}))
		require.Empty(t, list(t, url.Values{"direction": {"in"}}))
		p := send(t, e.URL(), http.MethodGet, "/api/v1/messages?phone=12", key, nil).requireProblem(t, http.StatusUnprocessableEntity)
		require.Contains(t, fieldErrors(t, p), "query.phone", "the service's field error is placed in the query")
		require.Empty(t, list(t, url.Values{"status": {"sent"}}))
		require.Empty(t, list(t, url.Values{"session_id": {sB.String()}}), "B's session lists nothing of B")
		require.Empty(t, list(t, url.Values{"since": {time.Now().Add(time.Minute).UTC().Format(time.RFC3339)}}))
		require.Equal(t, newestFirst(all), list(t, url.Values{"since": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)},
			"until": {time.Now().Add(time.Minute).UTC().Format(time.RFC3339)}, "limit": {"200"}}))
	})
	t.Run("Cancel", func(t *testing.T) {
		id := all[5]
		r := send(t, e.URL(), http.MethodPost, "/api/v1/messages/"+id+"/cancel", key, nil)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		require.Equal(t, "canceled", r.json(t)["status"])
		require.Equal(t, id, r.json(t)["id"])
		p := send(t, e.URL(), http.MethodPost, "/api/v1/messages/"+id+"/cancel", key, nil).requireProblem(t, http.StatusConflict)
		require.Contains(t, p["detail"], "canceled")
		require.Equal(t, []string{id}, list(t, url.Values{"status": {"canceled"}}))
		got := send(t, e.URL(), http.MethodGet, "/api/v1/messages/"+id, key, nil).json(t)
		require.Equal(t, "canceled", got["status"])
		var statuses []string
		for _, ev := range got["events"].([]any) {
			statuses = append(statuses, ev.(map[string]any)["status"].(string))
		}
		require.Equal(t, []string{"scheduled", "canceled"}, statuses)
	})
	t.Run("Isolation", func(t *testing.T) {
		bID := accB.Message.ID.String()
		for _, r := range []response{
			send(t, e.URL(), http.MethodGet, "/api/v1/messages/"+bID, key, nil),
			send(t, e.URL(), http.MethodPost, "/api/v1/messages/"+bID+"/cancel", key, nil),
		} {
			r.requireProblem(t, http.StatusNotFound)
			require.NotContains(t, r.Body, "Bravo")
		}
		got, err := e.Services.Messages.Get(ctx, b.tenant, accB.Message.ID)
		require.NoError(t, err)
		require.Equal(t, message.StatusScheduled, got.Status, "B's message is untouched")
		r := send(t, e.URL(), http.MethodGet, "/api/v1/messages/"+bID, keyB, nil)
		require.Equal(t, http.StatusOK, r.Status, "B sees its own message")
	})
}

// TestSessionTools lists a session's groups and checks numbers through the simulator.
func TestSessionTools(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, withHost())
	a, b := signup(t, e, "Alpha"), signup(t, e, "Bravo")
	key := newKey(t, e, a, "sender", auth.ScopeRead, auth.ScopeSend).Secret
	reader := newKey(t, e, a, "reader", auth.ScopeRead).Secret
	ctx := context.Background()
	sess := connectedSession(t, e, a, "Alpha line", "4915112345608")
	idle, err := e.Services.Sessions.Create(ctx, a.tenant, "Never paired")
	require.NoError(t, err)
	bSess, err := e.Services.Sessions.Create(ctx, b.tenant, "Bravo line")
	require.NoError(t, err)
	gid, err := e.Simulator.CreateGroup(ctx, sess, simulator.GroupOptions{Name: "Acme customers", Participants: 42, AnnounceOnly: true})
	require.NoError(t, err)

	r := send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+sess.String()+"/groups", reader, nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.JSONEq(t, fmt.Sprintf(`{"data": [{"jid": %q, "name": "Acme customers", "participants": 42, "announce_only": true}], "next_cursor": ""}`,
		gid.String()), r.Body)

	numbers := map[string]any{"numbers": []string{"+49 151 23456789", "+49 151 23450000", "12"}}
	send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+sess.String()+"/check-numbers", reader, numbers).requireProblem(t, http.StatusForbidden)
	r = send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+sess.String()+"/check-numbers", key, numbers)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	var checks struct {
		Data []map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.Body), &checks))
	require.Len(t, checks.Data, 3)
	require.Equal(t, map[string]any{"input": "+49 151 23456789", "phone": "+4915123456789", "on_whatsapp": true,
		"jid": "4915123456789@s.whatsapp.net", "error": ""}, checks.Data[0])
	require.Equal(t, false, checks.Data[1]["on_whatsapp"], "the simulator's numbers ending in 0000 have no account")
	require.Equal(t, "+4915123450000", checks.Data[1]["phone"])
	require.Equal(t, "12", checks.Data[2]["input"])
	require.Empty(t, checks.Data[2]["phone"])
	require.NotEmpty(t, checks.Data[2]["error"])

	t.Run("Limits", func(t *testing.T) {
		many := make([]string, 51)
		for i := range many {
			many[i] = fmt.Sprintf("+49 151 234567%02d", i)
		}
		p := send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+sess.String()+"/check-numbers", key, map[string]any{"numbers": many}).
			requireProblem(t, http.StatusUnprocessableEntity)
		require.Contains(t, fieldErrors(t, p), "body.numbers")
		send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+sess.String()+"/check-numbers", key, map[string]any{"numbers": []string{}}).
			requireProblem(t, http.StatusUnprocessableEntity)
	})
	t.Run("NotConnected", func(t *testing.T) {
		send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+idle.ID.String()+"/groups", key, nil).requireProblem(t, http.StatusConflict)
		send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+idle.ID.String()+"/check-numbers", key, numbers).requireProblem(t, http.StatusConflict)
	})
	t.Run("Paced", func(t *testing.T) {
		// At one check a minute, the next one is a minute after the first: too long to wait in the
		// request, so it is refused with the time to wait.
		_, err := e.Pool.Exec(ctx, "UPDATE plans SET send_rate_per_minute = 1")
		require.NoError(t, err)
		r := send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+sess.String()+"/check-numbers", key, numbers)
		r.requireProblem(t, http.StatusTooManyRequests)
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		require.NoError(t, err)
		require.Greater(t, secs, 30)
		require.LessOrEqual(t, secs, 60)
	})
	t.Run("Isolation", func(t *testing.T) {
		for _, r := range []response{
			send(t, e.URL(), http.MethodGet, "/api/v1/sessions/"+bSess.ID.String()+"/groups", key, nil),
			send(t, e.URL(), http.MethodPost, "/api/v1/sessions/"+bSess.ID.String()+"/check-numbers", key, numbers),
		} {
			r.requireProblem(t, http.StatusNotFound)
			require.NotContains(t, r.Body, "Bravo")
		}
	})
}

func msgPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4))))
	return buf.Bytes()
}

var msgPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")

// TestMessages_Media sends uploaded files and files fetched from a URL, checks type against the
// file's content, and downloads a message's file by its link.
func TestMessages_Media(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, withHost())
	a, b := signup(t, e, "Alpha"), signup(t, e, "Bravo")
	key := newKey(t, e, a, "sender", auth.ScopeRead, auth.ScopeSend).Secret
	sess := connectedSession(t, e, a, "Alpha line", "4915112345609")
	ctx := context.Background()
	logo := msgPNG(t)
	img, err := e.Services.Media.Upload(ctx, a.tenant, "logo.png", bytes.NewReader(logo), int64(len(logo)))
	require.NoError(t, err)
	bImg, err := e.Services.Media.Upload(ctx, b.tenant, "bravo.png", bytes.NewReader(logo), int64(len(logo)))
	require.NoError(t, err)
	var fetches atomic.Int32
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if r.URL.Path != "/invoice-1042.pdf" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write(msgPDF)
	}))
	t.Cleanup(files.Close)
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	body := func(fields map[string]any) string {
		m := map[string]any{"session_id": sess.String(), "to": "+49 151 23456789", "send_at": later}
		for k, v := range fields {
			m[k] = v
		}
		return jsonBody(t, m)
	}

	t.Run("Upload", func(t *testing.T) {
		r := post(t, e.URL(), "/api/v1/messages", key, body(map[string]any{"media_id": img.ID, "text": "Our logo", "type": "image"}))
		require.Equal(t, http.StatusAccepted, r.Status, r.Body)
		m := r.json(t)
		require.Equal(t, "image", m["type"])
		require.Equal(t, "Our logo", m["text"])
		require.Equal(t, map[string]any{"id": img.ID.String(), "mime": "image/png", "file_name": "logo.png", "voice_note": false},
			m["media"], "no download link in the 202: the sender has the file")

		got := send(t, e.URL(), http.MethodGet, r.Header.Get("Location"), key, nil).json(t)
		md := got["media"].(map[string]any)
		require.Equal(t, "image/png", md["mime"])
		require.NotEmpty(t, md["url_expires_at"])
		link, _ := md["url"].(string)
		require.NotEmpty(t, link)
		resp, err := http.Get(link)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, logo, data, "the link downloads the file")

		list := send(t, e.URL(), http.MethodGet, "/api/v1/messages", key, nil).json(t)["data"].([]any)
		require.Equal(t, map[string]any{"id": img.ID.String(), "file_name": "logo.png", "voice_note": false},
			list[0].(map[string]any)["media"], "lists carry no type or link")
	})
	t.Run("AsDocument", func(t *testing.T) {
		r := post(t, e.URL(), "/api/v1/messages", key, body(map[string]any{"media_id": img.ID, "type": "document", "file_name": "logo-print.png"}))
		require.Equal(t, http.StatusAccepted, r.Status, r.Body)
		require.Equal(t, "document", r.json(t)["type"])
		require.Equal(t, "logo-print.png", r.json(t)["media"].(map[string]any)["file_name"])
	})
	t.Run("URL", func(t *testing.T) {
		r := post(t, e.URL(), "/api/v1/messages", key, body(map[string]any{"media_url": files.URL + "/invoice-1042.pdf", "text": "Invoice"}))
		require.Equal(t, http.StatusAccepted, r.Status, r.Body)
		m := r.json(t)
		require.Equal(t, "document", m["type"])
		md := m["media"].(map[string]any)
		require.Equal(t, "application/pdf", md["mime"])
		require.Equal(t, "invoice-1042.pdf", md["file_name"])
		stored, err := e.Services.Media.Get(ctx, a.tenant, uuid.MustParse(md["id"].(string)))
		require.NoError(t, err)
		require.Equal(t, "url", stored.Source)
	})
	t.Run("URLReplay", func(t *testing.T) {
		// A retry with the key replays the first answer without fetching again: the URL may be gone.
		req := body(map[string]any{"media_url": files.URL + "/invoice-1042.pdf?once=1"})
		first := post(t, e.URL(), "/api/v1/messages", key, req, "Idempotency-Key", "invoice-1042")
		require.Equal(t, http.StatusAccepted, first.Status, first.Body)
		n, stored := fetches.Load(), countMedia(t, e, a.tenant)
		again := post(t, e.URL(), "/api/v1/messages", key, req, "Idempotency-Key", "invoice-1042")
		require.Equal(t, http.StatusAccepted, again.Status, again.Body)
		require.Equal(t, first.Body, again.Body)
		require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		require.Equal(t, first.Header.Get("Location"), again.Header.Get("Location"))
		// Another body with the key is refused before any fetch too.
		other := body(map[string]any{"media_url": files.URL + "/invoice-1042.pdf?once=2"})
		post(t, e.URL(), "/api/v1/messages", key, other, "Idempotency-Key", "invoice-1042").requireProblem(t, http.StatusUnprocessableEntity)
		require.Equal(t, n, fetches.Load(), "not fetched again")
		require.Equal(t, stored, countMedia(t, e, a.tenant), "no second copy stored")
	})
	before := countMessages(t, e, a.tenant)
	t.Run("Refused", func(t *testing.T) {
		for _, c := range []struct {
			name, field string
			fields      map[string]any
		}{
			{"TypeMismatch", "body.type", map[string]any{"media_id": img.ID, "type": "video"}},
			{"OtherTenantsFile", "body.media_id", map[string]any{"media_id": bImg.ID}},
			{"UnknownFile", "body.media_id", map[string]any{"media_id": uuid.New()}},
			{"URLNotFound", "body.media_url", map[string]any{"media_url": files.URL + "/nothing.pdf"}},
			{"URLRefused", "body.media_url", map[string]any{"media_url": "http://169.254.169.254/latest/meta-data"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				p := post(t, e.URL(), "/api/v1/messages", key, body(c.fields)).requireProblem(t, http.StatusUnprocessableEntity)
				require.Contains(t, fieldErrors(t, p), c.field)
				require.NotContains(t, fmt.Sprint(p), "bravo")
			})
		}
		// Refused for another field, a send with media_url fetches and stores nothing.
		n, stored := fetches.Load(), countMedia(t, e, a.tenant)
		p := post(t, e.URL(), "/api/v1/messages", key, body(map[string]any{"media_url": files.URL + "/invoice-1042.pdf", "to": "12",
			"reply_to": "nothing"})).requireProblem(t, http.StatusUnprocessableEntity)
		errs := fieldErrors(t, p)
		require.Contains(t, errs, "body.to")
		require.Contains(t, errs, "body.reply_to")
		require.Len(t, errs, 2, "the file it could not know of is no error")
		require.Equal(t, n, fetches.Load(), "not fetched")
		require.Equal(t, stored, countMedia(t, e, a.tenant), "nothing stored")
		// Refused after the fetch (the file is a PDF, the type says video): the fetched file is not kept.
		p = post(t, e.URL(), "/api/v1/messages", key, body(map[string]any{"media_url": files.URL + "/invoice-1042.pdf",
			"type": "video"})).requireProblem(t, http.StatusUnprocessableEntity)
		require.Contains(t, fieldErrors(t, p), "body.type")
		require.Equal(t, n+1, fetches.Load(), "fetched")
		require.Equal(t, stored, countMedia(t, e, a.tenant), "and not kept")
		// Another tenant's file is worded as one that does not exist.
		other := post(t, e.URL(), "/api/v1/messages", key, body(map[string]any{"media_id": bImg.ID}))
		unknown := post(t, e.URL(), "/api/v1/messages", key, body(map[string]any{"media_id": uuid.New()}))
		require.Equal(t, unknown.Body, other.Body)
	})
	require.Equal(t, before, countMessages(t, e, a.tenant), "refused sends store no message")
}
