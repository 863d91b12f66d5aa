package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wagate/wagate/internal/delivery"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/ratelimit"
)

// TypeMessageSend is the task that sends one message. Its payload is ids only; its TaskID is the
// message id, so a message has at most one task (DESIGN.md Send flow).
const TypeMessageSend = "message:send"

// messageRetries is the failure budget of a send task. Pacing and sessions that are down do not
// spend it (RetryError.Failure false); the message's expiry ends a send that keeps failing.
const messageRetries = 1000

type sendPayload struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	MessageID uuid.UUID `json:"message_id"`
}

// Enqueuer puts send tasks on Asynq (message.Enqueuer), wakes waiting ones (delivery.Kicker) and
// notices when Redis has lost its data (WatchRedis).
type Enqueuer struct {
	client    *asynq.Client
	inspector *asynq.Inspector
	rdb       *redis.Client // Asynq's own keys that its API cannot repair (the set of queues), and the marker
	// breaker keeps an enqueue after an accept from waiting on a Redis that does not answer: the
	// message is in Postgres, and the sweeper enqueues it later.
	breaker *ratelimit.Breaker
}

// NewEnqueuer connects to the Redis at redisURL.
func NewEnqueuer(redisURL string) (*Enqueuer, error) {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL for asynq: %w", err)
	}
	if o, ok := opt.(asynq.RedisClientOpt); ok {
		// Short network timeouts: these calls sit on request paths (go-redis's defaults are seconds).
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = 500*time.Millisecond, time.Second, time.Second
		opt = o
	}
	ropt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	ropt.PoolSize = 2 // a SADD now and then, a marker check every few seconds
	return &Enqueuer{client: asynq.NewClient(opt), inspector: asynq.NewInspector(opt), rdb: redis.NewClient(ropt),
		breaker: ratelimit.NewBreaker(250*time.Millisecond, 2*time.Second)}, nil
}

// Close closes the Redis connections.
func (e *Enqueuer) Close() error {
	_ = e.inspector.Close()
	_ = e.rdb.Close()
	return e.client.Close()
}

// EnqueueSend enqueues the send task of a message, at `at` (zero: now). A task of that id that exists
// already is fine; an archived one (it ran out of retries) is deleted first, so the message gets a
// new task (DESIGN.md Contracts).
func (e *Enqueuer) EnqueueSend(ctx context.Context, tenantID, messageID uuid.UUID, queue string, at time.Time) error {
	b, _ := json.Marshal(sendPayload{TenantID: tenantID, MessageID: messageID})
	q := QueueInteractive
	if queue == message.QueueBulk {
		q = QueueBulk
	}
	opts := []asynq.Option{asynq.TaskID(messageID.String()), asynq.Queue(q), asynq.MaxRetry(messageRetries),
		asynq.Timeout(2 * time.Minute)}
	if !at.IsZero() {
		opts = append(opts, asynq.ProcessAt(at))
	}
	task := asynq.NewTask(TypeMessageSend, b, opts...)
	conflict := false
	err := e.breaker.Do(ctx, func(ctx context.Context) error {
		_, err := e.client.EnqueueContext(ctx, task)
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			conflict = true // Redis answered: a task of that id exists
			return nil
		}
		return err
	})
	if err != nil || !conflict {
		return err
	}
	info, ierr := e.inspector.GetTaskInfo(q, messageID.String())
	if ierr != nil || info.State != asynq.TaskStateArchived {
		return nil // it exists and will run
	}
	if err := e.inspector.DeleteTask(q, messageID.String()); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
		return fmt.Errorf("delete archived task: %w", err)
	}
	if _, err := e.client.EnqueueContext(ctx, task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return err
	}
	return nil
}

// Kick runs the waiting send task of a message now, when it waits in the retry or scheduled set
// (delivery.Kicker). Anything else (pending, running, gone) is left as it is. When Redis has lost
// Asynq's set of queues, the queues are registered again and the kick retried.
func (e *Enqueuer) Kick(ctx context.Context, queue string, messageID uuid.UUID) error {
	q := QueueInteractive
	if queue == message.QueueBulk {
		q = QueueBulk
	}
	err := e.inspector.RunTask(q, messageID.String())
	if errors.Is(err, asynq.ErrQueueNotFound) {
		if rerr := e.republish(ctx); rerr != nil {
			return fmt.Errorf("kick message %s: %w", messageID, rerr)
		}
		err = e.inspector.RunTask(q, messageID.String())
	}
	switch {
	case err == nil, errors.Is(err, asynq.ErrTaskNotFound):
		return nil
	case strings.Contains(err.Error(), "task is already"):
		// Pending or running: it goes now anyway. Asynq words these only as text (FailedPrecondition).
		return nil
	}
	return fmt.Errorf("kick message %s: %w", messageID, err)
}

// asynqQueues is Asynq's set of queue names, which its inspector consults before any task operation.
// Its client adds a queue to it only on the process's first enqueue into that queue, so a FLUSHALL
// or a restart without persistence leaves it empty until someone adds them again (DESIGN.md traps).
const asynqQueues = "asynq:queues"

// redisMarker is set while Redis keeps its data: a FLUSHALL or a restart without persistence removes
// it, which is how a worker learns that queued tasks were lost.
const redisMarker = "wagate:redis:marker"

// republish registers every queue in Asynq's set of queues again.
func (e *Enqueuer) republish(ctx context.Context) error {
	if err := e.rdb.SAdd(ctx, asynqQueues, QueueSystem, QueueInteractive, QueueBulk).Err(); err != nil {
		return fmt.Errorf("register queues again: %w", err)
	}
	return nil
}

// WatchRedis checks every `every` that Redis still holds its data (the marker key) until ctx ends.
// When it does not (a FLUSHALL, a restart without persistence, a fail-over to an empty replica) it
// registers the queues again and calls lost, which re-enqueues what Redis lost at once instead of
// after the sweeper's grace. The first check after start counts as a loss (harmless: one sweep).
func (e *Enqueuer) WatchRedis(ctx context.Context, every time.Duration, log *slog.Logger, lost func(context.Context)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		set, err := e.rdb.SetNX(ctx, redisMarker, time.Now().UTC().Format(time.RFC3339), 0).Result()
		switch {
		case err != nil && ctx.Err() == nil:
			log.WarnContext(ctx, "check that redis kept its data", "err", err)
		case set:
			log.WarnContext(ctx, "redis has none of its earlier keys (first start, a restart without persistence, or a flush): registering the queues and re-enqueuing unsent messages")
			if err := e.republish(ctx); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "register the queues again", "err", err)
			}
			lost(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// HandleMessages routes send tasks to d.
func (s *Server) HandleMessages(d *delivery.Dispatcher) {
	s.mux.HandleFunc(TypeMessageSend, func(ctx context.Context, t *asynq.Task) error {
		var p sendPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return fmt.Errorf("%w: bad payload: %v", asynq.SkipRetry, err)
		}
		return d.Process(ctx, p.TenantID, p.MessageID)
	})
}

// retryDelay honours a delivery.RetryError's wait. Asynq keeps due times in whole seconds and would
// run a task up to 1 s early, so the wait is rounded up to the next whole second: never early.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	var re *delivery.RetryError
	if errors.As(err, &re) {
		due := time.Now().Add(re.After)
		next := due.Truncate(time.Second)
		if next.Before(due) {
			next = next.Add(time.Second)
		}
		return time.Until(next) + time.Millisecond
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// isFailure: waits asked for by a RetryError without Failure are not failures (no retry spent).
func isFailure(err error) bool {
	var re *delivery.RetryError
	if errors.As(err, &re) {
		return re.Failure
	}
	return true
}

// QueueDepth reports pending, scheduled and retry tasks per queue (for metrics).
func (e *Enqueuer) QueueDepth() map[[2]string]float64 {
	out := map[[2]string]float64{}
	for _, q := range []string{QueueSystem, QueueInteractive, QueueBulk} {
		info, err := e.inspector.GetQueueInfo(q)
		if err != nil {
			continue
		}
		out[[2]string{q, "pending"}] = float64(info.Pending)
		out[[2]string{q, "active"}] = float64(info.Active)
		out[[2]string{q, "scheduled"}] = float64(info.Scheduled)
		out[[2]string{q, "retry"}] = float64(info.Retry)
		out[[2]string{q, "archived"}] = float64(info.Archived)
	}
	return out
}
