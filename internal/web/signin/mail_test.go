package signin_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
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

// outbox is a mailer that keeps what it was asked to send: the stand-in for an SMTP server.
type outbox struct {
	mu   sync.Mutex
	sent []mailMsg
}

type mailMsg struct{ To, Subject, Body string }

func (o *outbox) Enabled() bool { return true }

func (o *outbox) Send(_ context.Context, to, subject, body string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, mailMsg{to, subject, body})
	return nil
}

func (o *outbox) messages() []mailMsg {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]mailMsg(nil), o.sent...)
}

// mailApp runs the real app like webtest.New does, but with mail configured (webtest has none).
func mailApp(t *testing.T) (string, *outbox, *http.Client) {
	t.Helper()
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
	keys := secret.New([]byte("signin-test-secret-key-0123456789abcdef-01234"))
	pw := auth.NewPasswords(auth.FastParams, 0)
	throttle := auth.NewThrottle(rdb)
	srv := web.New(web.Deps{Log: log, Version: "test", BaseURL: base, Services: web.Services{
		DB:          pool,
		Users:       auth.NewService(pool, pw, throttle, keys, box, log, auth.Config{BaseURL: base}),
		Operators:   auth.NewOperators(pool, pw, throttle, keys, log),
		APIKeys:     auth.NewAPIKeys(pool, log),
		Logins:      auth.NewLogins(pgxstore.New(pool), false),
		Tenants:     tenant.NewService(pool),
		Limiter:     ratelimit.New(rdb),
		MailEnabled: true,
	}})
	go func() { _ = srv.App.Listener(ln) }()
	t.Cleanup(func() { _ = srv.App.Shutdown() })
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return base, box, client
}

// fetch gets or posts (form != nil, with the login's CSRF token read from the forgot form, which
// every visitor gets) and parses the answer.
func fetch(t *testing.T, c *http.Client, base, path string, form url.Values) (*http.Response, *goquery.Document) {
	t.Helper()
	if form != nil {
		_, doc := fetch(t, c, base, "/forgot", nil)
		tok := doc.Find(`input[name="_csrf"]`).AttrOr("value", "")
		require.NotEmpty(t, tok)
		form.Set("_csrf", tok)
	}
	var resp *http.Response
	var err error
	if form == nil {
		resp, err = c.Get(base + path)
	} else {
		resp, err = c.PostForm(base+path, form)
	}
	require.NoError(t, err)
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	require.NoError(t, err)
	return resp, doc
}

func TestForgot_WithMail(t *testing.T) {
	t.Parallel()
	base, box, c := mailApp(t)
	resp, _ := fetch(t, c, base, "/signup", url.Values{"company": {"Acme"}, "name": {"Ada"}, "email": {"owner@acme.test"}, "password": {password}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = fetch(t, c, base, "/logout", url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	resp, doc := fetch(t, c, base, "/forgot", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 1, doc.Find(`[data-testid="forgot-form"]`).Length())
	require.Equal(t, "email", doc.Find(`[data-testid="input-email"]`).AttrOr("autocomplete", ""))

	resp, doc = fetch(t, c, base, "/forgot", url.Values{"email": {"not an address"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.NotEmpty(t, doc.Find(`[data-testid="error-email"]`).Text())

	// Known and unknown addresses get the same page; only the known one gets mail, and no page
	// ever shows the link.
	var pages []string
	for _, email := range []string{"Owner@Acme.test", "nobody@acme.test"} {
		resp, doc = fetch(t, c, base, "/forgot", url.Values{"email": {email}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		sent := doc.Find(`[data-testid="forgot-sent"]`)
		require.Equal(t, 1, sent.Length())
		html, _ := doc.Html()
		require.NotContains(t, html, "/reset/")
		pages = append(pages, strings.TrimSpace(sent.Text()))
	}
	require.Equal(t, pages[0], pages[1])
	msgs := box.messages()
	require.Len(t, msgs, 1)
	require.Equal(t, "owner@acme.test", msgs[0].To)

	// The mailed link works.
	path := regexp.MustCompile(`/reset/[A-Za-z0-9_-]+`).FindString(msgs[0].Body)
	require.NotEmpty(t, path)
	resp, _ = fetch(t, c, base, path, url.Values{"password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrase"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = fetch(t, c, base, "/login", url.Values{"email": {"owner@acme.test"}, "password": {"a brand new passphrase"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/app", resp.Header.Get("Location"))
}
