package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/web/webtest"
)

// Route classes for the tenant-isolation walk. Every registered route must be in routeClasses: a
// new route without an entry fails the test, so nobody adds an endpoint without deciding how it
// is kept inside its tenant.
const (
	public       = "public"         // no tenant data (landing, sign-in pages, probes, assets, OpenAPI)
	tenantPage   = "tenant"         // a tenant's page or action without ids in the path: no B data in the answer
	tenantMember = "tenant:member"  // :id is a member of the caller's tenant
	tenantKey    = "tenant:key"     // :id is an API key
	tenantInvite = "tenant:invite"  // :id is an invitation
	console      = "console"        // operator console: tenant users are refused
	consoleAuth  = "console-auth"   // the console's own login and two-factor pages
	apiRoute     = "api"            // REST API with the caller's key: no B data
	tenantSess   = "tenant:session" // :id is a WhatsApp session
	tenantMsg    = "tenant:message" // :id is a message
	tenantStream = "tenant:stream"  // an SSE stream of the caller's tenant: read briefly, no B data
	apiSession   = "api:session"    // REST API with :session_id, B's session: 404
	apiMedia     = "api:media"      // REST API with :id, B's media file: 404
	apiMessage   = "api:message"    // REST API with :id, B's message: 404
	apiSend      = "api:send"       // a send naming B's session_id: 422, worded as for an id that does not exist
)

var routeClasses = map[string]string{
	"GET /":                        public,
	"GET /healthz":                 public,
	"GET /readyz":                  public,
	"GET /signup":                  public,
	"POST /signup":                 public,
	"GET /login":                   public,
	"POST /login":                  public,
	"GET /login/2fa":               public,
	"POST /login/2fa":              public,
	"POST /logout":                 public,
	"GET /forgot":                  public,
	"POST /forgot":                 public,
	"GET /reset/:token":            public,
	"POST /reset/:token":           public,
	"GET /invite/:token":           public,
	"POST /invite/:token":          public,
	"GET /api/v1/openapi.json":     public,
	"GET /api/v1/openapi.yaml":     public,
	"GET /api/v1/openapi-3.0.json": public,
	"GET /api/v1/openapi-3.0.yaml": public,
	"GET /media/files/:token":      public, // a signed download link: the token is the credential

	"GET /app":                              tenantPage,
	"GET /app/team":                         tenantPage,
	"POST /app/team/invitations":            tenantPage,
	"POST /app/team/invitations/:id/revoke": tenantInvite,
	"POST /app/team/members/:id/role":       tenantMember,
	"GET /app/team/members/:id/remove":      tenantMember,
	"POST /app/team/members/:id/remove":     tenantMember,
	"POST /app/team/members/:id/reset-link": tenantMember,
	"GET /app/keys":                         tenantPage,
	"POST /app/keys":                        tenantPage,
	"GET /app/keys/:id/revoke":              tenantKey,
	"POST /app/keys/:id/revoke":             tenantKey,
	"GET /app/audit":                        tenantPage,
	"GET /app/account":                      tenantPage,
	"POST /app/account/password":            tenantPage,
	"GET /app/account/2fa":                  tenantPage,
	"POST /app/account/2fa":                 tenantPage,
	"POST /app/account/2fa/disable":         tenantPage,
	"GET /app/settings":                     tenantPage,
	"POST /app/settings":                    tenantPage,
	"GET /app/api-docs":                     tenantPage,
	"GET /app/sessions":                     tenantPage,
	"POST /app/sessions":                    tenantPage,
	"GET /app/sessions/events":              tenantStream,
	"GET /app/sessions/:id":                 tenantSess,
	"POST /app/sessions/:id/pair":           tenantSess,
	"POST /app/sessions/:id/simulate-scan":  tenantSess,
	"POST /app/sessions/:id/reconnect":      tenantSess,
	"GET /app/sessions/:id/logout":          tenantSess,
	"POST /app/sessions/:id/logout":         tenantSess,
	"GET /app/sessions/:id/delete":          tenantSess,
	"POST /app/sessions/:id/delete":         tenantSess,
	"GET /app/messages":                     tenantPage,
	"POST /app/messages":                    tenantPage,
	"GET /app/messages/new":                 tenantPage,
	"GET /app/messages/events":              tenantStream,
	"GET /app/messages/:id":                 tenantMsg,
	"GET /app/messages/:id/cancel":          tenantMsg,
	"POST /app/messages/:id/cancel":         tenantMsg,

	"GET /admin/login":                              consoleAuth,
	"POST /admin/login":                             consoleAuth,
	"GET /admin/2fa":                                consoleAuth,
	"POST /admin/2fa":                               consoleAuth,
	"GET /admin/2fa/setup":                          consoleAuth,
	"POST /admin/2fa/setup":                         consoleAuth,
	"POST /admin/logout":                            consoleAuth,
	"GET /admin":                                    console,
	"GET /admin/tenants":                            console,
	"GET /admin/tenants/:id":                        console,
	"GET /admin/tenants/:id/suspend":                console,
	"POST /admin/tenants/:id/approve":               console,
	"POST /admin/tenants/:id/suspend":               console,
	"POST /admin/tenants/:id/reactivate":            console,
	"POST /admin/tenants/:id/plan":                  console,
	"POST /admin/tenants/:id/users/:uid/reset-link": console,
	"GET /admin/plans":                              console,
	"GET /admin/plans/new":                          console,
	"POST /admin/plans/new":                         console,
	"GET /admin/plans/:id":                          console,
	"POST /admin/plans/:id":                         console,
	"GET /admin/audit":                              console,
	"GET /admin/settings":                           console,
	"POST /admin/settings":                          console,

	"GET /api/v1/me":                                  apiRoute,
	"GET /api/v1/sessions":                            apiRoute,
	"POST /api/v1/sessions":                           apiRoute,
	"GET /api/v1/sessions/:session_id":                apiSession,
	"DELETE /api/v1/sessions/:session_id":             apiSession,
	"GET /api/v1/sessions/:session_id/qr":             apiSession,
	"GET /api/v1/sessions/:session_id/qr.png":         apiSession,
	"POST /api/v1/sessions/:session_id/pair":          apiSession,
	"POST /api/v1/sessions/:session_id/pairing-code":  apiSession,
	"POST /api/v1/sessions/:session_id/reconnect":     apiSession,
	"POST /api/v1/sessions/:session_id/logout":        apiSession,
	"POST /api/v1/media":                              apiRoute,
	"GET /api/v1/media/:id":                           apiMedia,
	"POST /api/v1/messages":                           apiSend,
	"GET /api/v1/messages":                            apiRoute,
	"GET /api/v1/messages/:id":                        apiMessage,
	"POST /api/v1/messages/:id/cancel":                apiMessage,
	"GET /api/v1/sessions/:session_id/groups":         apiSession,
	"POST /api/v1/sessions/:session_id/check-numbers": apiSession,
	"GET /admin/sessions":                             console,
	"POST /admin/sessions/:id/disconnect":             console,
}

// fixture is one tenant with something of everything.
type fixture struct {
	owner, member auth.CurrentUser
	keySecret     string
	keyID         uuid.UUID
	invitationID  uuid.UUID
	sessionID     uuid.UUID
	mediaID       uuid.UUID
	messageID     uuid.UUID
	// fingerprints are strings that only this tenant's data contains.
	fingerprints []string
}

func makeTenant(t *testing.T, e *webtest.Env, name string) fixture {
	t.Helper()
	ctx := context.Background()
	svc := e.Services
	lower := strings.ToLower(name)
	u, _, err := svc.Users.Signup(ctx, auth.SignupInput{Company: name + " Corp", Name: name + " Owner",
		Email: lower + "-owner@example.com", Password: "owner password " + lower})
	require.NoError(t, err)
	owner, err := svc.Users.Current(ctx, u.ID)
	require.NoError(t, err)
	inv, err := svc.Users.Invite(ctx, owner, lower+"-member@example.com", auth.RoleMember)
	require.NoError(t, err)
	m, err := svc.Users.AcceptInvitation(ctx, inv.Link[strings.LastIndex(inv.Link, "/")+1:], name+" Member", "member password "+lower)
	require.NoError(t, err)
	member, err := svc.Users.Current(ctx, m.ID)
	require.NoError(t, err)
	pending, err := svc.Users.Invite(ctx, owner, lower+"-invitee@example.com", auth.RoleAdmin)
	require.NoError(t, err)
	key, err := svc.APIKeys.Create(ctx, owner, auth.CreateKeyInput{Name: name + " key", Scopes: auth.Scopes})
	require.NoError(t, err)
	sess, err := svc.Sessions.Create(ctx, owner.TenantID, name+" line")
	require.NoError(t, err)
	file, err := svc.Media.Upload(ctx, owner.TenantID, name+" brochure.pdf", strings.NewReader("%PDF-1.4\n"+name+"\n%%EOF\n"), 0)
	require.NoError(t, err)
	// The session linked (as the simulator's Provision leaves it), with a message scheduled on it.
	dev, err := e.Simulator.Provision(ctx, sess.ID, fmt.Sprintf("49151%08d", lower[0]))
	require.NoError(t, err)
	_, err = e.Pool.Exec(ctx, "UPDATE wa_sessions SET device_jid = $2 WHERE id = $1", sess.ID, dev.String())
	require.NoError(t, err)
	later := time.Now().Add(time.Hour)
	msg, err := svc.Messages.Send(ctx, owner.TenantID, message.SendRequest{SessionID: sess.ID, To: "+49 151 23456789",
		Text: name + " secret message", SendAt: &later}, nil)
	require.NoError(t, err)
	return fixture{owner: owner, member: member, keySecret: key.Secret, keyID: key.Key.ID, invitationID: pending.Invitation.ID,
		sessionID: sess.ID, mediaID: file.ID, messageID: msg.Message.ID,
		fingerprints: []string{name + " Corp", lower + "-owner@", lower + "-member@", lower + "-invitee@", key.Key.Prefix,
			owner.TenantID.String(), member.ID.String(), key.Key.ID.String(), pending.Invitation.ID.String(),
			sess.ID.String(), name + " line", file.ID.String(), name + " brochure", msg.Message.ID.String(), name + " secret message"}}
}

// hijackSend is a send of A's naming the session sessionID.
func hijackSend(sessionID uuid.UUID) string {
	return `{"session_id": "` + sessionID.String() + `", "to": "+49 151 23456789", "text": "Hijack"}`
}

// snapshot is every row of tenant B that an attack could change.
func snapshot(t *testing.T, e *webtest.Env, tenantID uuid.UUID) string {
	t.Helper()
	var out []string
	rows, err := e.Pool.Query(context.Background(), `
		SELECT 'user '||id||' '||role||' '||email||' '||coalesce(totp_enabled_at::text,'')||' '||password_changed_at FROM users WHERE tenant_id = $1
		UNION ALL SELECT 'key '||id||' '||coalesce(revoked_at::text,'live')||' '||name FROM api_keys WHERE tenant_id = $1
		UNION ALL SELECT 'inv '||id||' '||coalesce(revoked_at::text,'open')||' '||coalesce(accepted_at::text,'') FROM invitations WHERE tenant_id = $1
		UNION ALL SELECT 'tenant '||name||' '||status||' '||plan_id||' '||timezone||' '||default_country FROM tenants WHERE id = $1
		UNION ALL SELECT 'session '||id||' '||name||' '||status||' '||intent_seq||' '||coalesce(deleted_at::text,'') FROM wa_sessions WHERE tenant_id = $1
		UNION ALL SELECT 'media '||id||' '||state||' '||size_bytes||' '||file_name FROM media WHERE tenant_id = $1
		UNION ALL SELECT 'message '||id||' '||status||' '||updated_at FROM messages WHERE tenant_id = $1`, tenantID)
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func login(t *testing.T, b *webtest.Browser, email, password string) {
	t.Helper()
	r := b.Post("/login", url.Values{"email": {email}, "password": {password}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode, "login as %s: %s", email, r.Body)
}

// TestTenantIsolation walks every registered route as tenant A's owner, with tenant B's ids wherever
// a route takes one: ids in paths answer 404, lists and pages show nothing of B, console routes
// refuse tenant users, and B's rows are exactly as they were.
func TestTenantIsolation(t *testing.T) {
	e := webtest.New(t, nil)
	a := makeTenant(t, e, "Alpha")
	b := makeTenant(t, e, "Bravo")
	before := snapshot(t, e, b.owner.TenantID)

	browser := e.NewBrowser()
	login(t, browser, "alpha-owner@example.com", "owner password alpha")

	seen := map[string]bool{}
	for _, r := range e.Server.App.GetRoutes(true) {
		if r.Method == http.MethodHead {
			continue // Fiber registers HEAD beside every GET, with the GET's handler
		}
		key := r.Method + " " + r.Path
		if r.Path != "/" {
			key = r.Method + " " + strings.TrimSuffix(r.Path, "/")
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		class, ok := routeClasses[key]
		if !ok {
			t.Errorf("route %s has no entry in routeClasses: decide how it is isolated", key)
			continue
		}
		t.Run(key, func(t *testing.T) {
			path := r.Path
			switch class {
			case public, consoleAuth:
				return
			case tenantMember:
				path = strings.Replace(path, ":id", b.member.ID.String(), 1)
			case tenantKey:
				path = strings.Replace(path, ":id", b.keyID.String(), 1)
			case tenantInvite:
				path = strings.Replace(path, ":id", b.invitationID.String(), 1)
			case tenantSess:
				path = strings.Replace(path, ":id", b.sessionID.String(), 1)
			case apiSession:
				path = strings.Replace(path, ":session_id", b.sessionID.String(), 1)
			case apiMedia:
				path = strings.Replace(path, ":id", b.mediaID.String(), 1)
			case apiMessage, tenantMsg:
				path = strings.Replace(path, ":id", b.messageID.String(), 1)
			case console:
				path = strings.Replace(path, ":id", b.owner.TenantID.String(), 1)
				path = strings.Replace(path, ":uid", b.owner.ID.String(), 1)
			}
			var resp *webtest.Response
			switch {
			case class == apiRoute || class == apiSession || class == apiMedia || class == apiMessage || class == apiSend:
				var body io.Reader
				if r.Method == http.MethodPost {
					body = strings.NewReader(`{"phone": "+49 151 23456789"}`)
					if strings.HasSuffix(path, "/sessions") {
						body = strings.NewReader(`{"name": "Hijack"}`)
					}
					if strings.HasSuffix(path, "/check-numbers") {
						body = strings.NewReader(`{"numbers": ["+49 151 23456789"]}`)
					}
					if class == apiSend {
						body = strings.NewReader(hijackSend(b.sessionID))
					}
				}
				req, _ := http.NewRequest(r.Method, e.URL()+path, body)
				req.Header.Set("Authorization", "Bearer "+a.keySecret)
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				resp = browser.Do(req)
			case class == tenantStream:
				// The stream never ends by itself: read what it sends in a moment, then hang up.
				ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, r.Method, e.URL()+path, nil)
				resp = browser.Do(req)
				if strings.Contains(path, "/messages/") {
					// It carries changes from now on (portal's TestPortal_MessagesTenantIsolation sends some):
					// here it must answer as A's stream and show nothing of B.
					require.Contains(t, resp.Body, ": connected", "A's message stream is open")
				} else {
					require.Contains(t, resp.Body, a.sessionID.String(), "the stream starts with the caller's own sessions")
				}
			case r.Method == http.MethodGet || r.Method == http.MethodHead:
				resp = browser.Get(path)
			default:
				resp = browser.Post(path, url.Values{"role": {"owner"}, "name": {"Hijack"}, "reason": {"x"}})
			}
			require.False(t, strings.HasPrefix(resp.Header.Get("Location"), "/login"),
				"the walk must run logged in as A, not be sent to the login page")
			switch class {
			case console:
				require.Equal(t, http.StatusForbidden, resp.StatusCode, "tenant users are refused by the console")
			case tenantMember, tenantKey, tenantInvite, tenantSess, tenantMsg, apiSession, apiMedia, apiMessage:
				require.Equal(t, http.StatusNotFound, resp.StatusCode, "B's id in the path is not found for A")
			case apiSend:
				require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, resp.Body)
				require.Contains(t, resp.Body, `"location":"body.session_id"`)
				req, _ := http.NewRequest(r.Method, e.URL()+path, strings.NewReader(hijackSend(uuid.New())))
				req.Header.Set("Authorization", "Bearer "+a.keySecret)
				req.Header.Set("Content-Type", "application/json")
				require.Equal(t, browser.Do(req).Body, resp.Body, "B's session is worded as an id that does not exist")
			}
			for _, f := range b.fingerprints {
				require.NotContains(t, resp.Body, f, "A's answer shows B's data")
			}
		})
	}
	for key := range routeClasses {
		if !seen[key] {
			t.Errorf("routeClasses lists %s, which is not registered: remove the stale entry", key)
		}
	}
	require.Equal(t, before, snapshot(t, e, b.owner.TenantID), "B's rows changed")
	require.Equal(t, http.StatusOK, browser.Get("/app").StatusCode, "A was logged in to the end of the walk")

	// B's key still works and A's key never reads B.
	p, err := e.Services.APIKeys.Authenticate(context.Background(), b.keySecret)
	require.NoError(t, err)
	require.Equal(t, b.owner.TenantID, p.TenantID)
}
