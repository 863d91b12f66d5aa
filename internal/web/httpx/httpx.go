// Package httpx holds the small HTTP helpers every handler package shares: rendering templ components,
// redirects that understand htmx, the request id, and the one table that maps errors to status codes.
// It is a leaf: it imports no handler package, so portal, admin and api can all import it.
package httpx

import (
	"context"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
)

// Render writes component as an HTML response with the given status.
func Render(c *fiber.Ctx, status int, component templ.Component) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return component.Render(c.UserContext(), c.Response().BodyWriter())
}

// IsHTMX reports whether the request came from htmx, which wants a fragment rather than a page.
func IsHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// Redirect sends the browser to url after a form post: HX-Redirect for htmx, 303 See Other otherwise.
func Redirect(c *fiber.Ctx, url string) error {
	if IsHTMX(c) {
		c.Set("HX-Redirect", url)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(url, fiber.StatusSeeOther)
}

type ctxKey int

const requestIDKey ctxKey = iota

// WithRequestID returns ctx carrying the request id, for logs written far from the handler.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}
