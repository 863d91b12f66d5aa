// Package web is the HTTP role: the Fiber app, its middleware, the error handler, and the routes of
// the portal, the operator console and the REST API. Handlers parse, call one service and render;
// they hold no SQL and no WhatsApp or queue code.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/outbox"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/admin"
	"github.com/wagate/wagate/internal/web/api"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/internal/web/portal"
	"github.com/wagate/wagate/internal/web/signin"
	"github.com/wagate/wagate/static"
	"github.com/wagate/wagate/views/home"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
)

// Check reports whether one dependency answers; /readyz runs them all.
type Check func(ctx context.Context) error

// Deps is what the HTTP role needs from main.
type Deps struct {
	Log            *slog.Logger
	Version        string
	Checks         map[string]Check
	TrustedProxies []string
	// BodyLimit is the largest request body accepted by any route (the largest upload a plan allows).
	BodyLimit int
	Services  Services
	BaseURL   string
}

// Services are the domain services the handlers call.
type Services struct {
	Users       *auth.Service
	Operators   *auth.Operators
	APIKeys     *auth.APIKeys
	Logins      *auth.Logins
	Tenants     *tenant.Service
	Limiter     *ratelimit.Limiter
	MailEnabled bool
	// Sessions is the WhatsApp session service (every role has one; the host role also runs the host).
	// It also says whether WhatsApp is simulated, and then simulates QR scans for the portal.
	Sessions *session.Service
	// Audit reads the audit log; Instances lists the live instances (the console's overview).
	Audit     *audit.Log
	Instances *cluster.Directory
	// Messages sends and lists messages; Media stores files; Feed streams the events outbox to live pages.
	Messages *message.Service
	Media    *media.Service
	Feed     *outbox.Feed
}

// Server is the HTTP role.
type Server struct {
	App     *fiber.App
	log     *slog.Logger
	svc     Services
	proxies httpx.Proxies
	// stopStreams ends open SSE streams: Fiber's Shutdown waits for them otherwise (DESIGN.md traps).
	stopStreams context.CancelFunc
}

// New builds the Fiber app with every route.
func New(d Deps) *Server {
	if d.BodyLimit == 0 {
		d.BodyLimit = 4 << 20
	}
	s := &Server{log: d.Log, svc: d.Services, proxies: httpx.ParseProxies(d.TrustedProxies)}
	streams, stopStreams := context.WithCancel(context.Background())
	s.stopStreams = stopStreams
	app := fiber.New(fiber.Config{
		AppName:               "wagate",
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		BodyLimit:             d.BodyLimit,
		// Multipart bodies are parsed by the handlers that take them (media uploads stream the file part
		// to disk and see its file name as sent), not by fasthttp for every request before routing.
		DisablePreParseMultipartForm: true,
		ReadTimeout:                  30 * time.Second,
		WriteTimeout:                 60 * time.Second,
		IdleTimeout:                  120 * time.Second,
		// Fiber's own proxy handling would hand out the client-written left end of X-Forwarded-For;
		// the client address is resolved once per request by requestContext instead.
		EnableTrustedProxyCheck: len(d.TrustedProxies) > 0,
		TrustedProxies:          d.TrustedProxies,
	})
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	app.Use(s.requestContext)

	app.Use("/static", staticCache, filesystem.New(filesystem.Config{Root: http.FS(static.FS())}))
	h := health{checks: d.Checks}
	app.Get("/healthz", h.alive)
	app.Get("/readyz", h.ready)

	api.Register(app, api.Deps{Log: d.Log, Keys: d.Services.APIKeys, Tenants: d.Services.Tenants,
		Limiter: d.Services.Limiter, Version: d.Version, BaseURL: d.BaseURL, Sessions: d.Services.Sessions,
		Messages: d.Services.Messages, Media: d.Services.Media})
	app.Get(media.FilesPath+":token", s.mediaFile) // local-disk media links: the signed token is the credential

	// Everything below is for browsers: logins (scs in Postgres), CSRF on every state change, and
	// the principal (user or operator) in the user context.
	app.Use(actorMiddleware, loginMiddleware(d.Services.Logins), csrfMiddleware(d.Services.Logins), s.loadPrincipal)

	app.Get(paths.Home, func(c *fiber.Ctx) error {
		mode, err := d.Services.Tenants.SignupMode(c.UserContext())
		if err != nil {
			return err
		}
		return httpx.Render(c, fiber.StatusOK, home.Index(home.Page{Version: d.Version, SignupOpen: mode != tenant.SignupInvite}))
	})
	signin.Register(app, signin.Deps{Log: d.Log, Users: d.Services.Users, Logins: d.Services.Logins,
		Tenants: d.Services.Tenants, MailEnabled: d.Services.MailEnabled})

	portalGroup := app.Group(paths.App, requireUser, s.tenantGate)
	portal.Register(portalGroup, portal.Deps{Log: d.Log, Audit: d.Services.Audit, Users: d.Services.Users, Keys: d.Services.APIKeys,
		Logins: d.Services.Logins, Tenants: d.Services.Tenants, MailEnabled: d.Services.MailEnabled,
		BaseURL: d.BaseURL, Sessions: d.Services.Sessions,
		Streams: streams, Messages: d.Services.Messages, Media: d.Services.Media, Feed: d.Services.Feed})

	adminDeps := admin.Deps{Log: d.Log, Audit: d.Services.Audit, Instances: d.Services.Instances, Operators: d.Services.Operators,
		Users: d.Services.Users, Logins: d.Services.Logins, Tenants: d.Services.Tenants, Sessions: d.Services.Sessions}
	admin.RegisterPublic(app.Group(paths.Admin), adminDeps)
	admin.Register(app.Group(paths.Admin, s.requireOperator), adminDeps)

	// Anything no route claimed gets our own 404 page rather than Fiber's "Cannot GET".
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	s.App = app
	return s
}

// Shutdown ends the open SSE streams, stops accepting connections and waits up to timeout for
// requests in flight.
func (s *Server) Shutdown(timeout time.Duration) error {
	s.stopStreams()
	return s.App.ShutdownWithTimeout(timeout)
}

// staticCache lets browsers keep versioned assets (static.URL adds ?v=<hash>) for a year.
func staticCache(c *fiber.Ctx) error {
	if c.Query("v") != "" {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	return c.Next()
}

// handleError is Fiber's ErrorHandler: every page error goes through httpx.ProblemFor.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	p := httpx.ProblemFor(c.UserContext(), s.log, err)
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, httpx.RetryAfterSeconds(p.RetryAfter))
	}
	if wantsJSON(c) {
		return httpx.WriteProblem(c, p) // the same problem+json shape as the REST API's own errors
	}
	return httpx.Render(c, p.Status, layout.ErrorPage(layout.ErrorPageModel{
		Status: p.Status, Title: p.Title, Detail: p.Detail, RequestID: httpx.RequestID(c.UserContext()),
	}))
}

func wantsJSON(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Path(), "/api/") || c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.ErrorContext(c.UserContext(), "panic in handler", "panic", e, "path", c.Path(),
		"request_id", httpx.RequestID(c.UserContext()))
}
