package web

import (
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/web/httpx"
)

// A caller-supplied X-Request-ID is kept only when it looks like an id, so logs cannot be polluted.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestContext gives every request an id (kept from a trusted X-Request-ID, otherwise new), puts it in
// the user context and the response, and writes one access log line once the request is done.
func (s *Server) requestContext(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get(fiber.HeaderXRequestID)
	if !requestIDPattern.MatchString(id) {
		id = uuid.NewString()
	} else {
		id = strings.Clone(id) // Fiber reuses the header's memory after the handler returns
	}
	c.Set(fiber.HeaderXRequestID, id)
	ip := s.proxies.ClientAddress(c.Context().RemoteIP(), c.Get(fiber.HeaderXForwardedFor))
	c.SetUserContext(httpx.WithClientIP(httpx.WithRequestID(c.UserContext(), id), ip))

	err := c.Next()
	if err != nil {
		// Run the error handler now, so the logged status is the one the client gets.
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	path := c.Path()
	if !quietPath(path) {
		s.log.InfoContext(c.UserContext(), "http request", "method", c.Method(), "path", path,
			"status", c.Response().StatusCode(), "duration_ms", time.Since(start).Milliseconds(),
			"request_id", id, "ip", ip)
	}
	return nil
}

// quietPath marks probes and assets, which would drown the access log.
func quietPath(p string) bool {
	return p == "/healthz" || p == "/readyz" || strings.HasPrefix(p, "/static/")
}
