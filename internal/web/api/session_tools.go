package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/message"
)

// Group is a WhatsApp group the session's account is in.
type Group struct {
	JID          string `json:"jid" doc:"The group's address: send to it with to." example:"120363025246125486@g.us"`
	Name         string `json:"name" doc:"The group's subject." example:"Acme customers"`
	Participants int    `json:"participants" doc:"How many members it has." example:"42"`
	AnnounceOnly bool   `json:"announce_only" doc:"Only admins may send to it; a send from a non-admin account fails." example:"false"`
}

// GroupList is the session's groups.
type GroupList struct {
	Data       []Group `json:"data" nullable:"false" doc:"The groups, in WhatsApp's order."`
	NextCursor string  `json:"next_cursor" doc:"Always empty: one page holds every group." example:""`
}

// NumberCheck is the answer for one number.
type NumberCheck struct {
	Input      string `json:"input" doc:"The number as given." example:"+1 415 555 0123"`
	Phone      string `json:"phone" doc:"The number in E.164; empty when the input is not a valid number." example:"+14155550123"`
	OnWhatsApp bool   `json:"on_whatsapp" doc:"Whether the number has a WhatsApp account." example:"true"`
	JID        string `json:"jid" doc:"The account's canonical address (send to it, or to the number); empty when not on WhatsApp." example:"14155550123@s.whatsapp.net"`
	Error      string `json:"error" doc:"Why the input could not be checked; empty when it was." example:""`
}

// NumberCheckList is the answer of a number check, in the order asked.
type NumberCheckList struct {
	Data []NumberCheck `json:"data" nullable:"false" doc:"One entry per number asked, in the same order."`
}

type checkNumbersInput struct {
	SessionID uuid.UUID `path:"session_id" format:"uuid" doc:"The session's id."`
	Body      struct {
		Numbers []string `json:"numbers" minItems:"1" maxItems:"50" doc:"At most 50 (each is a lookup WhatsApp counts). Phone numbers in any common format (numbers without a country code get the workspace's default country)." example:"[\"+1 415 555 0123\",\"030 1234567\"]"`
	}
}

type groupListOutput struct{ Body GroupList }

type numberCheckOutput struct{ Body NumberCheckList }

type sessionToolHandlers struct{ svc *message.Service }

func registerSessionTools(a huma.API, d Deps) {
	h := sessionToolHandlers{svc: d.Messages}
	const one = "/sessions/{session_id}"
	tags := []string{tagSessions}
	huma.Register(a, operation(huma.Operation{OperationID: "list-session-groups", Method: http.MethodGet, Path: one + "/groups", Tags: tags,
		Errors: []int{http.StatusNotFound, http.StatusConflict}, Summary: "List the session's groups",
		Description: "The WhatsApp groups the session's account is in, asked of WhatsApp now. 409 when the session is not connected."}, auth.ScopeRead), h.groups)
	huma.Register(a, operation(huma.Operation{OperationID: "check-numbers", Method: http.MethodPost, Path: one + "/check-numbers", Tags: tags,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}, Summary: "Check numbers on WhatsApp",
		Description: "Asks WhatsApp which of up to 50 numbers have an account. Checks are paced like sends (WhatsApp watches lookups as it watches messages): when the session's pace does not allow one now the answer is 429 with Retry-After. 409 when the session is not connected."}, auth.ScopeSend), h.checkNumbers)
	const notConnected = "The session is not linked, or not connected right now (see its status)."
	describe(a.OpenAPI().Paths[one+"/groups"].Get, http.StatusConflict, notConnected, nil)
	describe(a.OpenAPI().Paths[one+"/check-numbers"].Post, http.StatusConflict, notConnected, nil)
	describe(a.OpenAPI().Paths[one+"/check-numbers"].Post, http.StatusTooManyRequests,
		"The API rate limit, or the session's pace: number checks are paced like sends. Wait Retry-After seconds.", nil)
}

func (h sessionToolHandlers) groups(ctx context.Context, in *sessionIDPath) (*groupListOutput, error) {
	groups, err := h.svc.Groups(ctx, auth.TenantID(ctx), in.SessionID)
	if err != nil {
		return nil, err
	}
	out := &groupListOutput{Body: GroupList{Data: make([]Group, 0, len(groups))}}
	for _, g := range groups {
		out.Body.Data = append(out.Body.Data, Group{JID: g.JID.String(), Name: g.Name, Participants: g.Participants, AnnounceOnly: g.AnnounceOnly})
	}
	return out, nil
}

func (h sessionToolHandlers) checkNumbers(ctx context.Context, in *checkNumbersInput) (*numberCheckOutput, error) {
	results, err := h.svc.CheckNumbers(ctx, auth.TenantID(ctx), in.SessionID, in.Body.Numbers)
	if err != nil {
		return nil, err
	}
	out := &numberCheckOutput{Body: NumberCheckList{Data: make([]NumberCheck, 0, len(results))}}
	for _, r := range results {
		out.Body.Data = append(out.Body.Data, NumberCheck{Input: r.Input, Phone: r.Phone, OnWhatsApp: r.OnWhatsApp, JID: r.JID, Error: r.Error})
	}
	return out, nil
}
