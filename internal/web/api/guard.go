package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/httpx"
)

// Rate limit headers (draft-ietf-httpapi-ratelimit-headers), on every answer past authentication.
const (
	headerLimit     = "RateLimit-Limit"
	headerRemaining = "RateLimit-Remaining"
	headerReset     = "RateLimit-Reset"
	headerPolicy    = "RateLimit-Policy"
)

// WWW-Authenticate challenges (RFC 6750): without a key, and with one that is not valid.
const (
	challengeMissing = `Bearer realm="wagate"`
	challengeInvalid = `Bearer realm="wagate", error="invalid_token"`
)

// guard runs before every operation: it authenticates the key, spends one request of the tenant's
// per-minute allowance, checks the operation's scope, and hands the operation a context carrying
// the key, the tenant and the audit actor. It answers refusals itself, as problem+json.
type guard struct {
	log     *slog.Logger
	keys    *auth.APIKeys
	limiter *ratelimit.Limiter
	plans   *planLimits
}

type logKey struct{}

func (g *guard) handle(hctx huma.Context, next func(huma.Context)) {
	c := humafiber.Unwrap(hctx)
	ctx := context.WithValue(hctx.Context(), logKey{}, g.log) // for Huma's errors (errors.go)
	raw := presentedKey(c)
	if raw == "" {
		c.Set(fiber.HeaderWWWAuthenticate, challengeMissing)
		_ = httpx.WriteProblem(c, httpx.Problem{Status: http.StatusUnauthorized, Title: http.StatusText(http.StatusUnauthorized),
			Detail: "Send an API key as \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\". Create keys in the portal under API keys."})
		return
	}
	k, err := g.keys.Authenticate(ctx, raw)
	if err != nil {
		g.refuse(ctx, c, err)
		return
	}
	ctx = auth.WithKey(auth.WithTenant(ctx, k.TenantID), k)
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorAPIKey, ID: &k.ID, IP: httpx.ClientIP(c.UserContext()),
		UserAgent: string(c.Request().Header.UserAgent())})
	if !g.spend(ctx, c, k.TenantID) {
		return
	}
	if scope, _ := hctx.Operation().Metadata[scopeKey].(string); scope != "" && !k.Has(scope) {
		_ = httpx.WriteProblem(c, httpx.Problem{Status: http.StatusForbidden, Title: http.StatusText(http.StatusForbidden),
			Detail: fmt.Sprintf("This API key lacks the %q scope. Create a key with it in the portal under API keys.", scope)})
		return
	}
	next(huma.WithContext(hctx, ctx))
}

// presentedKey returns the key from "Authorization: Bearer <key>", else from X-API-Key, else "".
func presentedKey(c *fiber.Ctx) string {
	if h := strings.TrimSpace(c.Get(fiber.HeaderAuthorization)); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return strings.TrimSpace(c.Get("X-API-Key"))
}

// refuse answers a failed authentication through the one error table.
func (g *guard) refuse(ctx context.Context, c *fiber.Ctx, err error) {
	if errors.Is(err, auth.ErrInvalidKey) {
		c.Set(fiber.HeaderWWWAuthenticate, challengeInvalid)
	}
	_ = httpx.WriteProblem(c, httpx.ProblemFor(ctx, g.log, err))
}

// spend takes one request from the tenant's allowance (shared by every instance through Redis)
// and sets the rate limit headers. It answers 429 and returns false when the allowance is spent.
// When Redis cannot answer, the request goes through and the failure is logged: a cache outage
// must not take the whole API down with it.
func (g *guard) spend(ctx context.Context, c *fiber.Ctx, tenantID uuid.UUID) bool {
	n, err := g.plans.limit(ctx, tenantID)
	if errors.Is(err, tenant.ErrNotFound) {
		err = auth.ErrInvalidKey // the key's tenant is gone
	}
	if err != nil {
		g.refuse(ctx, c, err)
		return false
	}
	res, err := g.limiter.PerMinute(ctx, "api:"+tenantID.String(), n)
	if err != nil {
		g.log.ErrorContext(ctx, "api rate limit unavailable, request let through", "err", err, "tenant_id", tenantID)
		return true
	}
	c.Set(headerLimit, strconv.Itoa(res.Limit))
	c.Set(headerRemaining, strconv.Itoa(res.Remaining))
	c.Set(headerReset, httpx.RetryAfterSeconds(res.ResetAfter))
	c.Set(headerPolicy, strconv.Itoa(res.Limit)+";w=60")
	if res.Allowed {
		return true
	}
	_ = httpx.WriteProblem(c, httpx.Problem{Status: http.StatusTooManyRequests, Title: http.StatusText(http.StatusTooManyRequests),
		RetryAfter: res.RetryAfter, Detail: fmt.Sprintf("This workspace's plan allows %d API requests a minute. Wait %s, then try again.",
			res.Limit, seconds(httpx.RetryAfterSeconds(res.RetryAfter)))})
	return false
}

func seconds(n string) string {
	if n == "1" {
		return "1 second"
	}
	return n + " seconds"
}

// planLimitTTL is how long a tenant's requests-per-minute stays cached in this process, so that a
// request does not read the plan from Postgres every time. A plan change reaches every instance
// within it.
const planLimitTTL = 5 * time.Second

// planLimits caches each tenant's API requests per minute.
type planLimits struct {
	tenants *tenant.Service
	mu      sync.Mutex
	m       map[uuid.UUID]cachedLimit
}

type cachedLimit struct {
	n       int
	expires time.Time
}

func newPlanLimits(t *tenant.Service) *planLimits {
	return &planLimits{tenants: t, m: map[uuid.UUID]cachedLimit{}}
}

func (p *planLimits) limit(ctx context.Context, tenantID uuid.UUID) (int, error) {
	now := time.Now()
	p.mu.Lock()
	cl, ok := p.m[tenantID]
	p.mu.Unlock()
	if ok && now.Before(cl.expires) {
		return cl.n, nil
	}
	t, err := p.tenants.Get(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	n := max(int(t.Plan.APIRequestsPerMinute), 1)
	p.mu.Lock()
	if len(p.m) > 100_000 {
		clear(p.m) // bounded memory, however many tenants pass through
	}
	p.m[tenantID] = cachedLimit{n: n, expires: now.Add(planLimitTTL)}
	p.mu.Unlock()
	return n, nil
}
