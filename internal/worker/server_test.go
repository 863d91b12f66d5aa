package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/delivery"
	"github.com/wagate/wagate/internal/message"
)

// These tests run a real Asynq server: retry timing, IsFailure and archiving only show up there. They
// start servers and measure waits, so they run one at a time.

func newServer(t *testing.T, redisURL string) *Server {
	t.Helper()
	s, err := NewServer(redisURL, Config{Concurrency: 2}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return s
}

func start(t *testing.T, s *Server) {
	t.Helper()
	require.NoError(t, s.Start())
	t.Cleanup(s.Shutdown)
}

func enqueueRaw(t *testing.T, redisURL string, task *asynq.Task) {
	t.Helper()
	opt, err := asynq.ParseRedisURI(redisURL)
	require.NoError(t, err)
	client := asynq.NewClient(opt)
	defer client.Close()
	_, err = client.EnqueueContext(t.Context(), task)
	require.NoError(t, err)
}

func TestServer_HandleMessages(t *testing.T) {
	t.Run("BadPayloadSkipsRetry", func(t *testing.T) {
		s := newServer(t, dbtest.RedisURL(t))
		s.HandleMessages(nil) // never reached: the payload is refused first
		err := s.mux.ProcessTask(t.Context(), asynq.NewTask(TypeMessageSend, []byte("{not json")))
		require.ErrorIs(t, err, asynq.SkipRetry)
		require.ErrorContains(t, err, "bad payload")
	})

	t.Run("BadPayloadIsArchivedAtOnce", func(t *testing.T) {
		b := setup(t)
		s := newServer(t, b.redisURL)
		s.HandleMessages(nil)
		start(t, s)
		id := uuid.New()
		enqueueRaw(t, b.redisURL, asynq.NewTask(TypeMessageSend, []byte(`{"tenant_id": 42}`), asynq.TaskID(id.String()),
			asynq.Queue(QueueInteractive), asynq.MaxRetry(messageRetries)))

		var info *asynq.TaskInfo
		dbtest.WaitFor(t, 10*time.Second, "the task archived", func() bool {
			var err error
			info, err = b.inspector.GetTaskInfo(QueueInteractive, id.String())
			return err == nil && info.State == asynq.TaskStateArchived
		})
		require.Zero(t, info.Retried, "a payload that cannot be read is not retried")
		require.Contains(t, info.LastErr, "bad payload")
	})

	t.Run("UnknownMessageCompletes", func(t *testing.T) {
		b := setup(t)
		db := dbtest.Pool(t)
		s := newServer(t, b.redisURL)
		s.HandleMessages(delivery.NewDispatcher(db, nil, delivery.NewRouter(uuid.New(), nil, nil, db), b.enq, message.NoObserver, delivery.DispatchConfig{}, nil))
		start(t, s)
		msgID := uuid.New()
		require.NoError(t, b.enq.EnqueueSend(t.Context(), uuid.New(), msgID, message.QueueInteractive, time.Time{}))

		// A message that is gone (deleted with its session, say) needs nothing more: the task ends
		// and is removed, neither retried nor archived.
		dbtest.WaitFor(t, 10*time.Second, "the task done", func() bool {
			_, err := b.inspector.GetTaskInfo(QueueInteractive, msgID.String())
			return errors.Is(err, asynq.ErrTaskNotFound)
		})
		q, err := b.inspector.GetQueueInfo(QueueInteractive)
		require.NoError(t, err)
		require.Equal(t, 1, q.Processed)
		require.Zero(t, q.Failed)
	})
}

// run is one run of a test task: when it started and the retry count Asynq gave it.
type run struct {
	at      time.Time
	retried int
}

// twoRuns registers a task type whose first run returns first and whose second succeeds, and returns
// a function that waits for both runs.
func twoRuns(t *testing.T, s *Server, typ string, first error) func() []run {
	t.Helper()
	var mu sync.Mutex
	var runs []run
	done := make(chan struct{})
	s.mux.HandleFunc(typ, func(ctx context.Context, _ *asynq.Task) error {
		n, _ := asynq.GetRetryCount(ctx)
		mu.Lock()
		defer mu.Unlock()
		runs = append(runs, run{at: time.Now(), retried: n})
		switch len(runs) {
		case 1:
			return first
		case 2:
			close(done)
		}
		return nil
	})
	return func() []run {
		t.Helper()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Fatalf("the task did not run twice in 15 s")
		}
		mu.Lock()
		defer mu.Unlock()
		return append([]run(nil), runs...)
	}
}

func TestServer_Retry(t *testing.T) {
	t.Run("WaitSpendsNoRetry", func(t *testing.T) {
		b := setup(t)
		s := newServer(t, b.redisURL)
		const wait = 1300 * time.Millisecond
		runs := twoRuns(t, s, "test:wait", &delivery.RetryError{After: wait, Reason: "pacing"})
		start(t, s)
		enqueueRaw(t, b.redisURL, asynq.NewTask("test:wait", nil, asynq.Queue(QueueSystem), asynq.MaxRetry(3)))

		r := runs()
		require.GreaterOrEqual(t, r[1].at.Sub(r[0].at), wait, "the second run came before the wait was over")
		// Rounding to whole seconds and the 200 ms check interval add at most ~1.2 s; 2 s more
		// is slack for a loaded machine.
		require.Less(t, r[1].at.Sub(r[0].at), wait+3200*time.Millisecond)
		require.Zero(t, r[1].retried, "a wait the task asked for spends no retry")
	})

	t.Run("FailureSpendsRetry", func(t *testing.T) {
		b := setup(t)
		s := newServer(t, b.redisURL)
		const wait = 400 * time.Millisecond
		runs := twoRuns(t, s, "test:fail", &delivery.RetryError{After: wait, Failure: true, Reason: "send failed"})
		start(t, s)
		enqueueRaw(t, b.redisURL, asynq.NewTask("test:fail", nil, asynq.Queue(QueueSystem), asynq.MaxRetry(3)))

		r := runs()
		require.GreaterOrEqual(t, r[1].at.Sub(r[0].at), wait)
		require.Equal(t, 1, r[1].retried, "a failure spends a retry")
	})
}
