// Package app is the one builder of the whole system: configuration → pools → services → the roles
// `http` (portal, console, API), `worker` (send tasks, the sweeper) and `host` (the session host and
// the holder side of sends). `wagate serve`, the test harness (internal/web/webtest) and the
// benchmarks all build through New, so what runs does not depend on who wired it.
//
// It may import everything it wires; nothing imports it but cmd and test harnesses.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/config"
	"github.com/wagate/wagate/internal/delivery"
	"github.com/wagate/wagate/internal/mail"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/metrics"
	"github.com/wagate/wagate/internal/outbox"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
	"github.com/wagate/wagate/internal/whatsapp/whatsmeow"
	"github.com/wagate/wagate/internal/worker"
)

// Roles a process can run (DESIGN.md Contracts).
const (
	RoleHTTP   = "http"
	RoleWorker = "worker"
	RoleHost   = "host"
)

// AllRoles is what `wagate serve` runs without --roles.
var AllRoles = []string{RoleHTTP, RoleWorker, RoleHost}

// Options are what New builds from. Config and Roles are required; the rest have production
// defaults, and the fields under "Harness" exist for tests and benchmarks.
type Options struct {
	Config  config.Config
	Roles   []string
	Version string
	Log     *slog.Logger
	Tuning  Tuning

	// Harness: a listener already open for the HTTP role (nil: listen on Config.HTTPAddr); the mailer
	// (nil: from SMTP_URL); the WhatsApp connector (nil: by WA_DRIVER).
	Listener  net.Listener
	Mailer    auth.Mailer
	Connector func(instance uuid.UUID) (whatsapp.Connector, error)
}

// Tuning holds the timings and sizes that are not configuration: production uses the zero value
// (each part's defaults); test harnesses shorten them so recovery paths show in seconds.
type Tuning struct {
	// PoolSize, when positive, overrides DATABASE_POOL_SIZE (test harnesses keep their pools small).
	PoolSize int32
	// Host is the session host's configuration (zero: session.DefaultHostConfig, with the
	// watchdog's staleness chosen by driver). Instance is always this process's.
	Host     session.HostConfig
	Dispatch delivery.DispatchConfig
	Sweep    delivery.SweepConfig
	Inbound  delivery.InboundConfig
	// RPCWorkers is how many requests from other instances the holder serves at once (default 32).
	RPCWorkers int
	Worker     worker.Config
	// Simulator edits the simulator's options (WA_DRIVER=simulator) before it is built.
	Simulator func(*simulator.Options)
	// RedisCheckEvery is how often the worker checks that Redis kept its data (0: every second).
	RedisCheckEvery time.Duration
	// FeedPoll is how often the live-page feed reads the outbox (0: its default).
	FeedPoll time.Duration
	// MediaTempDir holds uploads while they are checked (default os.TempDir()).
	MediaTempDir string
}

// App is the system built for some roles. Fields of roles not run are nil.
type App struct {
	Pool      *pgxpool.Pool
	Redis     *redis.Client
	Instance  *cluster.Instance
	Connector whatsapp.Connector
	Services  web.Services
	Registry  *session.Registry
	Executor  *delivery.Executor
	Metrics   *metrics.Metrics

	Server     *web.Server          // http role
	Feed       *outbox.Feed         // http role
	Host       *session.Host        // host role
	Inbound    *delivery.Inbound    // host role
	Router     *delivery.Router     // every role
	Worker     *worker.Server       // worker role
	Sweeper    *delivery.Sweeper    // worker role
	Dispatcher *delivery.Dispatcher // worker role

	opts     Options
	log      *slog.Logger
	enq      *worker.Enqueuer
	closeFns []func()

	stopOnce   sync.Once
	started    bool               // Start began: the servers need shutting down
	cancel     context.CancelFunc // ends the loops Start began, but the host's
	cancelHost context.CancelFunc // ends the session host, its inbound fetchers and its RPC server
	hostDone   chan struct{}
	loops      sync.WaitGroup
	httpErr    chan error
}

// Options are the options the app was built with.
func (a *App) Options() Options { return a.opts }

// Has reports whether the app runs role.
func (a *App) Has(role string) bool { return slices.Contains(a.opts.Roles, role) }

// HTTPErr reports the HTTP server's failure (never sends when it stops on Stop).
func (a *App) HTTPErr() <-chan error { return a.httpErr }

// New opens the pools, registers this process as a cluster instance and builds every service and
// the parts of the chosen roles. It starts nothing (Start does); on error it closes what it opened.
func New(ctx context.Context, o Options) (a *App, err error) {
	if len(o.Roles) == 0 {
		return nil, errors.New("app: no role to run")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	a = &App{opts: o, log: o.Log, httpErr: make(chan error, 1)}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	cfg := o.Config
	size := int32(cfg.DatabasePoolSize)
	if o.Tuning.PoolSize > 0 {
		size = o.Tuning.PoolSize
	}
	if a.Pool, err = openPool(ctx, cfg.DatabaseURL, size); err != nil {
		return nil, err
	}
	a.closeFns = append(a.closeFns, a.Pool.Close)
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	// Deadlines of request contexts apply to Redis calls too: a Redis that stops answering costs a
	// request its deadline (the limiter's and the enqueue's breakers keep those short), not go-redis's
	// read timeouts and retries.
	ropt.ContextTimeoutEnabled = true
	a.Redis = redis.NewClient(ropt)
	a.closeFns = append(a.closeFns, func() { _ = a.Redis.Close() })
	if err := a.Redis.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("connect to redis: %w", err)
	}
	if a.Instance, err = cluster.Register(ctx, a.Pool, a.log, o.Version, o.Roles); err != nil {
		return nil, err
	}
	a.closeFns = append(a.closeFns, func() {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Instance.Deregister(dctx); err != nil {
			a.log.Error("deregister instance", "err", err)
		}
	})
	a.log = a.log.With("instance_id", a.Instance.ID)
	if err := a.buildServices(ctx); err != nil {
		return nil, err
	}
	if err := a.buildRoles(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// buildServices makes the domain services every role shares.
func (a *App) buildServices(ctx context.Context) error {
	cfg, log, pool := a.opts.Config, a.log, a.Pool
	mailer := a.opts.Mailer
	mailEnabled := false
	if mailer == nil {
		m, err := mail.New(cfg.SMTPURL, log)
		if err != nil {
			return err
		}
		mailer, mailEnabled = m, m.Enabled()
	} else {
		mailEnabled = mailer.Enabled()
	}
	keys := secret.New(cfg.SecretKey)
	pw := Passwords(cfg, log)
	throttle := auth.NewThrottle(a.Redis)

	st, err := media.NewStore(ctx, cfg, cfg.SecretKey)
	if err != nil {
		return err
	}
	if !cfg.S3.Enabled() {
		log.InfoContext(ctx, "media is stored on local disk (MEDIA_DIR); run a single instance, or set S3_BUCKET", "media_dir", cfg.MediaDir)
	}
	mediaSvc := media.NewService(pool, st, media.Config{EgressAllow: cfg.EgressAllow, TempDir: a.opts.Tuning.MediaTempDir, Log: log})
	if a.enq, err = worker.NewEnqueuer(cfg.RedisURL); err != nil {
		return err
	}
	a.closeFns = append(a.closeFns, func() { _ = a.enq.Close() })
	a.Metrics = metrics.New(a.enq.QueueDepth)
	obs := metricsObserver{a.Metrics}
	pacer := ratelimit.NewPacer(a.Redis)

	// The registry of held sessions is built before the executor and the host, so that neither
	// needs the other: the host fills it, the executor and the inbound side read it.
	a.Registry = session.NewRegistry()
	a.Executor = delivery.NewExecutor(pool, a.Registry, message.MediaStore(mediaSvc), a.Instance.ID, obs, log)
	var local *delivery.Executor
	if a.Has(RoleHost) {
		local = a.Executor // only a process that holds sessions sends on them
	}
	a.Router = delivery.NewRouter(a.Instance.ID, local, cluster.RPCFactory(a.Redis, 32, log)(a.Instance.ID), pool)

	if a.Connector, err = a.connector(ctx); err != nil {
		return err
	}
	bus := cluster.NewPubSub(a.Redis)
	a.Services = web.Services{
		Audit:       audit.NewLog(pool),
		Instances:   cluster.NewDirectory(pool),
		Users:       auth.NewService(pool, pw, throttle, keys, mailer, log, auth.Config{BaseURL: cfg.BaseURL.String()}),
		Operators:   auth.NewOperators(pool, pw, throttle, keys, log),
		APIKeys:     auth.NewAPIKeys(pool, log),
		Logins:      auth.NewLogins(pgxstore.New(pool), cfg.SecureCookies()),
		Tenants:     tenant.NewService(pool),
		Limiter:     ratelimit.New(a.Redis),
		MailEnabled: mailEnabled,
		Sessions:    session.NewService(pool, a.Connector, bus, log),
		Messages: message.NewService(pool, message.Deps{Enqueuer: a.enq, Media: message.MediaStore(mediaSvc),
			Holders: a.Router, Pacer: pacer, Observer: obs}, message.Config{Expiry: cfg.MessageExpiry}, log),
		Media: mediaSvc,
	}
	return nil
}

// connector opens the WhatsApp connector WA_DRIVER names (or the harness's).
func (a *App) connector(ctx context.Context) (whatsapp.Connector, error) {
	cfg := a.opts.Config
	if a.opts.Connector != nil {
		return a.opts.Connector(a.Instance.ID)
	}
	switch cfg.WADriver {
	case "simulator":
		opts := simulator.DefaultOptions()
		opts.Logger = a.log.With("component", "simulator")
		opts.QRFirst, opts.QRNext = cfg.SimulatorQRFirst, cfg.SimulatorQRNext // 0: the simulator's defaults
		if a.opts.Tuning.Simulator != nil {
			a.opts.Tuning.Simulator(&opts)
		}
		opts.Instance = a.Instance.ID.String()
		return simulator.NewConnector(a.Pool, opts), nil
	default:
		wm, err := whatsmeow.NewConnector(ctx, cfg.DatabaseURL, a.log, whatsmeow.Options{RetryMessage: a.Executor.RetryMessage,
			MaxDBConns: cfg.WhatsmeowPoolSize, WAVersion: cfg.WAVersion})
		if err != nil {
			return nil, fmt.Errorf("open whatsmeow device store: %w", err)
		}
		a.closeFns = append(a.closeFns, func() { _ = wm.Close() })
		return wm, nil
	}
}

// buildRoles makes the parts only some roles run.
func (a *App) buildRoles(ctx context.Context) error {
	cfg, log, pool, tun := a.opts.Config, a.log, a.Pool, a.opts.Tuning
	obs := metricsObserver{a.Metrics}
	if a.Has(RoleHost) {
		hcfg := tun.Host
		if hcfg.Lease.TTL == 0 && hcfg.BackoffMin == 0 {
			hcfg = session.DefaultHostConfig()
			if _, ok := a.Connector.(*simulator.Connector); ok {
				// The simulator heartbeats every second: a link silent for 30 s is dead.
				hcfg.StaleAfter = 30 * time.Second
			} else {
				// whatsmeow reports activity only on traffic, so an idle account looks silent: the
				// watchdog relies on its State and keep-alive events instead.
				hcfg.StaleAfter = 0
			}
		}
		hcfg.Instance = a.Instance.ID
		a.Inbound = delivery.NewInbound(pool, delivery.InboundMediaStore(a.Services.Media), a.Registry, obs, tun.Inbound, log)
		host, err := session.NewHost(pool, a.Connector, cluster.NewPubSub(a.Redis), a.Registry, a.Inbound, hcfg, log)
		if err != nil {
			return err
		}
		a.Host = host
	}
	if a.Has(RoleWorker) {
		dcfg, scfg := tun.Dispatch, tun.Sweep
		if cfg.SendClaimTTL > 0 {
			dcfg.ClaimTTL = cfg.SendClaimTTL
		}
		if cfg.SweepGrace > 0 {
			scfg.Grace, scfg.SweepEvery = cfg.SweepGrace, min(cfg.SweepGrace, 5*time.Second)
		}
		a.Dispatcher = delivery.NewDispatcher(pool, ratelimit.NewPacer(a.Redis), a.Router, a.enq, obs, dcfg, log)
		a.Sweeper = delivery.NewSweeper(pool, a.enq, obs, scfg, log)
		wrk, err := worker.NewServer(cfg.RedisURL, tun.Worker, log)
		if err != nil {
			return err
		}
		wrk.HandleMessages(a.Dispatcher)
		a.Worker = wrk
	}
	if a.Has(RoleHTTP) {
		a.Feed = outbox.NewFeed(pool, log, tun.FeedPoll)
		a.Services.Feed = a.Feed
		limit, err := bodyLimit(ctx, a.Services.Tenants)
		if err != nil {
			return err
		}
		rdb := a.Redis
		a.Server = web.New(web.Deps{BodyLimit: limit, Log: log, Version: a.opts.Version, TrustedProxies: cfg.TrustedProxies,
			Checks: map[string]web.Check{
				"postgres": pool.Ping,
				"redis":    func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
			},
			Services: a.Services, BaseURL: cfg.BaseURL.String(),
		})
	}
	return nil
}

// Start runs the roles until Stop: the instance heartbeat, the API keys' last-used writer, the
// metrics listener, and each role's loops and listeners.
func (a *App) Start(ctx context.Context) error {
	cfg := a.opts.Config
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel, a.started = cancel, true
	a.goLoop(func() { a.Instance.Run(loopCtx) })
	a.goLoop(func() { a.Services.APIKeys.Run(loopCtx) })
	if err := serveMetrics(loopCtx, cfg.MetricsAddr, a.Metrics, a.log); err != nil {
		return err
	}
	if a.Host != nil {
		hostCtx, cancelHost := context.WithCancel(context.WithoutCancel(ctx))
		a.cancelHost, a.hostDone = cancelHost, make(chan struct{})
		go func() { defer close(a.hostDone); a.Host.Run(hostCtx) }()
		a.Inbound.RunFetchers(hostCtx)
		workers := a.opts.Tuning.RPCWorkers
		if workers <= 0 {
			workers = 32
		}
		a.goLoop(func() { a.Router.Serve(hostCtx, workers) })
	}
	if a.Worker != nil {
		if err := a.Worker.Start(); err != nil {
			return err
		}
		a.goLoop(func() { a.Sweeper.Run(loopCtx) })
		every := a.opts.Tuning.RedisCheckEvery
		if every <= 0 {
			every = time.Second
		}
		a.goLoop(func() { a.enq.WatchRedis(loopCtx, every, a.log, a.Sweeper.SweepNow) })
	}
	if a.Server != nil {
		a.goLoop(func() { a.Feed.Run(loopCtx) })
		ln := a.opts.Listener
		if ln == nil {
			var err error
			if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
				return fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
			}
		}
		a.log.InfoContext(ctx, "http listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String())
		go func() {
			if err := a.Server.App.Listener(ln); err != nil {
				a.httpErr <- err
			}
		}()
	}
	return nil
}

func (a *App) goLoop(f func()) {
	a.loops.Add(1)
	go func() { defer a.loops.Done(); f() }()
}

// shutdownGrace bounds how long a stop waits for requests and tasks in flight.
const shutdownGrace = 20 * time.Second

// Stop shuts down in order: the session host first (it releases its leases while this instance is
// still registered, so others take the sessions over at once), then HTTP (no new requests), then the
// worker (unfinished tasks return to their queue), then the loops, the instance's registration and
// the pools. Safe to call more than once, and after a failed Start.
func (a *App) Stop() {
	a.stopOnce.Do(func() {
		if a.cancelHost != nil {
			a.cancelHost()
			<-a.hostDone
		}
		if a.Server != nil && a.started {
			if err := a.Server.Shutdown(shutdownGrace); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("http shutdown", "err", err)
			}
		}
		if a.Worker != nil && a.started {
			a.Worker.Shutdown()
		}
		if a.cancel != nil {
			a.cancel()
		}
		a.loops.Wait()
		a.close() // deregisters the instance, then closes the connectors and pools
	})
}

func (a *App) close() {
	for i := len(a.closeFns) - 1; i >= 0; i-- {
		a.closeFns[i]()
	}
	a.closeFns = nil
}

// Passwords is the password hasher the configuration asks for.
func Passwords(cfg config.Config, log *slog.Logger) *auth.Passwords {
	if cfg.InsecureFastPasswordHash {
		log.Warn("INSECURE_FAST_PASSWORD_HASH is on: passwords are hashed with a trivial cost; never do this in production")
		return auth.NewPasswords(auth.FastParams, 0)
	}
	return auth.NewPasswords(auth.OWASPParams, 0)
}

func openPool(ctx context.Context, url string, size int32) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	// pgx's default (the number of CPUs, at least 4) made accepts queue for connections behind the
	// worker's sends; DATABASE_POOL_SIZE (default 32) is the budget, unless the URL sets its own.
	if !strings.Contains(url, "pool_max_conns") && size > 0 {
		pcfg.MaxConns = size
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres pool: %w", err)
	}
	return pool, nil
}

// bodyLimit is the largest request body the HTTP role buffers: the largest upload any plan allows,
// plus room for the multipart envelope (Fiber reads whole bodies before any handler runs, so this is
// the only early limit; each route checks its own, smaller one). Plans changed later take effect at
// the next start.
func bodyLimit(ctx context.Context, tenants *tenant.Service) (int, error) {
	largest, err := tenants.LargestMediaBytes(ctx)
	if err != nil {
		return 0, err
	}
	return max(4<<20, int(largest)+1<<20), nil
}

// serveMetrics serves /metrics on METRICS_ADDR (empty: not at all) until ctx ends. A listener that
// cannot be opened stops the start: a second instance on one host needs its own METRICS_ADDR.
func serveMetrics(ctx context.Context, addr string, m *metrics.Metrics, log *slog.Logger) error {
	if addr == "" || addr == "off" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics on METRICS_ADDR %s: %w", addr, err)
	}
	go func() {
		if err := metrics.ServeListener(ctx, ln, m.Registry(), log); err != nil {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	return nil
}

// metricsObserver feeds the Prometheus metrics from what happens to messages (message.Observer).
type metricsObserver struct{ m *metrics.Metrics }

func (o metricsObserver) Status(s message.Status, _ message.Message) { o.m.MessageStatus(string(s)) }
func (o metricsObserver) PacingWait(d time.Duration)                 { o.m.PacingWait(d) }
func (o metricsObserver) Sent(send, acceptToSent time.Duration) {
	o.m.ObserveSend(send)
	o.m.ObserveAcceptToSent(acceptToSent)
}
