package web

import (
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
)

// loginMiddleware is scs for Fiber. scs is written for net/http, and its LoadAndSave wrapped by
// Fiber's adaptor commits before Fiber's handlers run (DESIGN.md traps), so this does what
// LoadAndSave does with Fiber's own request and response: Load the login named by the cookie into
// the user context, run the handler, then Commit (or expire the cookie) if the login changed, and
// return the handler's error.
func loginMiddleware(l *auth.Logins) fiber.Handler {
	sm := l.SM
	return func(c *fiber.Ctx) error {
		ctx, err := sm.Load(c.UserContext(), c.Cookies(sm.Cookie.Name))
		if err != nil {
			return err
		}
		c.SetUserContext(ctx)
		herr := c.Next()
		// The error handler runs later; commit now so a page rendered for an error still carries the
		// login's changes (a flash, a renewed token).
		switch sm.Status(ctx) {
		case scs.Modified:
			token, expiry, err := sm.Commit(ctx)
			if err != nil {
				return err
			}
			setLoginCookie(c, sm, token, expiry)
		case scs.Destroyed:
			setLoginCookie(c, sm, "", time.Unix(1, 0))
		}
		c.Vary(fiber.HeaderCookie)
		// Pages that show a secret once set no-store themselves; keep theirs.
		if len(c.Response().Header.Peek(fiber.HeaderCacheControl)) == 0 {
			c.Set(fiber.HeaderCacheControl, `no-cache="Set-Cookie"`)
		}
		return herr
	}
}

func setLoginCookie(c *fiber.Ctx, sm *scs.SessionManager, token string, expiry time.Time) {
	ck := &fiber.Cookie{
		Name:     sm.Cookie.Name,
		Value:    token,
		Path:     sm.Cookie.Path,
		Domain:   sm.Cookie.Domain,
		Secure:   sm.Cookie.Secure,
		HTTPOnly: sm.Cookie.HttpOnly,
		SameSite: fiber.CookieSameSiteLaxMode,
	}
	if token == "" {
		ck.Expires = time.Unix(1, 0)
		ck.MaxAge = -1
	} else if sm.Cookie.Persist {
		ck.Expires = expiry.UTC()
		ck.MaxAge = int(time.Until(expiry).Seconds() + 1)
	}
	c.Cookie(ck)
}
