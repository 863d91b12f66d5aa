// Package api is the REST API under /api/v1: Huma on Fiber (OpenAPI 3.1 at /api/v1/openapi.json,
// RFC 9457 errors), authenticated by API keys, limited per tenant across all instances.
//
// Every operation is registered through registerOperations with operation(), which names the scope
// it needs; the guard middleware authenticates the key, applies the tenant's plan limit and checks
// that scope before any operation runs, and puts the key, the tenant and the audit actor into the
// context. Handlers take the tenant from that context only (auth.TenantID), never from the request.
//
// The routes are Fiber routes like any other: app.GetRoutes lists them (with Fiber's ":param"
// syntax), and Routes lists the operations with the scope each one needs.
package api

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/tenant"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// OpenAPIPath is the OpenAPI 3.1 document; Huma also serves it as YAML (OpenAPIPath without .json
// + ".yaml") and downgraded to 3.0 ("-3.0.json", "-3.0.yaml") for tools that lack 3.1.
const OpenAPIPath = Prefix + "/openapi.json"

// Deps is what the API needs; every field is required.
type Deps struct {
	Log     *slog.Logger
	Keys    *auth.APIKeys
	Tenants *tenant.Service
	Limiter *ratelimit.Limiter
	Version string
	BaseURL string
	// Sessions is the WhatsApp session service.
	Sessions *session.Service
	// Messages is the message service: sends, the message log, groups and number checks.
	Messages *message.Service
	// Media is the media service: uploads, URL fetches, download links.
	Media *media.Service
}

// Register mounts the API on app: the operations and OpenAPI documents under Prefix, then a
// problem+json 404 (or 405 with Allow) for anything else under Prefix. It must be called before
// any browser middleware (logins, CSRF): the API never reads cookies.
func Register(app *fiber.App, d Deps) {
	installErrors()
	a := newAPI(app, d)
	g := &guard{log: d.Log, keys: d.Keys, limiter: d.Limiter, plans: newPlanLimits(d.Tenants)}
	a.UseMiddleware(g.handle) // before the operations: Huma binds middlewares when one is registered
	registerOperations(a, d)
	app.Use(Prefix, unmatched(a))
}

// registerOperations registers every operation. Add new resources here.
func registerOperations(a huma.API, d Deps) {
	registerMe(a, d)
	registerSessions(a, d)
	registerMessages(a, d)
	registerSessionTools(a, d)
	registerMedia(a, d)
}

// newAPI builds the Huma API on the Prefix group of app: the document's metadata, security schemes
// and OpenAPI routes, but no operations and no guard yet.
func newAPI(app *fiber.App, d Deps) huma.API {
	cfg := huma.DefaultConfig("Wagate API", d.Version)
	cfg.DocsPath = ""     // Huma's page loads its UI from a CDN; the portal serves one from npm
	cfg.SchemasPath = ""  // schemas are in the document already
	cfg.CreateHooks = nil // no "$schema" links in bodies: every answer and problem has one shape
	cfg.OpenAPIPath = strings.TrimSuffix(strings.TrimPrefix(OpenAPIPath, Prefix), ".json")
	cfg.Info.Description = description
	cfg.Servers = []*huma.Server{{URL: strings.TrimRight(d.BaseURL, "/") + Prefix, Description: "This Wagate server"}}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		schemeBearer: {Type: "http", Scheme: "bearer", Description: "An API key from the portal, as `Authorization: Bearer wg_…`."},
		schemeHeader: {Type: "apiKey", In: "header", Name: "X-API-Key", Description: "An API key from the portal, as `X-API-Key: wg_…`."},
	}
	cfg.Security = []map[string][]string{{schemeBearer: {}}, {schemeHeader: {}}}
	cfg.Tags = []*huma.Tag{{Name: tagAccount, Description: "The workspace of the key: its plan and what it uses of it."},
		{Name: tagSessions, Description: "WhatsApp numbers linked to the workspace: create, pair by QR code or phone code, reconnect, log out, delete; their groups, and which numbers are on WhatsApp."},
		{Name: tagMessages, Description: "Send messages (text, media, locations, contact cards; now or at a time), follow their status, list what was sent and received, cancel what has not gone out."}}
	cfg.OnAddOperation = append(cfg.OnAddOperation, documentResponses)
	return humafiber.NewWithGroup(app, app.Group(Prefix), cfg)
}

const description = `Send and receive WhatsApp messages from your own software.

## Authentication
Create a key in the portal under **API keys** and send it with every request, either as
` + "`Authorization: Bearer wg_…`" + ` or as ` + "`X-API-Key: wg_…`" + `. A key carries scopes (` + "`read`, `send`, `manage`" + `);
each operation names the scope it needs. A missing, unknown or revoked key gets ` + "`401`" + `; a key of a suspended
workspace gets ` + "`403`" + `.

## Rate limits
Your plan sets how many requests a minute your workspace may make, across all of its keys. Every
authenticated answer carries ` + "`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`" + ` (seconds until the
allowance is whole again). Past the limit the answer is ` + "`429`" + ` with ` + "`Retry-After`" + ` in seconds.

## Errors
Errors are RFC 9457 problem details (` + "`application/problem+json`" + `) with ` + "`type`, `title`, `status`" + ` and
` + "`detail`" + `. Invalid fields are listed in ` + "`errors`" + `, each with its ` + "`location`" + ` (such as ` + "`body.name`" + `) and a ` + "`message`" + `.`

// Route is one API operation.
type Route struct {
	Method      string
	Path        string // full path in Fiber's syntax, as app.GetRoutes reports it: /api/v1/sessions/:id
	OperationID string
	Scope       string // the key scope the operation needs
}

// Routes lists every API operation, sorted by path and method: the same registration as Register,
// on a throwaway app. (The OpenAPI documents, which need no key, are not operations.)
func Routes() []Route {
	a := newAPI(fiber.New(), Deps{})
	registerOperations(a, Deps{})
	var out []Route
	for p, item := range a.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Options, item.Head, item.Patch, item.Trace} {
			if op == nil {
				continue
			}
			scope, _ := op.Metadata[scopeKey].(string)
			out = append(out, Route{Method: op.Method, Path: Prefix + fiberPath(p), OperationID: op.OperationID, Scope: scope})
		}
	}
	slices.SortFunc(out, func(a, b Route) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return out
}

// fiberPath turns OpenAPI's {param} into Fiber's :param.
func fiberPath(p string) string {
	return strings.NewReplacer("{", ":", "}", "").Replace(p)
}
