package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wagate/wagate/internal/delivery"
	"github.com/wagate/wagate/internal/message"
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

// Enqueuer puts send tasks on Asynq (message.Enqueuer).
type Enqueuer struct {
	client    *asynq.Client
	inspector *asynq.Inspector
}

// NewEnqueuer connects to the Redis at redisURL.
func NewEnqueuer(redisURL string) (*Enqueuer, error) {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL for asynq: %w", err)
	}
	return &Enqueuer{client: asynq.NewClient(opt), inspector: asynq.NewInspector(opt)}, nil
}

// Close closes the Redis connections.
func (e *Enqueuer) Close() error {
	_ = e.inspector.Close()
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
	_, err := e.client.EnqueueContext(ctx, task)
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
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
// (message.Kicker). Anything else (pending, running, gone) is left as it is.
func (e *Enqueuer) Kick(_ context.Context, queue string, messageID uuid.UUID) {
	q := QueueInteractive
	if queue == message.QueueBulk {
		q = QueueBulk
	}
	_ = e.inspector.RunTask(q, messageID.String())
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
