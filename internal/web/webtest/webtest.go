// Package webtest builds the real HTTP app (every route, real services) on a test's own Postgres
// database and Redis, and drives it like a browser: a cookie jar, CSRF tokens read from pages, forms
// posted, HTML parsed with goquery. Test-only.
package webtest

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wagate/wagate/internal/app"
	"github.com/wagate/wagate/internal/app/apptest"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/config"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/web"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

// Env is a running app and the services behind it.
type Env struct {
	T        testing.TB
	App      *app.App
	Server   *web.Server
	url      string
	redisURL string
	Pool     *pgxpool.Pool
	Redis    *redis.Client
	Services web.Services
	Keys     *secret.Keys
	// Simulator is the WhatsApp simulator behind Services.Sessions (its hooks: Scan, Inject …).
	Simulator *simulator.Connector
	// Bus is a Redis pub/sub on the app's Redis (the channels the session service publishes on).
	Bus *cluster.PubSub
	// MediaDir holds the local media store's files.
	MediaDir string
}

// Opts tweak the app.
type Opts struct {
	Logger   *slog.Logger // default: discard (LOG=1 in the environment: stderr)
	RedisURL string       // default: a database of the test binary's shared redis-server
	// Mailer sends the app's mail (default: internal/mail's log-only mailer, so mail is off). When
	// set, Services.MailEnabled is Mailer.Enabled(); an *Outbox records what is sent.
	Mailer auth.Mailer
	// SessionHost runs every role (the session host, so sessions pair and connect on the simulator,
	// and the worker, so messages go out); without it the app runs the http role only. Off by
	// default: most tests need no live sessions.
	SessionHost bool
	// MaxConns sizes the app's Postgres pool (default 4); benchmarks set what `wagate serve` uses.
	MaxConns int32
	// Tuning edits the app's timings (default: apptest.Tuning, quick sweeps, claims and leases).
	Tuning func(*app.Tuning)
	// Config edits the app's configuration (e.g. MessageExpiry) before it is built.
	Config func(*config.Config)
	// Sim tweaks the simulator's options (default: fast polling, a 10 s first QR code, then 2 s).
	Sim func(*simulator.Options)
	// Connector, when set, opens the WhatsApp connector the app uses instead of the simulator (e.g.
	// whatsmeow with a dialer pinned to a closed loopback port), on the URL of the test's database.
	// The app then runs as with WA_DRIVER=whatsmeow: Env.Simulator is nil and the UI shows no
	// simulator. The test closes what it opens (t.Cleanup).
	Connector func(t testing.TB, databaseURL string) whatsapp.Connector
}

// SimOptions are the simulator's options in webtest (apptest.SimOptions).
func SimOptions(instance string) simulator.Options { return apptest.SimOptions(instance) }

// New builds the app (internal/app through apptest, as `wagate serve` does) on a fresh database and
// Redis database and serves it on a loopback port.
func New(t testing.TB, o *Opts) *Env {
	t.Helper()
	if o == nil {
		o = &Opts{}
	}
	roles := []string{app.RoleHTTP}
	if o.SessionHost {
		roles = app.AllRoles
	}
	a := apptest.Start(t, apptest.Opts{Roles: roles, Version: "webtest", Logger: o.Logger, RedisURL: o.RedisURL, Mailer: o.Mailer,
		MaxConns: o.MaxConns, Tuning: o.Tuning, Config: o.Config, Sim: o.Sim, Connector: o.Connector})
	return &Env{T: t, App: a, Server: a.Server, url: a.Options().Config.BaseURL.String(), redisURL: a.Options().Config.RedisURL,
		Pool: a.Pool, Redis: a.Redis, Services: a.Services, Keys: apptest.Keys(), Simulator: apptest.Simulator(a),
		Bus: cluster.NewPubSub(a.Redis), MediaDir: a.Options().Config.MediaDir}
}

// URL is the app's base URL.
func (e *Env) URL() string { return e.url }

// RedisURL is the Redis database the app and its Asynq queues use.
func (e *Env) RedisURL() string { return e.redisURL }

// Browser is a client with its own cookie jar, like one browser profile. It does not follow
// redirects, so tests see them.
type Browser struct {
	env    *Env
	Client *http.Client
}

// NewBrowser returns a fresh client.
func (e *Env) NewBrowser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{env: e, Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Response is a finished request with its body read.
type Response struct {
	*http.Response
	Body string
}

// Doc parses the body as HTML.
func (r *Response) Doc(t testing.TB) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatalf("parse html: %v", err)
	}
	return doc
}

// TestID returns the text of the first element with data-testid=id.
func (r *Response) TestID(t testing.TB, id string) string {
	t.Helper()
	return strings.TrimSpace(r.Doc(t).Find(`[data-testid="` + id + `"]`).First().Text())
}

// Do sends req.
func (b *Browser) Do(req *http.Request) *Response {
	b.env.T.Helper()
	resp, err := b.Client.Do(req)
	if err != nil {
		b.env.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &Response{Response: resp, Body: string(body)}
}

// Get fetches path.
func (b *Browser) Get(path string) *Response {
	b.env.T.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.env.URL()+path, nil)
	return b.Do(req)
}

// CSRF returns the login's CSRF token, read from the first page among /login, /app and
// /admin/login that carries one (as a form field or the csrf-token meta tag).
func (b *Browser) CSRF() string {
	b.env.T.Helper()
	for _, page := range []string{"/login", "/app", "/admin/login"} {
		r := b.Get(page)
		doc := r.Doc(b.env.T)
		if tok, _ := doc.Find(`input[name="_csrf"]`).First().Attr("value"); tok != "" {
			return tok
		}
		if tok, _ := doc.Find(`meta[name="csrf-token"]`).First().Attr("content"); tok != "" {
			return tok
		}
	}
	b.env.T.Fatalf("no CSRF token on /login, /app or /admin/login")
	return ""
}

// Post submits a form to path with the CSRF token added (unless form sets _csrf itself).
func (b *Browser) Post(path string, form url.Values) *Response {
	b.env.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.CSRF())
	}
	req, _ := http.NewRequest(http.MethodPost, b.env.URL()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}
