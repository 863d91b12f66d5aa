package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// Problem is what a failed request tells its caller: the status and RFC 9457's title and detail.
type Problem struct {
	Status int
	Title  string
	Detail string
}

// ProblemFor maps err to what the caller may see. It is the one table from errors to status codes:
// pages (Fiber's ErrorHandler) and the JSON API both go through it. Domain packages add their
// sentinels here, never HTTP codes of their own. 5xx are logged here, once, and their cause is hidden.
func ProblemFor(ctx context.Context, log *slog.Logger, err error) Problem {
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		return Problem{Status: fe.Code, Title: http.StatusText(fe.Code), Detail: publicDetail(fe)}
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this answer, and it is not our failure.
		return Problem{Status: 499, Title: "Client Closed Request"}
	case errors.Is(err, context.DeadlineExceeded):
		log.ErrorContext(ctx, "request timed out", "err", err, "request_id", RequestID(ctx))
		return Problem{Status: fiber.StatusServiceUnavailable, Title: "Service Unavailable",
			Detail: "The server took too long to answer. Please try again."}
	}
	log.ErrorContext(ctx, "request failed", "err", err, "request_id", RequestID(ctx))
	return Problem{Status: fiber.StatusInternalServerError, Title: "Internal Server Error",
		Detail: "Something went wrong on our side. It has been logged; please try again."}
}

// publicDetail keeps Fiber's own messages, which say what the client did wrong, but not the bare
// status text repeated.
func publicDetail(fe *fiber.Error) string {
	if fe.Message == http.StatusText(fe.Code) {
		return ""
	}
	return fe.Message
}
