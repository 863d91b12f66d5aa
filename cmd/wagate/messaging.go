package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/config"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/metrics"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/worker"
)

// messagingParts are the messaging side of a process (issue 5): the media store, the send-task
// enqueuer, and the message system whose holder and worker sides the roles switch on.
type messagingParts struct {
	Media    *media.Service
	System   *message.System
	Enqueuer *worker.Enqueuer
}

func newMessagingParts(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, rdb *redis.Client, log *slog.Logger,
	instance uuid.UUID) (*messagingParts, error) {
	st, err := media.NewStore(ctx, cfg, cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	if !cfg.S3.Enabled() {
		log.InfoContext(ctx, "media is stored on local disk (MEDIA_DIR); run a single instance, or set S3_BUCKET", "media_dir", cfg.MediaDir)
	}
	msvc := media.NewService(pool, st, media.Config{EgressAllow: cfg.EgressAllow, Log: log})
	enq, err := worker.NewEnqueuer(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	scfg := message.SystemConfig{Instance: instance, Service: message.Config{Expiry: cfg.MessageExpiry}}
	// Test and demo knobs (not in the README's table): shorter claims and sweeps make the recovery
	// paths observable in seconds.
	if d, err := time.ParseDuration(os.Getenv("WAGATE_SEND_CLAIM_TTL")); err == nil {
		scfg.Dispatch.ClaimTTL = d
	}
	if d, err := time.ParseDuration(os.Getenv("WAGATE_SWEEP_GRACE")); err == nil {
		scfg.Sweep.Grace, scfg.Sweep.SweepEvery = d, min(d, 5*time.Second)
	}
	sys := message.NewSystem(pool, message.Infra{Pacer: ratelimit.NewPacer(rdb), RPC: cluster.RPCFactory(rdb, 32, log)}, enq, message.MediaStore(msvc), scfg, log)
	observeMetrics(enq)
	return &messagingParts{Media: msvc, System: sys, Enqueuer: enq}, nil
}

// observeMetrics feeds the Prometheus metrics from the message system's hooks.
func observeMetrics(enq *worker.Enqueuer) {
	m := metrics.Default()
	message.Observe = func(s message.Status, _ message.Message) { m.MessageStatus(string(s)) }
	message.ObserveSend = func(send, acceptToSent time.Duration) {
		m.ObserveSend(send)
		m.ObserveAcceptToSent(acceptToSent)
	}
	message.PacingWait = m.PacingWait
	m.SetQueueDepthFunc(enq.QueueDepth)
}

// serveMetrics serves /metrics on METRICS_ADDR ("off": not at all) until ctx ends. A listener that
// cannot be opened stops the start: a second instance on one host needs its own METRICS_ADDR.
func serveMetrics(ctx context.Context, addr string, log *slog.Logger) error {
	if addr == "" || addr == "off" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics on METRICS_ADDR %s: %w", addr, err)
	}
	go func() {
		if err := metrics.ServeListener(ctx, ln, metrics.Default().Registry(), log); err != nil {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	return nil
}
