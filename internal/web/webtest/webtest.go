// Package webtest builds the real HTTP app (every route, real services) on a test's own Postgres
// database and Redis, and drives it like a browser: a cookie jar, CSRF tokens read from pages, forms
// posted, HTML parsed with goquery. Test-only.
package webtest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/alexedwards/scs/pgxstore"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/mail"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/outbox"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
	"github.com/wagate/wagate/internal/worker"
)

// Env is a running app and the services behind it.
type Env struct {
	T        testing.TB
	Server   *web.Server
	url      string
	redisURL string
	log      *slog.Logger
	Pool     *pgxpool.Pool
	Redis    *redis.Client
	Services web.Services
	Keys     *secret.Keys
	// Simulator is the WhatsApp simulator behind Services.Sessions (its hooks: Scan, Inject …).
	Simulator *simulator.Connector
	// Bus is the Redis pub/sub the session service publishes on.
	Bus *cluster.PubSub
	// Messaging is the app's messaging parts (Services.Messages is its Service); MediaDir holds the
	// local media store's files.
	Messaging *message.System
	MediaDir  string
}

// Opts tweak the app.
type Opts struct {
	Logger   *slog.Logger // default: discard (LOG=1 in the environment: stderr)
	RedisURL string       // default: a database of the test binary's shared redis-server
	// Mailer sends the app's mail (default: internal/mail's log-only mailer, so mail is off). When
	// set, Services.MailEnabled is Mailer.Enabled(); an *Outbox records what is sent.
	Mailer auth.Mailer
	// SessionHost runs a session host (its own registered instance) beside the app, so sessions
	// pair and connect on the simulator, and the worker role (send tasks, sweeper) on the same
	// instance, so messages go out. Off by default: most tests need no live sessions.
	SessionHost bool
	// MaxConns sizes the app's Postgres pool (default pgx's: the CPUs, at least 4); benchmarks set
	// what `wagate serve` uses.
	MaxConns int32
	// Messaging tunes the messaging parts (default: WebtestMessaging, quick sweeps and claims).
	Messaging func(*message.SystemConfig)
	// Sim tweaks the simulator's options (default: fast polling, a 10 s first QR code, then 2 s).
	Sim func(*simulator.Options)
	// Connector, when set, opens the WhatsApp connector the app and its session host use instead of
	// the simulator (e.g. whatsmeow with a dialer pinned to a closed loopback port), on the URL of
	// the test's database. The app then runs as with WA_DRIVER=whatsmeow: Env.Simulator is nil and
	// the UI shows no simulator. The test closes what it opens (t.Cleanup).
	Connector func(t testing.TB, databaseURL string) whatsapp.Connector
}

// SimOptions are the simulator's options in webtest: quick polls and heartbeats, and QR codes that
// rotate every 2 s after a first one of 10 s (a 20 s pairing window).
func SimOptions(instance string) simulator.Options {
	return simulator.Options{Instance: instance, PollInterval: 30 * time.Millisecond, HeartbeatInterval: 100 * time.Millisecond,
		HeartbeatTimeout: 700 * time.Millisecond, QRFirst: 10 * time.Second, QRNext: 2 * time.Second, QRCodes: 6,
		SendTimeout: 2 * time.Second}
}

// New builds the app on a fresh database and Redis database and serves it on a loopback port.
func New(t testing.TB, o *Opts) *Env {
	t.Helper()
	if o == nil {
		o = &Opts{}
	}
	log := o.Logger
	if log == nil {
		var w io.Writer = io.Discard
		if os.Getenv("LOG") != "" {
			w = os.Stderr
		}
		log = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	dbURL := dbtest.URL(t)
	pcfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("webtest: parse database URL: %v", err)
	}
	if o.MaxConns > 0 {
		pcfg.MaxConns = o.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
	if err != nil {
		t.Fatalf("webtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close) // registered after the database's drop, so it runs before it
	redisURL := o.RedisURL
	if redisURL == "" {
		redisURL = dbtest.RedisURL(t)
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	keys := secret.New([]byte("webtest-secret-key-0123456789abcdef-0123456789"))
	pw := auth.NewPasswords(auth.FastParams, 0)
	throttle := auth.NewThrottle(rdb)
	var mailer auth.Mailer = o.Mailer
	mailEnabled := false
	if mailer == nil {
		m, err := mail.New("", log)
		if err != nil {
			t.Fatal(err)
		}
		mailer = m
	} else {
		mailEnabled = mailer.Enabled()
	}
	simOpts := SimOptions("webtest")
	if o.Sim != nil {
		o.Sim(&simOpts)
	}
	var conn whatsapp.Connector
	var sim *simulator.Connector
	if o.Connector != nil {
		conn = o.Connector(t, dbURL)
	} else {
		sim = simulator.NewConnector(pool, simOpts)
		conn = sim
	}
	bus := cluster.NewPubSub(rdb)
	e := &Env{T: t, Pool: pool, Redis: rdb, Keys: keys, Simulator: sim, Bus: bus}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	e.url = base
	e.MediaDir = t.TempDir()
	mediaStore, err := media.NewLocal(media.LocalConfig{Dir: e.MediaDir, BaseURL: base, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	mediaSvc := media.NewService(pool, mediaStore, media.Config{EgressAllow: []string{"127.0.0.1", "::1"}, TempDir: t.TempDir(), Log: log})
	enq, err := worker.NewEnqueuer(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = enq.Close() })
	mcfg := WebtestMessaging()
	if o.Messaging != nil {
		o.Messaging(&mcfg)
	}
	e.redisURL, e.log = redisURL, log
	e.Messaging = message.NewSystem(pool, message.Infra{Pacer: ratelimit.NewPacer(rdb), RPC: cluster.RPCFactory(rdb, 32, log)}, enq, message.MediaStore(mediaSvc), mcfg, log)
	feedCtx, stopFeed := context.WithCancel(context.Background())
	feed := outbox.NewFeed(pool, log, 50*time.Millisecond)
	go feed.Run(feedCtx)
	t.Cleanup(stopFeed)
	e.Services = web.Services{
		Messages:    e.Messaging.Service,
		Media:       mediaSvc,
		Feed:        feed,
		Audit:       audit.NewLog(pool),
		Instances:   cluster.NewDirectory(pool),
		Users:       auth.NewService(pool, pw, throttle, keys, mailer, log, auth.Config{BaseURL: base}),
		Operators:   auth.NewOperators(pool, pw, throttle, keys, log),
		APIKeys:     auth.NewAPIKeys(pool, log),
		Logins:      auth.NewLogins(pgxstore.New(pool), false),
		Tenants:     tenant.NewService(pool),
		Limiter:     ratelimit.New(rdb),
		MailEnabled: mailEnabled,
		Sessions:    session.NewService(pool, conn, bus, log),
	}
	e.Server = web.New(web.Deps{Log: log, Version: "webtest", Services: e.Services, BaseURL: base,
		Checks: map[string]web.Check{"postgres": pool.Ping, "redis": func(ctx context.Context) error { return rdb.Ping(ctx).Err() }}})
	go func() { _ = e.Server.App.Listener(ln) }()
	t.Cleanup(func() { _ = e.Server.Shutdown(5 * time.Second) })
	if o.SessionHost {
		hostConn := conn
		if sim != nil {
			hostConn = nil // the host's own simulator connector, in its instance's name
		}
		e.startHost(t, simOpts, hostConn, log)
	}
	return e
}

// startHost runs a session host on its own registered instance until the test ends, on conn (nil: a
// simulator connector of its own).
func (e *Env) startHost(t testing.TB, simOpts simulator.Options, conn whatsapp.Connector, log *slog.Logger) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	inst, err := cluster.Register(ctx, e.Pool, log, "webtest", []string{"host"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	go inst.Run(ctx)
	if conn == nil {
		simOpts.Instance = inst.ID.String()
		conn = simulator.NewConnector(e.Pool, simOpts)
	}
	host, err := session.NewHost(e.Pool, conn, e.Bus, session.HostConfig{
		Instance: inst.ID, Inbound: e.Messaging.Inbound.Handle,
		Lease: cluster.LeaseConfig{TTL: 3 * time.Second, RenewEvery: 300 * time.Millisecond, StopMargin: time.Second,
			PlaceFresh: 12 * time.Second, OrphanGrace: 2 * time.Second},
		BackoffMin: 200 * time.Millisecond, BackoffMax: time.Second, ParkAfter: 3, ParkWindow: time.Minute,
		StableAfter: time.Minute, WatchdogEvery: 200 * time.Millisecond, StaleAfter: 2 * time.Second,
	}, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	// The host's instance is the one whose executor sends: the app's router learns it here.
	e.Messaging.SetInstance(inst.ID)
	e.Messaging.AttachHost(host)
	done := make(chan struct{})
	go func() { defer close(done); host.Run(ctx) }()
	go e.Messaging.RunHost(ctx)
	wrk, err := worker.NewServer(e.redisURL, worker.Config{Concurrency: 20}, e.log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	wrk.HandleMessages(e.Messaging.Dispatcher)
	if err := wrk.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go e.Messaging.Sweeper.Run(ctx)
	t.Cleanup(func() { cancel(); wrk.Shutdown(); <-done })
}

// WebtestMessaging are the messaging timings in webtest: sweeps and promotions every 100 ms, a lost
// task re-enqueued after 2 s, claims of 10 s, inbound media left pending fetched after 1 s.
func WebtestMessaging() message.SystemConfig {
	return message.SystemConfig{
		Dispatch:        message.DispatchConfig{ClaimTTL: 10 * time.Second},
		Sweep:           message.SweepConfig{PromoteEvery: 100 * time.Millisecond, SweepEvery: 500 * time.Millisecond, Grace: 2 * time.Second},
		MediaRetryEvery: 200 * time.Millisecond, MediaRetryAfter: time.Second,
	}
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
