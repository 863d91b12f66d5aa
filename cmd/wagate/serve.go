package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wagate/wagate/db"
	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/config"
	"github.com/wagate/wagate/internal/outbox"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/web"
	"github.com/wagate/wagate/internal/worker"
)

// shutdownGrace bounds how long a SIGTERM waits for requests and tasks in flight.
const shutdownGrace = 20 * time.Second

func serveCmd(parent context.Context, args []string, stderr io.Writer) error {
	roles, err := parseRoles(args)
	if err != nil {
		return err
	}
	cfg, err := config.Load(config.ForServe)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel).With("version", versionString())

	ctx, stop := signal.NotifyContext(parent, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	if err := db.Migrate(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("parse REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("connect to redis: %w", err)
	}

	inst, err := cluster.Register(ctx, pool, log, versionString(), roles)
	if err != nil {
		return err
	}
	log = log.With("instance_id", inst.ID)
	hbCtx, stopHeartbeat := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHeartbeat() // on early returns; the orderly path below stops it at the right moment
	hbDone := make(chan struct{})
	go func() { defer close(hbDone); inst.Run(hbCtx) }()

	svc, err := newServices(cfg, pool, rdb, log)
	if err != nil {
		return err
	}
	if created, err := svc.Operators.Bootstrap(ctx, cfg.AdminEmail, cfg.AdminPassword); err != nil {
		return err
	} else if created {
		log.InfoContext(ctx, "created the first operator from ADMIN_EMAIL", "email", cfg.AdminEmail)
	}
	// Sessions (issue 4): the connector, session service and, with the host role, the session host.
	// The http role gets the service even without the host role (its pages and API only write
	// intents and read Postgres; the holder does the WhatsApp side).
	// Messaging (issue 5): every role sends through the service; the host role is the holder side,
	// the worker role runs send tasks and the sweeper.
	msgs, err := newMessagingParts(ctx, cfg, pool, rdb, log, inst.ID)
	if err != nil {
		return err
	}
	defer msgs.Enqueuer.Close()
	svc.Messages, svc.Media = msgs.System.Service, msgs.Media
	parts, err := newSessionParts(ctx, cfg, pool, rdb, log, inst.ID, has(roles, roleHost), msgs.System)
	if err != nil {
		return err
	}
	if err := serveMetrics(hbCtx, cfg.MetricsAddr, log); err != nil {
		return err
	}
	svc.Sessions = parts.Service
	keysDone := make(chan struct{})
	go func() { defer close(keysDone); svc.APIKeys.Run(hbCtx) }()

	var srv *web.Server
	httpErr := make(chan error, 1)
	if has(roles, roleHTTP) {
		svc.Feed = outbox.NewFeed(pool, log, 0)
		go svc.Feed.Run(hbCtx)
		limit, err := bodyLimit(ctx, svc.Tenants)
		if err != nil {
			return err
		}
		srv = web.New(web.Deps{BodyLimit: limit,
			Log: log, Version: versionString(), TrustedProxies: cfg.TrustedProxies,
			Checks: map[string]web.Check{
				"postgres": pool.Ping,
				"redis":    func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
			},
			Services: svc, BaseURL: cfg.BaseURL.String(),
		})
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
		}
		log.InfoContext(ctx, "http listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String())
		go func() { httpErr <- srv.App.Listener(ln) }()
	}
	var wrk *worker.Server
	if has(roles, roleWorker) {
		if wrk, err = worker.NewServer(cfg.RedisURL, worker.Config{}, log); err != nil {
			return err
		}
		wrk.HandleMessages(msgs.System.Dispatcher)
		if err := wrk.Start(); err != nil {
			return err
		}
		go msgs.System.Sweeper.Run(hbCtx)
	}
	log.InfoContext(ctx, "wagate started", "roles", roles, "wa_driver", cfg.WADriver)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-httpErr:
		runErr = fmt.Errorf("http server: %w", err)
	}
	parts.Stop() // first: release the leases while this instance is still registered
	shutdown(log, srv, wrk)
	stopHeartbeat()
	<-hbDone
	<-keysDone
	dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := inst.Deregister(dctx); err != nil {
		log.Error("deregister instance", "err", err)
	}
	log.Info("stopped")
	return runErr
}

// shutdown stops taking work, then lets work in flight finish: HTTP first (no new requests), then
// the worker (unfinished tasks return to their queue).
func shutdown(log *slog.Logger, srv *web.Server, wrk *worker.Server) {
	if srv != nil {
		if err := srv.Shutdown(shutdownGrace); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("http shutdown", "err", err)
		}
	}
	if wrk != nil {
		wrk.Shutdown()
	}
}

func has(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
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

// defaultPoolSize is the Postgres pool of one instance unless DATABASE_URL sets pool_max_conns.
// pgx's default (the number of CPUs, at least 4) made accepts queue for connections behind the
// worker's sends: every accept is one transaction of a few statements.
const defaultPoolSize = 32

func openPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		pcfg.MaxConns = defaultPoolSize
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres pool: %w", err)
	}
	return pool, nil
}
