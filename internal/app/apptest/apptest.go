// Package apptest builds the whole system (internal/app, as `wagate serve` does) for tests, on the
// test's own Postgres database and Redis, with timings short enough to watch recovery paths in
// seconds and the WhatsApp simulator as the driver. internal/web/webtest drives its HTTP role;
// domain tests that need the worker or the session host use it directly. Test-only.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/app"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/config"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/delivery"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
	"github.com/wagate/wagate/internal/worker"
)

// SecretKey is the tests' SECRET_KEY: Keys derives the same keys as the app.
var SecretKey = []byte("webtest-secret-key-0123456789abcdef-0123456789")

// Keys are the keys derived from SecretKey (signed links, sealed secrets).
func Keys() *secret.Keys { return secret.New(SecretKey) }

// Opts choose the roles and tweak the app.
type Opts struct {
	// Roles to run (default: all).
	Roles []string
	// Version is what the app says it is (default "test").
	Version  string
	Logger   *slog.Logger // default: discard (LOG=1 in the environment: stderr)
	RedisURL string       // default: a database of the test binary's shared redis-server
	// DatabaseURL is the database to run on (default: a fresh one, dropped after the test).
	DatabaseURL string
	// Listener is where the HTTP role listens (default: a loopback port of its own). BaseURL follows it.
	Listener net.Listener
	// Mailer sends the app's mail (default: the log-only mailer, so mail is off).
	Mailer auth.Mailer
	// MaxConns sizes the app's Postgres pool (default 4); benchmarks set what `wagate serve` uses.
	MaxConns int32
	// Tuning edits the app's timings (default: Tuning()).
	Tuning func(*app.Tuning)
	// Config edits the app's configuration (e.g. MessageExpiry) before it is built.
	Config func(*config.Config)
	// Sim tweaks the simulator's options (default: SimOptions).
	Sim func(*simulator.Options)
	// Connector, when set, opens the WhatsApp connector instead of the simulator (e.g. whatsmeow with
	// a dialer pinned to a closed loopback port), on the URL of the test's database; the app then
	// runs as with WA_DRIVER=whatsmeow. The test closes what it opens (t.Cleanup).
	Connector func(t testing.TB, databaseURL string) whatsapp.Connector
}

// SimOptions are the simulator's options in tests: quick polls and heartbeats, and QR codes that
// rotate every 2 s after a first one of 10 s (a 20 s pairing window).
func SimOptions(instance string) simulator.Options {
	return simulator.Options{Instance: instance, PollInterval: 30 * time.Millisecond, HeartbeatInterval: 100 * time.Millisecond,
		HeartbeatTimeout: 700 * time.Millisecond, QRFirst: 10 * time.Second, QRNext: 2 * time.Second, QRCodes: 6,
		SendTimeout: 2 * time.Second}
}

// Tuning are the app's timings in tests: leases of 3 s renewed every 300 ms, quick reconnects,
// sweeps and promotions every 100 ms, a lost task re-enqueued after 2 s, claims of 10 s, inbound
// media left pending fetched after 1 s, 20 worker slots.
func Tuning() app.Tuning {
	return app.Tuning{
		Host: session.HostConfig{
			Lease: cluster.LeaseConfig{TTL: 3 * time.Second, RenewEvery: 300 * time.Millisecond, StopMargin: time.Second,
				PlaceFresh: 12 * time.Second, OrphanGrace: 2 * time.Second},
			BackoffMin: 200 * time.Millisecond, BackoffMax: time.Second, ParkAfter: 3, ParkWindow: time.Minute,
			StableAfter: time.Minute, WatchdogEvery: 200 * time.Millisecond, StaleAfter: 2 * time.Second,
		},
		Dispatch: delivery.DispatchConfig{ClaimTTL: 10 * time.Second},
		Sweep:    delivery.SweepConfig{PromoteEvery: 100 * time.Millisecond, SweepEvery: 500 * time.Millisecond, Grace: 2 * time.Second},
		Inbound:  delivery.InboundConfig{RetryEvery: 200 * time.Millisecond, RetryAfter: time.Second},
		Worker:   worker.Config{Concurrency: 20},
		FeedPoll: 50 * time.Millisecond,
	}
}

// Start builds the app for o.Roles and starts it; it stops when the test ends.
func Start(t testing.TB, o Opts) *app.App {
	t.Helper()
	log := o.Logger
	if log == nil {
		var w io.Writer = io.Discard
		if os.Getenv("LOG") != "" {
			w = os.Stderr
		}
		log = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	dbURL := o.DatabaseURL
	if dbURL == "" {
		dbURL = dbtest.URL(t)
	}
	redisURL := o.RedisURL
	if redisURL == "" {
		redisURL = dbtest.RedisURL(t)
	}
	roles := o.Roles
	if len(roles) == 0 {
		roles = app.AllRoles
	}
	ln := o.Listener
	if ln == nil && slices.Contains(roles, app.RoleHTTP) {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	base, _ := url.Parse("http://localhost")
	addr := "127.0.0.1:0"
	if ln != nil {
		addr = ln.Addr().String()
		base, _ = url.Parse("http://" + addr)
	}
	cfg := config.Config{DatabaseURL: dbURL, RedisURL: redisURL, HTTPAddr: addr, BaseURL: base,
		SecretKey: SecretKey, WADriver: "simulator", MediaDir: t.TempDir(), EgressAllow: []string{"127.0.0.1", "::1"},
		InsecureFastPasswordHash: true, LogLevel: slog.LevelDebug}
	if o.Config != nil {
		o.Config(&cfg)
	}
	tun := Tuning()
	tun.PoolSize = 4
	if o.MaxConns > 0 {
		tun.PoolSize = o.MaxConns
	}
	tun.MediaTempDir = t.TempDir()
	tun.Simulator = func(so *simulator.Options) {
		*so = SimOptions(so.Instance)
		if o.Sim != nil {
			o.Sim(so)
		}
	}
	if o.Tuning != nil {
		o.Tuning(&tun)
	}
	version := o.Version
	if version == "" {
		version = "test"
	}
	opts := app.Options{Config: cfg, Roles: roles, Version: version, Log: log, Tuning: tun, Listener: ln, Mailer: o.Mailer}
	if o.Connector != nil {
		opts.Config.WADriver = "whatsmeow"
		opts.Connector = func(uuid.UUID) (whatsapp.Connector, error) { return o.Connector(t, dbURL), nil }
	}
	a, err := app.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("apptest: build the app: %v", err)
	}
	t.Cleanup(a.Stop) // registered after the database's drop, so it runs before it
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("apptest: start the app: %v", err)
	}
	return a
}

// Simulator is the app's simulator connector (its hooks: Provision, Scan, Inject …), or nil.
func Simulator(a *app.App) *simulator.Connector {
	sim, _ := a.Connector.(*simulator.Connector)
	return sim
}
