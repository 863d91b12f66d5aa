package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
)

// Problem is what a failed request tells its caller: the status and RFC 9457's title and detail, the
// fields at fault (422), and how long to wait (429).
type Problem struct {
	Status     int
	Title      string
	Detail     string
	Fields     map[string]string
	RetryAfter time.Duration
	// Extensions are RFC 9457 extension members beside the standard ones, such as the quota a 429
	// ran into. Keys are snake_case JSON names; values must marshal to JSON.
	Extensions map[string]any
}

// sentinels maps domain errors to what the caller is told. The detail is the error's own text,
// written for users, with its first letter raised.
var sentinels = []struct {
	err    error
	status int
}{
	{auth.ErrInvalidCredentials, fiber.StatusUnauthorized},
	{auth.ErrInvalidCode, fiber.StatusUnauthorized},
	{auth.ErrInvalidKey, fiber.StatusUnauthorized},
	{auth.ErrForbidden, fiber.StatusForbidden},
	{auth.ErrSignupClosed, fiber.StatusForbidden},
	{auth.ErrTenantSuspended, fiber.StatusForbidden},
	{auth.ErrTenantPending, fiber.StatusForbidden},
	{auth.ErrNotFound, fiber.StatusNotFound},
	{auth.ErrInvalidLink, fiber.StatusNotFound},
	{auth.ErrLastOwner, fiber.StatusConflict},
	{auth.ErrMailDisabled, fiber.StatusConflict},
	{tenant.ErrNotFound, fiber.StatusNotFound},
	{tenant.ErrPlanNotFound, fiber.StatusNotFound},
	{tenant.ErrInvalidStatus, fiber.StatusConflict},
	{session.ErrNotFound, fiber.StatusNotFound},
	{session.ErrNotPaired, fiber.StatusConflict},
	{session.ErrAlreadyPaired, fiber.StatusConflict},
	{session.ErrNoQRCode, fiber.StatusConflict},
	{session.ErrNotSupported, fiber.StatusNotFound}, // the simulator's pages do not exist without it
	{message.ErrNotFound, fiber.StatusNotFound},
	{message.ErrSessionNotFound, fiber.StatusNotFound}, // a session id in the path (groups, number checks)
	{message.ErrNotCancelable, fiber.StatusConflict},
	{message.ErrIdempotencyRunning, fiber.StatusConflict},
	// The key was used for another request: the request is wrong as sent (RFC draft
	// ietf-httpapi-idempotency-key-header answers 422), not in conflict with a state that may change.
	{message.ErrIdempotencyMismatch, fiber.StatusUnprocessableEntity},
	{message.ErrSessionNotPaired, fiber.StatusConflict},
	// 409, not 503: the session's own state (its phone offline, reconnecting, logged out) stops the
	// request, not a failure of ours. The client should look at the session (GET /sessions/{id}),
	// and the answer must not count as a server error in anybody's monitoring.
	{message.ErrSessionUnavailable, fiber.StatusConflict},
	{media.ErrNotFound, fiber.StatusNotFound},
	{media.ErrTooLarge, fiber.StatusRequestEntityTooLarge},
	{media.ErrStorageQuota, fiber.StatusRequestEntityTooLarge},
	{media.ErrUnsupportedType, fiber.StatusUnsupportedMediaType},
	{media.ErrNotReady, fiber.StatusConflict},
	{media.ErrLinkExpired, fiber.StatusGone},
}

// Sentence makes an error text a sentence for users: first letter raised, full stop at the end.
func Sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// ProblemFor maps err to what the caller may see. It is the one table from errors to status codes:
// pages (Fiber's ErrorHandler) and the JSON API both go through it. Domain packages add their
// sentinels here, never HTTP codes of their own. 5xx are logged here, once, and their cause is hidden.
func ProblemFor(ctx context.Context, log *slog.Logger, err error) Problem {
	var fe *fiber.Error
	var ve *validate.Errors
	var te *auth.ThrottledError
	var le *session.LimitError
	var qe *message.QuotaError
	var pe *message.PacedError
	if errors.As(err, &le) { // the plan's number, not the sentinel's generic text
		return Problem{Status: fiber.StatusConflict, Title: "Conflict", Detail: Sentence(le.Error())}
	}
	for _, m := range sentinels {
		if errors.Is(err, m.err) {
			detail := m.err.Error()
			var re *media.RefusedError // the plan's numbers or the file's type, in words
			if errors.As(err, &re) {
				detail = re.Detail
			}
			return Problem{Status: m.status, Title: http.StatusText(m.status), Detail: Sentence(detail)}
		}
	}
	switch {
	case errors.As(err, &ve):
		return Problem{Status: fiber.StatusUnprocessableEntity, Title: "Unprocessable Entity",
			Detail: "Some fields need your attention.", Fields: ve.Fields}
	case errors.As(err, &te):
		secs := int(math.Ceil(te.RetryAfter.Seconds()))
		return Problem{Status: fiber.StatusTooManyRequests, Title: "Too Many Requests", RetryAfter: te.RetryAfter,
			Detail: fmt.Sprintf("Too many failed attempts. Wait %d seconds, then try again.", max(secs, 1))}
	case errors.As(err, &qe):
		// The quota is in the body too, so that a client can show it without parsing the detail.
		return Problem{Status: fiber.StatusTooManyRequests, Title: "Too Many Requests", RetryAfter: qe.RetryAfter,
			Detail: Sentence(qe.Error()), Extensions: map[string]any{"limit": qe.Limit, "used": qe.Used,
				"resets_at": time.Now().Add(qe.RetryAfter).UTC().Round(time.Second).Format(time.RFC3339)}}
	case errors.As(err, &pe):
		return Problem{Status: fiber.StatusTooManyRequests, Title: "Too Many Requests", RetryAfter: pe.RetryAfter,
			Detail: Sentence(pe.Error())}
	case errors.As(err, &fe):
		return Problem{Status: fe.Code, Title: http.StatusText(fe.Code), Detail: publicDetail(fe)}
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this answer, and it is not our failure.
		return Problem{Status: 499, Title: "Client Closed Request"}
	case overloaded(err):
		log.ErrorContext(ctx, "database refused a connection", "err", err, "request_id", RequestID(ctx))
		return Problem{Status: fiber.StatusServiceUnavailable, Title: "Service Unavailable", RetryAfter: overloadRetry,
			Detail: "The server is busy right now. Please try again in a few seconds."}
	case errors.Is(err, context.DeadlineExceeded):
		log.ErrorContext(ctx, "request timed out", "err", err, "request_id", RequestID(ctx))
		return Problem{Status: fiber.StatusServiceUnavailable, Title: "Service Unavailable",
			Detail: "The server took too long to answer. Please try again."}
	}
	log.ErrorContext(ctx, "request failed", "err", err, "request_id", RequestID(ctx))
	return Problem{Status: fiber.StatusInternalServerError, Title: "Internal Server Error",
		Detail: "Something went wrong on our side. It has been logged; please try again."}
}

// overloadRetry is the Retry-After of an answer given while Postgres refuses connections.
const overloadRetry = 5 * time.Second

// overloaded reports whether Postgres refused a connection because it has too many (SQLSTATE 53300
// too_many_connections) or is starting or stopping (57P03 cannot_connect_now): a moment's condition
// that deserves 503 and a Retry-After, not a 500. The driver's error carries the code through
// SQLState(), so the web layer needs no database import to see it.
func overloaded(err error) bool {
	var se interface{ SQLState() string }
	if !errors.As(err, &se) {
		return false
	}
	switch se.SQLState() {
	case "53300", "57P03":
		return true
	}
	return false
}

// publicDetail keeps Fiber's own messages, which say what the client did wrong, but not the bare
// status text repeated.
func publicDetail(fe *fiber.Error) string {
	if fe.Message == http.StatusText(fe.Code) {
		return ""
	}
	return fe.Message
}
