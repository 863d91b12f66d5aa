package portal_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/alexedwards/scs/pgxstore"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web"
)

// outbox is a Mailer that keeps what it is given.
type outbox struct {
	mu   sync.Mutex
	sent []string // "to\nsubject\nbody"
}

func (o *outbox) Send(_ context.Context, to, subject, body string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, to+"\n"+subject+"\n"+body)
	return nil
}

func (o *outbox) Enabled() bool { return true }

func (o *outbox) all() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.sent...)
}

// TestPortal_InviteByMail: with mail configured, an invitation is mailed and its link never shown.
func TestPortal_InviteByMail(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	opt, err := redis.ParseURL(dbtest.RedisURL(t))
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	box := &outbox{}
	pw := auth.NewPasswords(auth.FastParams, 0)
	users := auth.NewService(pool, pw, auth.NewThrottle(rdb), secret.New([]byte("portal-test-secret-key-0123456789abcdef-0123")), box, log, auth.Config{BaseURL: base})
	srv := web.New(web.Deps{Log: log, Version: "test", BaseURL: base, Services: web.Services{
		DB: pool, Users: users, Operators: auth.NewOperators(pool, pw, auth.NewThrottle(rdb), secret.New([]byte("portal-test-secret-key-0123456789abcdef-0123")), log),
		APIKeys: auth.NewAPIKeys(pool, log), Logins: auth.NewLogins(pgxstore.New(pool), false), Tenants: tenant.NewService(pool),
		Limiter: ratelimit.New(rdb), MailEnabled: true,
	}})
	go func() { _ = srv.App.Listener(ln) }()
	t.Cleanup(func() { _ = srv.App.Shutdown() })

	_, _, err = users.Signup(t.Context(), auth.SignupInput{Company: "Mail Corp", Name: "Mia Owner", Email: "mia@example.com", Password: "mia's password 1"})
	require.NoError(t, err)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, *goquery.Document) {
		t.Helper()
		resp, err := c.Get(base + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		doc, err := goquery.NewDocumentFromReader(resp.Body)
		require.NoError(t, err)
		return resp, doc
	}
	post := func(path, csrf string, form url.Values) *http.Response {
		t.Helper()
		form.Set("_csrf", csrf)
		resp, err := c.PostForm(base+path, form)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	_, doc := get("/login")
	r := post("/login", doc.Find(`input[name="_csrf"]`).AttrOr("value", ""), url.Values{"email": {"mia@example.com"}, "password": {"mia's password 1"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)

	_, doc = get("/app/team")
	require.Contains(t, doc.Find(`[data-testid="invite-submit"]`).Text(), "Send invitation")
	csrf := doc.Find(`meta[name="csrf-token"]`).AttrOr("content", "")
	r = post("/app/team/invitations", csrf, url.Values{"email": {"joe@example.com"}, "role": {"member"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	require.Equal(t, "/app/team#main", r.Header.Get("Location"))

	mails := box.all()
	require.Len(t, mails, 1)
	require.True(t, strings.HasPrefix(mails[0], "joe@example.com\n"))
	link := mails[0][strings.Index(mails[0], base+"/invite/"):]
	link = strings.Fields(link)[0]

	resp, doc := get("/app/team")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, doc.Find(`[data-testid="flash"]`).Text(), "Invitation sent to joe@example.com")
	html, _ := doc.Html()
	require.NotContains(t, html, token(link), "a mailed link is never shown")
	require.Equal(t, 1, doc.Find(`[data-testid="invitation-row"]`).Length())
	_, err = users.AcceptInvitation(t.Context(), token(link), "Joe", "joe's password 12")
	require.NoError(t, err)
}
