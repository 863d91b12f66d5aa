package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/web/httpx"
)

const tagSessions = "Sessions"

// pairCodeWait is how long POST …/pairing-code waits for the holder to produce the code before it
// answers 202 with the session to poll.
const pairCodeWait = 3 * time.Second

// Session is a linked WhatsApp number.
type Session struct {
	ID                uuid.UUID  `json:"id" format:"uuid" doc:"The session's id." example:"01966b10-3c4d-7e5f-8a6b-7c8d9e0f1a2b"`
	Name              string     `json:"name" doc:"The name it was given." example:"Sales line"`
	Status            string     `json:"status" enum:"new,pairing,connecting,connected,disconnected,parked,logged_out,banned,failed" doc:"new: never paired, or the pairing window closed. pairing: a QR code or pairing code is on screen. connecting, connected. disconnected: the link dropped; reconnecting with backoff. parked: stopped after repeated failures or by the operator; reconnect it. logged_out: unlinked; pair again. banned: WhatsApp's temporary ban. failed: refused in a way retrying cannot fix." example:"connected"`
	StatusReason      string     `json:"status_reason" doc:"What happened and what to do, in words." example:"Connected."`
	StatusChangedAt   time.Time  `json:"status_changed_at" doc:"When the status last changed." example:"2025-05-01T09:31:00Z"`
	Phone             string     `json:"phone" doc:"The linked number in international digits; empty until paired." example:"4915123456789"`
	PushName          string     `json:"push_name" doc:"The name the account shows in WhatsApp." example:"Acme Sales"`
	Paired            bool       `json:"paired" doc:"Whether a device is linked." example:"true"`
	HolderInstanceID  *uuid.UUID `json:"holder_instance_id" format:"uuid" nullable:"true" doc:"The server instance holding the session's connection now; null when none does." example:"01966b11-4d5e-7f60-9b7c-8d9e0f1a2b3c"`
	PairMethod        string     `json:"pair_method" enum:",qr,code" doc:"How the last pairing was asked for: qr or code." example:"qr"`
	QRExpiresAt       *time.Time `json:"qr_expires_at" nullable:"true" doc:"While pairing by QR: until when the current code (GET …/qr) is valid." example:"2025-05-01T09:31:20Z"`
	PairCode          string     `json:"pair_code" doc:"While pairing by phone: the code to enter on the phone." example:"ABCD-1234"`
	PairCodeExpiresAt *time.Time `json:"pair_code_expires_at" nullable:"true" doc:"Until when the pairing code can be entered." example:"2025-05-01T09:33:40Z"`
	ConnectedAt       *time.Time `json:"connected_at" nullable:"true" doc:"When it last connected." example:"2025-05-01T09:31:00Z"`
	CreatedAt         time.Time  `json:"created_at" doc:"When it was created." example:"2025-05-01T09:30:00Z"`
}

// SessionList is a page of sessions.
type SessionList struct {
	Data       []Session `json:"data" nullable:"false" doc:"The sessions, oldest first."`
	NextCursor string    `json:"next_cursor" doc:"Pass as cursor for the next page; empty on the last page." example:""`
}

// QR is the QR code on screen, as the string WhatsApp encodes in it.
type QR struct {
	QR        string     `json:"qr" doc:"The QR code's content: draw it as a QR code (or fetch …/qr.png)." example:"2@AbCdEf…,…"`
	ExpiresAt *time.Time `json:"expires_at" nullable:"true" doc:"Until when this code is valid; WhatsApp rotates it." example:"2025-05-01T09:31:20Z"`
}

type sessionIDPath struct {
	SessionID uuid.UUID `path:"session_id" format:"uuid" doc:"The session's id."`
}

type listSessionsInput struct {
	Cursor string `query:"cursor" doc:"From a previous page's next_cursor."`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"100" doc:"At most this many sessions."`
}

type createSessionInput struct {
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"60" doc:"A name to recognise the number by." example:"Sales line"`
	}
}

type pairInput struct {
	SessionID uuid.UUID `path:"session_id" format:"uuid" doc:"The session's id."`
	Body      *struct {
		Phone string `json:"phone,omitempty" doc:"Pair by a code for this number (international format) instead of a QR code." example:"+49 151 23456789"`
	}
}

type pairCodeInput struct {
	SessionID uuid.UUID `path:"session_id" format:"uuid" doc:"The session's id."`
	Body      struct {
		Phone string `json:"phone" minLength:"1" doc:"The number to link, in international format." example:"+49 151 23456789"`
	}
}

type sessionOutput struct {
	Status int
	Body   Session
}

type sessionListOutput struct{ Body SessionList }

type qrOutput struct{ Body QR }

type qrPNGOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

type sessionHandlers struct{ svc *session.Service }

func registerSessions(a huma.API, d Deps) {
	h := sessionHandlers{svc: d.Sessions}
	const base, one = "/sessions", "/sessions/{session_id}"
	tags := []string{tagSessions}
	huma.Register(a, operation(huma.Operation{OperationID: "list-sessions", Method: http.MethodGet, Path: base, Tags: tags,
		Summary: "List sessions", Description: "The workspace's WhatsApp sessions, oldest first."}, auth.ScopeRead), h.list)
	huma.Register(a, operation(huma.Operation{OperationID: "create-session", Method: http.MethodPost, Path: base, Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
		Summary: "Create a session", Description: "Creates a session (status new), within the plan's session limit (409 past it). Pair it next: POST …/pair or …/pairing-code."}, auth.ScopeManage), h.create)
	huma.Register(a, operation(huma.Operation{OperationID: "get-session", Method: http.MethodGet, Path: one, Tags: tags,
		Errors: []int{http.StatusNotFound}, Summary: "Get a session"}, auth.ScopeRead), h.get)
	huma.Register(a, operation(huma.Operation{OperationID: "get-session-qr", Method: http.MethodGet, Path: one + "/qr", Tags: tags,
		Errors: []int{http.StatusNotFound, http.StatusConflict}, Summary: "Get the QR code",
		Description: "The QR code on screen while pairing by QR (after POST …/pair), as a string. WhatsApp rotates it about every 20 s; 409 when no code is on screen, with the session's status reason."}, auth.ScopeManage), h.qr)
	huma.Register(a, operation(huma.Operation{OperationID: "get-session-qr-png", Method: http.MethodGet, Path: one + "/qr.png", Tags: tags,
		Errors: []int{http.StatusNotFound, http.StatusConflict}, Summary: "Get the QR code as a PNG image",
		Responses: map[string]*huma.Response{"200": {Description: "The QR code.", Content: map[string]*huma.MediaType{"image/png": {Schema: &huma.Schema{Type: huma.TypeString, Format: "binary"}}}}}}, auth.ScopeManage), h.qrPNG)
	huma.Register(a, operation(huma.Operation{OperationID: "pair-session", Method: http.MethodPost, Path: one + "/pair", Tags: tags,
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}, Summary: "Start pairing",
		Description: "Starts pairing by QR code (no phone) or by pairing code (phone). Answers 202 with the session; follow GET …/qr or the session's pair_code."}, auth.ScopeManage), h.pair)
	huma.Register(a, operation(huma.Operation{OperationID: "request-pairing-code", Method: http.MethodPost, Path: one + "/pairing-code", Tags: tags,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}, Summary: "Pair by phone number",
		Description: "Asks WhatsApp for a pairing code for the number. Answers 200 with the session carrying pair_code when the code came within a few seconds, else 202 with the session: poll GET …/{session_id} until pair_code is set."}, auth.ScopeManage), h.pairCode)
	huma.Register(a, operation(huma.Operation{OperationID: "reconnect-session", Method: http.MethodPost, Path: one + "/reconnect", Tags: tags,
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusNotFound, http.StatusConflict}, Summary: "Reconnect a session",
		Description: "Connects the session again now, whatever its state (parked, failed, banned, disconnected). 409 when it is not paired."}, auth.ScopeManage), h.reconnect)
	huma.Register(a, operation(huma.Operation{OperationID: "logout-session", Method: http.MethodPost, Path: one + "/logout", Tags: tags,
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusNotFound, http.StatusConflict}, Summary: "Log a session out",
		Description: "Unlinks the device, on WhatsApp too, and wipes its keys. The session stays (logged_out), ready to pair again."}, auth.ScopeManage), h.logout)
	huma.Register(a, operation(huma.Operation{OperationID: "delete-session", Method: http.MethodDelete, Path: one, Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound}, Summary: "Delete a session",
		Description: "Logs the session out when connected, wipes its device keys even when offline, and removes it."}, auth.ScopeManage), h.delete)
}

func (h sessionHandlers) list(ctx context.Context, _ *listSessionsInput) (*sessionListOutput, error) {
	list, err := h.svc.List(ctx, auth.TenantID(ctx))
	if err != nil {
		return nil, err
	}
	// A plan allows few sessions: one page holds them all, and next_cursor is always empty.
	out := &sessionListOutput{Body: SessionList{Data: make([]Session, 0, len(list))}}
	for _, s := range list {
		out.Body.Data = append(out.Body.Data, sessionOf(s))
	}
	return out, nil
}

func (h sessionHandlers) create(ctx context.Context, in *createSessionInput) (*sessionOutput, error) {
	s, err := h.svc.Create(ctx, auth.TenantID(ctx), in.Body.Name)
	if err != nil {
		return nil, err
	}
	return &sessionOutput{Status: http.StatusCreated, Body: sessionOf(s)}, nil
}

func (h sessionHandlers) get(ctx context.Context, in *sessionIDPath) (*sessionOutput, error) {
	s, err := h.svc.Get(ctx, auth.TenantID(ctx), in.SessionID)
	if err != nil {
		return nil, err
	}
	return &sessionOutput{Status: http.StatusOK, Body: sessionOf(s)}, nil
}

func (h sessionHandlers) qr(ctx context.Context, in *sessionIDPath) (*qrOutput, error) {
	s, err := h.currentQR(ctx, in.SessionID)
	if err != nil {
		return nil, err
	}
	return &qrOutput{Body: QR{QR: s.QR, ExpiresAt: s.QRExpiresAt}}, nil
}

func (h sessionHandlers) qrPNG(ctx context.Context, in *sessionIDPath) (*qrPNGOutput, error) {
	s, err := h.currentQR(ctx, in.SessionID)
	if err != nil {
		return nil, err
	}
	png, err := httpx.QRPNG(s.QR)
	if err != nil {
		return nil, err
	}
	return &qrPNGOutput{ContentType: "image/png", CacheControl: "no-store", Body: png}, nil
}

// currentQR is the session when a QR code is on screen; 409 with the status reason otherwise.
func (h sessionHandlers) currentQR(ctx context.Context, id uuid.UUID) (session.Session, error) {
	s, err := h.svc.Get(ctx, auth.TenantID(ctx), id)
	if err != nil {
		return s, err
	}
	if s.Status != session.StatusPairing || s.QR == "" {
		detail := "No QR code is on screen (status " + s.Status + "): " + s.StatusReason
		if s.Status != session.StatusPairing {
			detail += " Start pairing with POST /sessions/{session_id}/pair."
		}
		return s, huma.Error409Conflict(detail)
	}
	return s, nil
}

func (h sessionHandlers) pair(ctx context.Context, in *pairInput) (*sessionOutput, error) {
	phone := ""
	if in.Body != nil {
		phone = in.Body.Phone
	}
	s, err := h.svc.RequestPair(ctx, auth.TenantID(ctx), in.SessionID, phone)
	if err != nil {
		return nil, err
	}
	return &sessionOutput{Status: http.StatusAccepted, Body: sessionOf(s)}, nil
}

func (h sessionHandlers) pairCode(ctx context.Context, in *pairCodeInput) (*sessionOutput, error) {
	tenantID := auth.TenantID(ctx)
	s, err := h.svc.RequestPair(ctx, tenantID, in.SessionID, in.Body.Phone)
	if err != nil {
		return nil, err
	}
	// The holder asks WhatsApp for the code; it usually comes within a second.
	deadline := time.Now().Add(pairCodeWait)
	for s.PairCode == "" && s.Status == session.StatusPairing && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if s, err = h.svc.Get(ctx, tenantID, in.SessionID); err != nil {
			return nil, err
		}
	}
	if s.PairCode == "" {
		return &sessionOutput{Status: http.StatusAccepted, Body: sessionOf(s)}, nil
	}
	return &sessionOutput{Status: http.StatusOK, Body: sessionOf(s)}, nil
}

func (h sessionHandlers) reconnect(ctx context.Context, in *sessionIDPath) (*sessionOutput, error) {
	s, err := h.svc.Reconnect(ctx, auth.TenantID(ctx), in.SessionID)
	if err != nil {
		return nil, err
	}
	return &sessionOutput{Status: http.StatusAccepted, Body: sessionOf(s)}, nil
}

func (h sessionHandlers) logout(ctx context.Context, in *sessionIDPath) (*sessionOutput, error) {
	s, err := h.svc.Logout(ctx, auth.TenantID(ctx), in.SessionID)
	if err != nil {
		return nil, err
	}
	return &sessionOutput{Status: http.StatusAccepted, Body: sessionOf(s)}, nil
}

func (h sessionHandlers) delete(ctx context.Context, in *sessionIDPath) (*struct{}, error) {
	return nil, h.svc.Delete(ctx, auth.TenantID(ctx), in.SessionID)
}

func sessionOf(s session.Session) Session {
	out := Session{ID: s.ID, Name: s.Name, Status: s.Status, StatusReason: s.StatusReason, StatusChangedAt: s.StatusChangedAt.UTC(),
		Phone: s.Phone, PushName: s.PushName, Paired: s.Paired(), HolderInstanceID: s.Holder, PairMethod: s.PairMethod,
		ConnectedAt: s.ConnectedAt, CreatedAt: s.CreatedAt.UTC()}
	if s.Status == session.StatusPairing {
		out.QRExpiresAt, out.PairCode, out.PairCodeExpiresAt = s.QRExpiresAt, s.PairCode, s.PairCodeExpiresAt
	}
	return out
}
