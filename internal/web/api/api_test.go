package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web"
	"github.com/wagate/wagate/internal/web/api"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// workspace is a signed-up tenant with its owner.
type workspace struct {
	owner  auth.CurrentUser
	tenant uuid.UUID
}

func signup(t *testing.T, e *webtest.Env, name string) workspace {
	t.Helper()
	ctx := context.Background()
	lower := strings.ToLower(name)
	u, tn, err := e.Services.Users.Signup(ctx, auth.SignupInput{Company: name + " Corp", Name: name + " Owner",
		Email: lower + "-owner@example.com", Password: "owner password " + lower})
	require.NoError(t, err)
	owner, err := e.Services.Users.Current(ctx, u.ID)
	require.NoError(t, err)
	return workspace{owner: owner, tenant: tn.ID}
}

func newKey(t *testing.T, e *webtest.Env, w workspace, name string, scopes ...string) auth.Created {
	t.Helper()
	k, err := e.Services.APIKeys.Create(context.Background(), w.owner, auth.CreateKeyInput{Name: name, Scopes: scopes})
	require.NoError(t, err)
	return k
}

// response is a finished API request.
type response struct {
	Status int
	Header http.Header
	Body   string
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.Body), &m), r.Body)
	return m
}

// requireProblem checks that r is an RFC 9457 problem of status in Huma's shape, and returns it.
func (r response) requireProblem(t *testing.T, status int) map[string]any {
	t.Helper()
	require.Equal(t, status, r.Status, r.Body)
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	p := r.json(t)
	require.Equal(t, "about:blank", p["type"])
	require.Equal(t, http.StatusText(status), p["title"])
	require.Equal(t, float64(status), p["status"])
	require.NotEmpty(t, p["detail"])
	for k := range p {
		require.Contains(t, []string{"type", "title", "status", "detail", "instance", "errors"}, k, "unexpected member in %s", r.Body)
	}
	return p
}

// call sends method path to the server at base with headers (name, value pairs).
func call(t *testing.T, base, method, path string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func bearer(secret string) []string { return []string{"Authorization", "Bearer " + secret} }

// secondInstance serves another app on the same Postgres and Redis as e, with services of its own
// (its own key cache, plan cache and Redis connection), like a second wagate instance.
func secondInstance(t *testing.T, e *webtest.Env) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	rdb := redis.NewClient(e.Redis.Options())
	t.Cleanup(func() { _ = rdb.Close() })
	svc := e.Services
	svc.APIKeys = auth.NewAPIKeys(e.Pool, log)
	svc.Tenants = tenant.NewService(e.Pool)
	svc.Limiter = ratelimit.New(rdb)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	srv := web.New(web.Deps{Log: log, Version: "second", Services: svc, BaseURL: base})
	go func() { _ = srv.App.Listener(ln) }()
	t.Cleanup(func() { _ = srv.App.Shutdown() })
	return base
}

// within polls check every 25 ms until it holds, and fails unless that happened within limit.
func within(t *testing.T, limit time.Duration, what string, check func() bool) {
	t.Helper()
	start := time.Now()
	for !check() {
		if time.Since(start) > limit+time.Second {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	took := time.Since(start)
	require.LessOrEqual(t, took, limit, "%s took %s", what, took)
}

func TestMe(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	ctx := context.Background()
	alpha := signup(t, e, "Alpha")
	bravo := signup(t, e, "Bravo")
	inv, err := e.Services.Users.Invite(ctx, alpha.owner, "alpha-member@example.com", auth.RoleMember)
	require.NoError(t, err)
	_, err = e.Services.Users.AcceptInvitation(ctx, inv.Link[strings.LastIndex(inv.Link, "/")+1:], "Alpha Member", "member password alpha")
	require.NoError(t, err)
	keyA := newKey(t, e, alpha, "Order system", auth.ScopeRead, auth.ScopeSend)
	old := newKey(t, e, alpha, "Old", auth.ScopeRead)
	require.NoError(t, e.Services.APIKeys.Revoke(ctx, alpha.tenant, old.Key.ID))
	keyB := newKey(t, e, bravo, "Bravo key", auth.ScopeRead)
	tA, err := e.Services.Tenants.Get(ctx, alpha.tenant)
	require.NoError(t, err)

	t.Run("Bearer", func(t *testing.T) {
		r := call(t, e.URL(), http.MethodGet, "/api/v1/me", bearer(keyA.Secret)...)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var got api.Me
		require.NoError(t, json.Unmarshal([]byte(r.Body), &got))
		require.Equal(t, api.Tenant{ID: alpha.tenant, Name: "Alpha Corp", Status: "active", Timezone: "UTC",
			DefaultCountry: "US", CreatedAt: tA.CreatedAt.UTC()}, got.Tenant)
		p := tA.Plan
		require.Equal(t, api.Plan{ID: p.ID, Name: p.Name, MaxSessions: p.MaxSessions, MessagesPerDay: p.MessagesPerDay,
			SendRatePerMinute: p.SendRatePerMinute, SendDelayMinMs: p.DelayMinMs, SendDelayMaxMs: p.DelayMaxMs,
			MaxCampaignRecipients: p.MaxCampaignSize, MaxMediaBytes: p.MaxMediaBytes, StorageQuotaBytes: p.StorageQuotaBytes,
			APIRequestsPerMinute: p.APIRequestsPerMinute, MaxWebhookEndpoints: p.MaxWebhookEndpoints}, got.Plan)
		require.Equal(t, api.Usage{Members: 2, ActiveAPIKeys: 1}, got.Usage, "owner and member; the revoked key does not count")
		require.Equal(t, api.APIKey{ID: keyA.Key.ID, Name: "Order system", Scopes: []string{"read", "send"}}, got.Key)
		// Every member of the answer, by its JSON name.
		m := r.json(t)
		require.ElementsMatch(t, []string{"tenant", "plan", "usage", "key"}, keys(m))
		require.ElementsMatch(t, []string{"id", "name", "status", "timezone", "default_country", "created_at"}, keys(m["tenant"]))
		require.ElementsMatch(t, []string{"id", "name", "max_sessions", "messages_per_day", "send_rate_per_minute",
			"send_delay_min_ms", "send_delay_max_ms", "max_campaign_recipients", "max_media_bytes", "storage_quota_bytes",
			"api_requests_per_minute", "max_webhook_endpoints"}, keys(m["plan"]))
		require.ElementsMatch(t, []string{"members", "active_api_keys"}, keys(m["usage"]))
		require.ElementsMatch(t, []string{"id", "name", "scopes"}, keys(m["key"]))
		for _, f := range []string{bravo.tenant.String(), "Bravo", keyB.Key.ID.String()} {
			require.NotContains(t, r.Body, f, "A's answer shows B's data")
		}
	})

	t.Run("XAPIKey", func(t *testing.T) {
		r := call(t, e.URL(), http.MethodGet, "/api/v1/me", "X-API-Key", keyA.Secret)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		var got api.Me
		require.NoError(t, json.Unmarshal([]byte(r.Body), &got))
		require.Equal(t, alpha.tenant, got.Tenant.ID)
		require.Equal(t, keyA.Key.ID, got.Key.ID)
	})

	t.Run("OtherTenantSeesOnlyItself", func(t *testing.T) {
		r := call(t, e.URL(), http.MethodGet, "/api/v1/me", bearer(keyB.Secret)...)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		var got api.Me
		require.NoError(t, json.Unmarshal([]byte(r.Body), &got))
		require.Equal(t, bravo.tenant, got.Tenant.ID)
		require.Equal(t, "Bravo Corp", got.Tenant.Name)
		require.Equal(t, api.Usage{Members: 1, ActiveAPIKeys: 1}, got.Usage)
		for _, f := range []string{alpha.tenant.String(), "Alpha", keyA.Key.ID.String(), "Order system"} {
			require.NotContains(t, r.Body, f, "B's answer shows A's data")
		}
	})

	t.Run("RateLimitHeaders", func(t *testing.T) {
		r := call(t, e.URL(), http.MethodGet, "/api/v1/me", bearer(keyA.Secret)...)
		require.Equal(t, http.StatusOK, r.Status)
		require.Equal(t, strconv.Itoa(int(tA.Plan.APIRequestsPerMinute)), r.Header.Get("RateLimit-Limit"))
		rem, err := strconv.Atoi(r.Header.Get("RateLimit-Remaining"))
		require.NoError(t, err)
		require.Less(t, rem, int(tA.Plan.APIRequestsPerMinute))
		reset, err := strconv.Atoi(r.Header.Get("RateLimit-Reset"))
		require.NoError(t, err)
		require.GreaterOrEqual(t, reset, 1)
	})

	t.Run("MissingScope", func(t *testing.T) {
		sendOnly := newKey(t, e, alpha, "Sender", auth.ScopeSend)
		r := call(t, e.URL(), http.MethodGet, "/api/v1/me", bearer(sendOnly.Secret)...)
		p := r.requireProblem(t, http.StatusForbidden)
		require.Contains(t, p["detail"], `"read" scope`)
		require.NotEmpty(t, r.Header.Get("RateLimit-Limit"), "an authenticated answer carries the limit")
	})

	t.Run("LastUsedWritten", func(t *testing.T) {
		fresh := newKey(t, e, alpha, "Fresh", auth.ScopeRead)
		require.Nil(t, fresh.Key.LastUsedAt)
		before := time.Now()
		require.Equal(t, http.StatusOK, call(t, e.URL(), http.MethodGet, "/api/v1/me", bearer(fresh.Secret)...).Status)
		e.Services.APIKeys.Flush(ctx)
		row, err := store.New(e.Pool).APIKeyGet(ctx, store.APIKeyGetParams{TenantID: alpha.tenant, ID: fresh.Key.ID})
		require.NoError(t, err)
		require.NotNil(t, row.LastUsedAt)
		require.WithinDuration(t, before, *row.LastUsedAt, 5*time.Second)
	})
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	ctx := context.Background()
	w := signup(t, e, "Alpha")
	revoked := newKey(t, e, w, "Revoked", auth.ScopeRead)
	require.NoError(t, e.Services.APIKeys.Revoke(ctx, w.tenant, revoked.Key.ID))
	unknown := newKey(t, e, w, "Deleted", auth.ScopeRead)
	_, err := e.Pool.Exec(ctx, `DELETE FROM api_keys WHERE id = $1`, unknown.Key.ID) // a well-formed key nobody has
	require.NoError(t, err)
	live := newKey(t, e, w, "Live", auth.ScopeRead)

	for _, tc := range []struct {
		name    string
		headers []string
		detail  string
	}{
		{"Missing", nil, "Send an API key"},
		{"OtherScheme", []string{"Authorization", "Basic " + live.Secret}, "Send an API key"},
		{"EmptyBearer", []string{"Authorization", "Bearer "}, "Send an API key"},
		{"Malformed", bearer("wg_not-a-key"), "Invalid or revoked API key."},
		{"BadChecksum", bearer(withLastChar(live.Secret)), "Invalid or revoked API key."},
		{"Unknown", bearer(unknown.Secret), "Invalid or revoked API key."},
		{"UnknownAsHeader", []string{"X-API-Key", unknown.Secret}, "Invalid or revoked API key."},
		{"Revoked", bearer(revoked.Secret), "Invalid or revoked API key."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, e.URL(), http.MethodGet, "/api/v1/me", tc.headers...)
			p := r.requireProblem(t, http.StatusUnauthorized)
			require.Contains(t, p["detail"], tc.detail)
			require.True(t, strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer "), r.Header.Get("WWW-Authenticate"))
			require.Empty(t, r.Header.Get("RateLimit-Limit"), "no tenant, no tenant limit")
		})
	}

	t.Run("BearerIsCaseInsensitive", func(t *testing.T) {
		require.Equal(t, http.StatusOK, call(t, e.URL(), http.MethodGet, "/api/v1/me", "Authorization", "bearer "+live.Secret).Status)
	})
}

// TestRevocation_ReachesEveryInstance revokes a key on one instance and shows that another
// instance, which had the key cached, refuses it within a second.
func TestRevocation_ReachesEveryInstance(t *testing.T) {
	e := webtest.New(t, nil)
	ctx := context.Background()
	w := signup(t, e, "Alpha")
	k := newKey(t, e, w, "Key", auth.ScopeRead)
	other := secondInstance(t, e)
	require.Equal(t, http.StatusOK, call(t, e.URL(), http.MethodGet, "/api/v1/me", bearer(k.Secret)...).Status)
	require.Equal(t, http.StatusOK, call(t, other, http.MethodGet, "/api/v1/me", bearer(k.Secret)...).Status, "cached on the other instance now")

	require.NoError(t, e.Services.APIKeys.Revoke(ctx, w.tenant, k.Key.ID))
	call(t, e.URL(), http.MethodGet, "/api/v1/me", bearer(k.Secret)...).requireProblem(t, http.StatusUnauthorized)
	// 1 s of cache; the margin is for 2 cores under -race.
	within(t, 1250*time.Millisecond, "revocation on the other instance", func() bool {
		return call(t, other, http.MethodGet, "/api/v1/me", bearer(k.Secret)...).Status == http.StatusUnauthorized
	})
	call(t, other, http.MethodGet, "/api/v1/me", bearer(k.Secret)...).requireProblem(t, http.StatusUnauthorized)
}

// TestSuspension_StopsKeys suspends a tenant: its keys get 403 within a second on every instance,
// and work again within a second of reactivation.
func TestSuspension_StopsKeys(t *testing.T) {
	e := webtest.New(t, nil)
	ctx := context.Background()
	w := signup(t, e, "Alpha")
	k := newKey(t, e, w, "Key", auth.ScopeRead)
	other := secondInstance(t, e)
	for _, base := range []string{e.URL(), other} {
		require.Equal(t, http.StatusOK, call(t, base, http.MethodGet, "/api/v1/me", bearer(k.Secret)...).Status)
	}

	require.NoError(t, e.Services.Tenants.Suspend(ctx, w.tenant, "unpaid invoice"))
	for _, base := range []string{e.URL(), other} {
		within(t, 1250*time.Millisecond, "suspension", func() bool {
			return call(t, base, http.MethodGet, "/api/v1/me", bearer(k.Secret)...).Status == http.StatusForbidden
		})
		p := call(t, base, http.MethodGet, "/api/v1/me", bearer(k.Secret)...).requireProblem(t, http.StatusForbidden)
		require.Equal(t, "This workspace is suspended.", p["detail"])
	}

	require.NoError(t, e.Services.Tenants.Reactivate(ctx, w.tenant))
	for _, base := range []string{e.URL(), other} {
		within(t, 1250*time.Millisecond, "reactivation", func() bool {
			return call(t, base, http.MethodGet, "/api/v1/me", bearer(k.Secret)...).Status == http.StatusOK
		})
	}
}

func TestPendingTenant(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	require.NoError(t, e.Services.Tenants.SetSignupMode(context.Background(), tenant.SignupApproval))
	w := signup(t, e, "Alpha")
	k := newKey(t, e, w, "Key", auth.ScopeRead)
	p := call(t, e.URL(), http.MethodGet, "/api/v1/me", bearer(k.Secret)...).requireProblem(t, http.StatusForbidden)
	require.Equal(t, "This workspace is awaiting approval.", p["detail"])
}

// TestRateLimit puts a tenant on a plan of 5 requests a minute and spends them on two instances:
// the sixth is refused wherever it lands, and another tenant is not affected.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	ctx := context.Background()
	w := signup(t, e, "Alpha")
	plan, err := e.Services.Tenants.CreatePlan(ctx, tenant.PlanInput{Name: "Tiny", MaxSessions: 1, MessagesPerDay: 10,
		SendRatePerMinute: 1, DelayMaxMs: 1000, MaxCampaignSize: 10, MaxMediaBytes: 1 << 20, StorageQuotaBytes: 1 << 20,
		APIRequestsPerMinute: 5, MaxWebhookEndpoints: 1})
	require.NoError(t, err)
	require.NoError(t, e.Services.Tenants.ChangePlan(ctx, w.tenant, plan.ID))
	k := newKey(t, e, w, "Key", auth.ScopeRead)
	bystander := newKey(t, e, signup(t, e, "Bravo"), "Key", auth.ScopeRead)
	other := secondInstance(t, e)

	instances := []string{e.URL(), other}
	for i := range 5 {
		r := call(t, instances[i%2], http.MethodGet, "/api/v1/me", bearer(k.Secret)...)
		require.Equal(t, http.StatusOK, r.Status, "request %d: %s", i+1, r.Body)
		require.Equal(t, "5", r.Header.Get("RateLimit-Limit"))
		require.Equal(t, strconv.Itoa(4-i), r.Header.Get("RateLimit-Remaining"), "request %d", i+1)
		require.Equal(t, "5;w=60", r.Header.Get("RateLimit-Policy"))
	}
	for _, base := range instances {
		r := call(t, base, http.MethodGet, "/api/v1/me", bearer(k.Secret)...)
		p := r.requireProblem(t, http.StatusTooManyRequests)
		require.Contains(t, p["detail"], "allows 5 API requests a minute")
		retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
		require.NoError(t, err)
		require.True(t, retry >= 1 && retry <= 12, "one request every 12 s: Retry-After %d", retry)
		require.Equal(t, "5", r.Header.Get("RateLimit-Limit"))
		require.Equal(t, "0", r.Header.Get("RateLimit-Remaining"))
		require.NotEmpty(t, r.Header.Get("RateLimit-Reset"))
	}
	require.Equal(t, http.StatusOK, call(t, e.URL(), http.MethodGet, "/api/v1/me", bearer(bystander.Secret)...).Status,
		"the limit is per tenant")
}

func TestOpenAPI(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)

	r := call(t, e.URL(), http.MethodGet, "/api/v1/openapi.json")
	require.Equal(t, http.StatusOK, r.Status, "the document needs no key")
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title, Version, Description string
		} `json:"info"`
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Security   []map[string][]string `json:"security"`
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			SecuritySchemes map[string]map[string]string `json:"securitySchemes"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.Body), &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3.1"), doc.OpenAPI)
	require.Equal(t, "Wagate API", doc.Info.Title)
	require.Equal(t, "webtest", doc.Info.Version)
	require.Contains(t, doc.Info.Description, "Authorization: Bearer")
	require.Equal(t, e.URL()+"/api/v1", doc.Servers[0].URL)
	require.Equal(t, map[string]string{"type": "http", "scheme": "bearer",
		"description": doc.Components.SecuritySchemes["bearer"]["description"]}, doc.Components.SecuritySchemes["bearer"])
	require.Equal(t, "apiKey", doc.Components.SecuritySchemes["apiKey"]["type"])
	require.Equal(t, "header", doc.Components.SecuritySchemes["apiKey"]["in"])
	require.Equal(t, "X-API-Key", doc.Components.SecuritySchemes["apiKey"]["name"])
	require.ElementsMatch(t, []map[string][]string{{"bearer": {}}, {"apiKey": {}}}, doc.Security)

	var me struct {
		OperationID string                `json:"operationId"`
		Security    []map[string][]string `json:"security"`
		Responses   map[string]struct {
			Headers map[string]any `json:"headers"`
			Content map[string]any `json:"content"`
		} `json:"responses"`
	}
	require.Contains(t, doc.Paths, "/me")
	require.NoError(t, json.Unmarshal(doc.Paths["/me"]["get"], &me))
	require.Equal(t, "get-me", me.OperationID)
	require.ElementsMatch(t, []map[string][]string{{"bearer": {"read"}}, {"apiKey": {"read"}}}, me.Security)
	for _, code := range []string{"200", "401", "403", "429", "500"} {
		require.Contains(t, me.Responses, code)
	}
	require.Contains(t, me.Responses["200"].Content, "application/json")
	require.Contains(t, me.Responses["429"].Content, "application/problem+json")
	require.Contains(t, me.Responses["429"].Headers, "Retry-After")
	require.Contains(t, me.Responses["200"].Headers, "RateLimit-Remaining")
	require.Contains(t, me.Responses["401"].Headers, "WWW-Authenticate")
	example := me.Responses["401"].Content["application/problem+json"].(map[string]any)["example"]
	require.Equal(t, map[string]any{"type": "about:blank", "title": "Unauthorized", "status": float64(401),
		"detail": "Invalid or revoked API key."}, example, "problems are documented with real examples")
	require.Contains(t, r.Body, `"examples":["Acme Trading"]`, "the schemas carry examples")

	y := call(t, e.URL(), http.MethodGet, "/api/v1/openapi.yaml")
	require.Equal(t, http.StatusOK, y.Status)
	require.Contains(t, y.Body, "openapi: 3.1")

	t.Run("RoutesMatchTheApp", func(t *testing.T) {
		routes := api.Routes()
		scopes := map[string]string{}
		for _, rt := range routes {
			scopes[rt.Method+" "+rt.Path] = rt.OperationID + " " + rt.Scope
		}
		require.Equal(t, map[string]string{
			"GET /api/v1/me":                                  "get-me read",
			"GET /api/v1/sessions":                            "list-sessions read",
			"POST /api/v1/sessions":                           "create-session manage",
			"GET /api/v1/sessions/:session_id":                "get-session read",
			"DELETE /api/v1/sessions/:session_id":             "delete-session manage",
			"GET /api/v1/sessions/:session_id/qr":             "get-session-qr manage",
			"GET /api/v1/sessions/:session_id/qr.png":         "get-session-qr-png manage",
			"POST /api/v1/sessions/:session_id/pair":          "pair-session manage",
			"POST /api/v1/sessions/:session_id/pairing-code":  "request-pairing-code manage",
			"POST /api/v1/sessions/:session_id/reconnect":     "reconnect-session manage",
			"POST /api/v1/sessions/:session_id/logout":        "logout-session manage",
			"POST /api/v1/media":                              "create-media send",
			"GET /api/v1/media/:id":                           "get-media read",
			"POST /api/v1/messages":                           "send-message send",
			"GET /api/v1/messages":                            "list-messages read",
			"GET /api/v1/messages/:id":                        "get-message read",
			"POST /api/v1/messages/:id/cancel":                "cancel-message send",
			"GET /api/v1/sessions/:session_id/groups":         "list-session-groups read",
			"POST /api/v1/sessions/:session_id/check-numbers": "check-numbers send",
		}, scopes)
		registered := map[string]bool{}
		for _, fr := range e.Server.App.GetRoutes(true) {
			registered[fr.Method+" "+fr.Path] = true
		}
		for _, rt := range routes {
			require.True(t, registered[rt.Method+" "+rt.Path], "%s %s is served", rt.Method, rt.Path)
			// Every operation needs a key.
			call(t, e.URL(), rt.Method, rt.Path).requireProblem(t, http.StatusUnauthorized)
		}
	})
}

func TestUnmatched(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)

	t.Run("UnknownRoute", func(t *testing.T) {
		r := call(t, e.URL(), http.MethodGet, "/api/v1/nothing/here")
		p := r.requireProblem(t, http.StatusNotFound)
		require.Contains(t, p["detail"], "/api/v1/openapi.json")
	})
	t.Run("WrongMethod", func(t *testing.T) {
		r := call(t, e.URL(), http.MethodPost, "/api/v1/me")
		r.requireProblem(t, http.StatusMethodNotAllowed)
		require.Equal(t, "GET", r.Header.Get("Allow"))
	})
	t.Run("WrongMethodOnDocument", func(t *testing.T) {
		r := call(t, e.URL(), http.MethodDelete, "/api/v1/openapi.json")
		r.requireProblem(t, http.StatusMethodNotAllowed)
		require.Equal(t, "GET", r.Header.Get("Allow"))
	})
	t.Run("SameShapeAsOperations", func(t *testing.T) {
		fromFiber := call(t, e.URL(), http.MethodGet, "/api/v1/nothing").requireProblem(t, http.StatusNotFound)
		fromGuard := call(t, e.URL(), http.MethodGet, "/api/v1/me").requireProblem(t, http.StatusUnauthorized)
		require.ElementsMatch(t, keys(fromFiber), keys(fromGuard))
	})
}

// withLastChar changes key's last (checksum) character, to a different one: replacing it with a fixed
// letter would give the key itself back once in 62 runs.
func withLastChar(key string) string {
	last := key[len(key)-1]
	repl := byte('x')
	if last == repl {
		repl = 'y'
	}
	return key[:len(key)-1] + string(repl)
}
