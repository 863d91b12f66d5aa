package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/web/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// workspace is one tenant with an owner and a plain member, both with passwords the tests know.
type workspace struct {
	owner, member     auth.CurrentUser
	ownerPW, memberPW string
}

// newWorkspace signs up "<name> Corp" through the services, and adds a member by invitation.
func newWorkspace(t *testing.T, e *webtest.Env, name string) workspace {
	t.Helper()
	ctx := context.Background()
	lower := strings.ToLower(name)
	w := workspace{ownerPW: "owner password " + lower, memberPW: "member password " + lower}
	u, _, err := e.Services.Users.Signup(ctx, auth.SignupInput{Company: name + " Corp", Name: name + " Owner",
		Email: lower + "-owner@example.com", Password: w.ownerPW})
	require.NoError(t, err)
	w.owner = current(t, e, u.ID)
	w.member = addMember(t, e, w.owner, lower+"-member@example.com", name+" Member", auth.RoleMember, w.memberPW)
	return w
}

// addMember invites email with role and accepts the invitation through the services.
func addMember(t *testing.T, e *webtest.Env, by auth.CurrentUser, email, name, role, pw string) auth.CurrentUser {
	t.Helper()
	ctx := context.Background()
	inv, err := e.Services.Users.Invite(ctx, by, email, role)
	require.NoError(t, err)
	m, err := e.Services.Users.AcceptInvitation(ctx, token(inv.Link), name, pw)
	require.NoError(t, err)
	return current(t, e, m.ID)
}

// current reloads a user as the portal sees them.
func current(t *testing.T, e *webtest.Env, id uuid.UUID) auth.CurrentUser {
	t.Helper()
	u, err := e.Services.Users.Current(context.Background(), id)
	require.NoError(t, err)
	return u
}

// token is the last path segment of a link (invitation, reset).
func token(link string) string { return link[strings.LastIndex(link, "/")+1:] }

// logIn logs a fresh browser in through the sign-in pages' POST /login.
func logIn(t *testing.T, e *webtest.Env, email, pw string) *webtest.Browser {
	t.Helper()
	b := e.NewBrowser()
	r := b.Post("/login", url.Values{"email": {email}, "password": {pw}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/app" {
		t.Fatalf("log in as %s through POST /login: got %d to %q; the portal tests log in through the sign-in pages "+
			"(internal/web/signin), which must answer 303 to /app", email, r.StatusCode, r.Header.Get("Location"))
	}
	return b
}

// loggedIn reports whether the portal lets b in (it sends visitors without a login to /login).
func loggedIn(t *testing.T, b *webtest.Browser) bool {
	t.Helper()
	r := b.Get("/app")
	if r.StatusCode == http.StatusSeeOther && strings.HasPrefix(r.Header.Get("Location"), "/login") {
		return false
	}
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	return true
}

// htmx sends a request as htmx does (HX-Request, the CSRF header), with form values for a POST.
func htmx(t *testing.T, b *webtest.Browser, e *webtest.Env, method, path string, form url.Values) *webtest.Response {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, e.URL()+path, body)
	require.NoError(t, err)
	req.Header.Set("HX-Request", "true")
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", b.CSRF())
	}
	return b.Do(req)
}

// requireStatus checks a response's status, showing its body when it differs.
func requireStatus(t *testing.T, want int, r *webtest.Response) {
	t.Helper()
	require.Equal(t, want, r.StatusCode, "%s %s: %s", r.Request.Method, r.Request.URL.Path, excerpt(r.Body))
}

// requireRedirect checks a 303 to location.
func requireRedirect(t *testing.T, location string, r *webtest.Response) {
	t.Helper()
	requireStatus(t, http.StatusSeeOther, r)
	require.Equal(t, location, r.Header.Get("Location"))
}

func excerpt(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// value returns the value attribute of the element with data-testid=id (inputs have no text).
func value(t *testing.T, r *webtest.Response, id string) string {
	t.Helper()
	v, ok := r.Doc(t).Find(`[data-testid="` + id + `"]`).First().Attr("value")
	require.True(t, ok, "no value on data-testid=%s", id)
	return v
}
