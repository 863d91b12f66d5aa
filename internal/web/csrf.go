package web

import (
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/httpx"
)

// errCSRF is answered 403 with a page that tells the user what to do.
var errCSRF = fiber.NewError(fiber.StatusForbidden, "This form has expired or did not come from Wagate. Reload the page and try again.")

// csrfMiddleware protects every state-changing portal and console request with a synchronizer token:
// the login (scs, server-side) holds a random token; forms send it as _csrf and htmx as X-CSRF-Token;
// a request whose token is missing or different is refused. A browser's Sec-Fetch-Site saying
// cross-site is refused too. The REST API is exempt: it authenticates with keys, never cookies.
func csrfMiddleware(l *auth.Logins) fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		if strings.HasPrefix(c.Path(), "/api/") {
			return c.Next()
		}
		if c.Get("Sec-Fetch-Site") == "cross-site" {
			return errCSRF
		}
		want := l.ExistingCSRFToken(c.UserContext())
		got := c.Get(httpx.CSRFHeader)
		if got == "" {
			got = c.FormValue(httpx.CSRFField)
		}
		if want == "" || len(got) != len(want) || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return errCSRF
		}
		return c.Next()
	}
}
