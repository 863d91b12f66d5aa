package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const opPassword = "operator password 42"

// csrfOf returns the CSRF token a page carries (a form field or the meta tag).
func csrfOf(t *testing.T, r *webtest.Response) string {
	t.Helper()
	doc := r.Doc(t)
	if tok, ok := doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok && tok != "" {
		return tok
	}
	tok, _ := doc.Find(`meta[name="csrf-token"]`).Attr("content")
	require.NotEmpty(t, tok, "no CSRF token on the page (status %d)", r.StatusCode)
	return tok
}

// post submits form to path with token as the CSRF token.
func post(b *webtest.Browser, path, token string, form url.Values) *webtest.Response {
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", token)
	return b.Post(path, form)
}

// console is an operator's browser, logged in with two-factor done.
type console struct {
	b      *webtest.Browser
	op     auth.Operator
	secret string
	token  string
}

func (c *console) get(t *testing.T, path string) *webtest.Response {
	t.Helper()
	return c.b.Get(path)
}

func (c *console) post(path string, form url.Values) *webtest.Response {
	return post(c.b, path, c.token, form)
}

// newOperator makes an operator (as `wagate admin create` does).
func newOperator(t *testing.T, e *webtest.Env, email string) auth.Operator {
	t.Helper()
	op, err := e.Services.Operators.Create(context.Background(), email, "", opPassword)
	require.NoError(t, err)
	return op
}

// logInOperator logs an operator in through the login form; it returns the answer and the CSRF
// token to use next (logging in renews it, so it is read from the page the login leads to).
func logInOperator(t *testing.T, b *webtest.Browser, email string) (*webtest.Response, string) {
	t.Helper()
	page := b.Get("/admin/login")
	require.Equal(t, http.StatusOK, page.StatusCode, page.Body)
	tok := csrfOf(t, page)
	r := post(b, "/admin/login", tok, url.Values{"email": {email}, "password": {opPassword}})
	if r.StatusCode == http.StatusSeeOther {
		if next := b.Get(r.Header.Get("Location")); next.StatusCode == http.StatusOK {
			tok = csrfOf(t, next)
		}
	}
	return r, tok
}

// setUpConsole makes an operator, logs them in and sets up two-factor with a real code.
func setUpConsole(t *testing.T, e *webtest.Env, email string) *console {
	t.Helper()
	op := newOperator(t, e, email)
	b := e.NewBrowser()
	r, tok := logInOperator(t, b, email)
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
	require.Equal(t, "/admin/2fa/setup", r.Header.Get("Location"))
	setup := b.Get("/admin/2fa/setup")
	require.Equal(t, http.StatusOK, setup.StatusCode)
	secret, _ := setup.Doc(t).Find(`[data-testid="totp-secret"]`).Attr("data-secret")
	require.NotEmpty(t, secret)
	code, err := totp.GenerateCode(secret, time.Now())
	require.NoError(t, err)
	r = post(b, "/admin/2fa/setup", tok, url.Values{"code": {code}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
	require.Equal(t, "/admin", r.Header.Get("Location"))
	home := b.Get("/admin")
	require.Equal(t, http.StatusOK, home.StatusCode)
	op, err = e.Services.Operators.Get(context.Background(), op.ID)
	require.NoError(t, err)
	return &console{b: b, op: op, secret: secret, token: csrfOf(t, home)}
}

// tenantFixture is a tenant with its owner.
type tenantFixture struct {
	owner    auth.CurrentUser
	password string
}

func (f tenantFixture) id() uuid.UUID { return f.owner.TenantID }

// newTenant signs a tenant up (in whatever mode the platform is in).
func newTenant(t *testing.T, e *webtest.Env, company, email string) tenantFixture {
	t.Helper()
	ctx := context.Background()
	pw := "password of " + email
	u, _, err := e.Services.Users.Signup(ctx, auth.SignupInput{Company: company, Name: "Owner " + company, Email: email, Password: pw})
	require.NoError(t, err)
	cu, err := e.Services.Users.Current(ctx, u.ID)
	require.NoError(t, err)
	return tenantFixture{owner: cu, password: pw}
}

// logInUser logs a tenant user in through the portal's login form and returns their CSRF token.
func logInUser(t *testing.T, e *webtest.Env, f tenantFixture) (*webtest.Browser, string) {
	t.Helper()
	b := e.NewBrowser()
	page := b.Get("/login")
	require.Equal(t, http.StatusOK, page.StatusCode)
	tok := csrfOf(t, page)
	r := post(b, "/login", tok, url.Values{"email": {f.owner.Email}, "password": {f.password}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode, r.Body)
	return b, b.CSRF() // logging in renewed the token
}

// auditActions lists the actions recorded under filter, newest first.
func auditActions(t *testing.T, e *webtest.Env, f audit.Filter) []audit.Item {
	t.Helper()
	f.Limit = 200
	p, err := audit.ListAll(context.Background(), e.Pool, f)
	require.NoError(t, err)
	return p.Entries
}

// requireAudit asserts an entry with action exists under filter, done by actorEmail.
func requireAudit(t *testing.T, e *webtest.Env, f audit.Filter, action, actorEmail string) audit.Item {
	t.Helper()
	f.Action = action
	for _, it := range auditActions(t, e, f) {
		if it.Action == action && (actorEmail == "" || it.ActorEmail == actorEmail) {
			return it
		}
	}
	t.Fatalf("no audit entry %s by %q", action, actorEmail)
	return audit.Item{}
}

// consoleRoutes are every route behind the operator gate, with ids filled in.
func consoleRoutes(tenantID, userID, planID uuid.UUID) (gets, posts []string) {
	tid, uid, pid := tenantID.String(), userID.String(), planID.String()
	gets = []string{"/admin", "/admin/tenants", "/admin/tenants/" + tid, "/admin/tenants/" + tid + "/suspend",
		"/admin/plans", "/admin/plans/new", "/admin/plans/" + pid, "/admin/audit", "/admin/settings"}
	posts = []string{"/admin/tenants/" + tid + "/approve", "/admin/tenants/" + tid + "/suspend",
		"/admin/tenants/" + tid + "/reactivate", "/admin/tenants/" + tid + "/plan",
		"/admin/tenants/" + tid + "/users/" + uid + "/reset-link", "/admin/plans/new", "/admin/plans/" + pid,
		"/admin/settings"}
	return gets, posts
}

func defaultPlan(t *testing.T, e *webtest.Env) tenant.PlanListItem {
	t.Helper()
	plans, err := e.Services.Tenants.Plans(context.Background())
	require.NoError(t, err)
	for _, p := range plans {
		if p.IsDefault {
			return p
		}
	}
	t.Fatal("no default plan")
	return tenant.PlanListItem{}
}

func locationPath(r *webtest.Response) string {
	loc := r.Header.Get("Location")
	if i := strings.IndexByte(loc, '?'); i >= 0 {
		return loc[:i]
	}
	return loc
}
