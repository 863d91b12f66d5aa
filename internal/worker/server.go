// Package worker is the worker role: Asynq task types, payloads (ids only) and handlers that call the
// domain services. It is, with cmd, the only importer of asynq; domain packages reach it through
// small interfaces they declare themselves (e.g. an Enqueuer).
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hibiken/asynq"
)

// Queues, with strict priority in this order (DESIGN.md Contracts): sweeps and promotion first, then
// single sends, then campaigns. Weights would let a bulk send overtake a single one. The list is fixed
// at server start, and is never one queue per tenant or session (that collapses Asynq's throughput).
const (
	QueueSystem      = "system"
	QueueInteractive = "interactive"
	QueueBulk        = "bulk"
)

// Server runs Asynq handlers.
type Server struct {
	srv *asynq.Server
	mux *asynq.ServeMux
	log *slog.Logger
}

// Config tunes the worker role.
type Config struct {
	Concurrency int
}

// NewServer builds the worker on Redis at redisURL.
func NewServer(redisURL string, cfg Config, log *slog.Logger) (*Server, error) {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL for asynq: %w", err)
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 20
	}
	log = log.With("component", "worker")
	s := &Server{mux: asynq.NewServeMux(), log: log}
	s.srv = asynq.NewServer(opt, asynq.Config{
		Concurrency:    cfg.Concurrency,
		Queues:         map[string]int{QueueSystem: 3, QueueInteractive: 2, QueueBulk: 1},
		StrictPriority: true,
		// Asynq's defaults poll every 1 s and forward scheduled tasks every 5 s: far too late for a
		// message due at a given second.
		TaskCheckInterval:        200 * time.Millisecond,
		DelayedTaskCheckInterval: 200 * time.Millisecond,
		ShutdownTimeout:          20 * time.Second,
		RetryDelayFunc:           retryDelay,
		IsFailure:                isFailure,
		Logger:                   asynqLogger{log},
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			if !isFailure(err) {
				// A wait the task asked for (pacing, a session that is down): not a failure.
				log.DebugContext(ctx, "task deferred", "task_type", t.Type(), "task_id", id, "reason", err.Error())
				return
			}
			log.ErrorContext(ctx, "task failed", "task_type", t.Type(), "task_id", id, "err", err)
		}),
	})
	return s, nil
}

// Start begins processing in the background.
func (s *Server) Start() error {
	if err := s.srv.Start(s.mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	return nil
}

// Shutdown stops fetching tasks and waits for running ones (up to the shutdown timeout); unfinished
// tasks go back to their queue.
func (s *Server) Shutdown() { s.srv.Shutdown() }

// asynqLogger adapts Asynq's printf-less logger to slog.
type asynqLogger struct{ log *slog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...)) }
func (l asynqLogger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...)) }
func (l asynqLogger) Error(args ...any) { l.log.Error(fmt.Sprint(args...)) }

// Fatal is called by Asynq when it cannot go on; like Asynq's own logger, it ends the process.
func (l asynqLogger) Fatal(args ...any) {
	l.log.Error(fmt.Sprint(args...))
	os.Exit(1)
}
