package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/message"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type testBundle struct {
	enq       *Enqueuer
	inspector *asynq.Inspector
	redisURL  string
}

// setup gives each test an Enqueuer, and an Inspector to look at what it did, on a Redis database
// of the test's own.
func setup(t *testing.T) *testBundle {
	t.Helper()
	url := dbtest.RedisURL(t)
	enq, err := NewEnqueuer(url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = enq.Close() })
	opt, err := asynq.ParseRedisURI(url)
	require.NoError(t, err)
	insp := asynq.NewInspector(opt)
	t.Cleanup(func() { _ = insp.Close() })
	return &testBundle{enq: enq, inspector: insp, redisURL: url}
}

func (b *testBundle) task(t *testing.T, queue string, id uuid.UUID) *asynq.TaskInfo {
	t.Helper()
	info, err := b.inspector.GetTaskInfo(queue, id.String())
	require.NoError(t, err, "task %s in queue %s", id, queue)
	return info
}

func TestEnqueuer_EnqueueSend(t *testing.T) {
	t.Parallel()

	t.Run("Pending", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tenantID, msgID := uuid.New(), uuid.New()
		require.NoError(t, b.enq.EnqueueSend(t.Context(), tenantID, msgID, message.QueueInteractive, time.Time{}))

		info := b.task(t, QueueInteractive, msgID)
		require.Equal(t, asynq.TaskStatePending, info.State)
		require.Equal(t, TypeMessageSend, info.Type)
		require.Equal(t, messageRetries, info.MaxRetry)
		var p sendPayload
		require.NoError(t, json.Unmarshal(info.Payload, &p))
		require.Equal(t, sendPayload{TenantID: tenantID, MessageID: msgID}, p, "the payload carries the ids only")
	})

	t.Run("BulkQueue", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		msgID := uuid.New()
		require.NoError(t, b.enq.EnqueueSend(t.Context(), uuid.New(), msgID, message.QueueBulk, time.Time{}))
		require.Equal(t, QueueBulk, b.task(t, QueueBulk, msgID).Queue)
		_, err := b.inspector.GetTaskInfo(QueueInteractive, msgID.String())
		require.Error(t, err, "a bulk send is not on the interactive queue")
	})

	t.Run("Scheduled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		msgID := uuid.New()
		at := time.Now().Add(time.Hour)
		require.NoError(t, b.enq.EnqueueSend(t.Context(), uuid.New(), msgID, message.QueueInteractive, at))
		info := b.task(t, QueueInteractive, msgID)
		require.Equal(t, asynq.TaskStateScheduled, info.State)
		require.WithinDuration(t, at, info.NextProcessAt, time.Second)
	})

	t.Run("ArchivedTaskIsReplaced", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tenantID, msgID := uuid.New(), uuid.New()
		ctx := t.Context()
		require.NoError(t, b.enq.EnqueueSend(ctx, tenantID, msgID, message.QueueInteractive, time.Time{}))
		// As a task that ran out of retries: archived, and still holding its id.
		require.NoError(t, b.inspector.ArchiveTask(QueueInteractive, msgID.String()))
		require.Equal(t, asynq.TaskStateArchived, b.task(t, QueueInteractive, msgID).State)

		require.NoError(t, b.enq.EnqueueSend(ctx, tenantID, msgID, message.QueueInteractive, time.Time{}))
		info := b.task(t, QueueInteractive, msgID)
		require.Equal(t, asynq.TaskStatePending, info.State, "the message has a task that will run again")
		require.Zero(t, info.Retried, "the new task starts with its whole retry budget")
		archived, err := b.inspector.ListArchivedTasks(QueueInteractive)
		require.NoError(t, err)
		require.Empty(t, archived)
	})

	t.Run("ArchivedTaskIsReplacedWhenScheduled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		msgID := uuid.New()
		ctx := t.Context()
		require.NoError(t, b.enq.EnqueueSend(ctx, uuid.New(), msgID, message.QueueBulk, time.Time{}))
		require.NoError(t, b.inspector.ArchiveTask(QueueBulk, msgID.String()))

		at := time.Now().Add(time.Hour)
		require.NoError(t, b.enq.EnqueueSend(ctx, uuid.New(), msgID, message.QueueBulk, at))
		info := b.task(t, QueueBulk, msgID)
		require.Equal(t, asynq.TaskStateScheduled, info.State)
		require.WithinDuration(t, at, info.NextProcessAt, time.Second)
	})

	t.Run("LiveTaskConflictIsFine", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tenantID, msgID := uuid.New(), uuid.New()
		ctx := t.Context()
		at := time.Now().Add(time.Hour)
		require.NoError(t, b.enq.EnqueueSend(ctx, tenantID, msgID, message.QueueInteractive, at))

		// The sweeper enqueues again a message whose task still exists: no error, and the live task
		// (with its own due time) is left as it is.
		require.NoError(t, b.enq.EnqueueSend(ctx, tenantID, msgID, message.QueueInteractive, time.Time{}))
		info := b.task(t, QueueInteractive, msgID)
		require.Equal(t, asynq.TaskStateScheduled, info.State)
		require.WithinDuration(t, at, info.NextProcessAt, time.Second)
		pending, err := b.inspector.ListPendingTasks(QueueInteractive)
		require.NoError(t, err)
		require.Empty(t, pending, "no second task was made")
	})
}

func TestEnqueuer_Kick(t *testing.T) {
	t.Parallel()

	t.Run("ScheduledRunsNow", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		msgID := uuid.New()
		require.NoError(t, b.enq.EnqueueSend(t.Context(), uuid.New(), msgID, message.QueueBulk, time.Now().Add(time.Hour)))
		require.NoError(t, b.enq.Kick(t.Context(), message.QueueBulk, msgID))
		require.Equal(t, asynq.TaskStatePending, b.task(t, QueueBulk, msgID).State)
		require.NoError(t, b.enq.Kick(t.Context(), message.QueueBulk, msgID), "a pending task is fine")
	})

	// Regression (issue 10): after Redis lost its data, Asynq's client never registers the queue
	// again (it remembers per process that it did), so RunTask answered "queue not found", the error
	// was dropped, and every next message of a chat waited out its retry delay.
	t.Run("AfterRedisLostItsData", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.enq.EnqueueSend(t.Context(), uuid.New(), uuid.New(), message.QueueInteractive, time.Time{}))
		flush(t, b.redisURL)
		msgID := uuid.New()
		require.NoError(t, b.enq.EnqueueSend(t.Context(), uuid.New(), msgID, message.QueueInteractive, time.Now().Add(time.Hour)))
		require.NoError(t, b.enq.Kick(t.Context(), message.QueueInteractive, msgID))
		require.Equal(t, asynq.TaskStatePending, b.task(t, QueueInteractive, msgID).State)
	})

	t.Run("MissingTaskIsIgnored", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// must neither fail, panic nor create a task
		require.NoError(t, b.enq.Kick(t.Context(), message.QueueInteractive, uuid.New()))
		pending, err := b.inspector.ListPendingTasks(QueueInteractive)
		if err == nil {
			require.Empty(t, pending)
		}
	})
}

func TestEnqueuer_QueueDepth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	for range 3 {
		require.NoError(t, b.enq.EnqueueSend(ctx, uuid.New(), uuid.New(), message.QueueInteractive, time.Time{}))
	}
	require.NoError(t, b.enq.EnqueueSend(ctx, uuid.New(), uuid.New(), message.QueueBulk, time.Now().Add(time.Hour)))

	depth := b.enq.QueueDepth()
	require.Equal(t, 3.0, depth[[2]string{QueueInteractive, "pending"}])
	require.Equal(t, 0.0, depth[[2]string{QueueInteractive, "scheduled"}])
	require.Equal(t, 1.0, depth[[2]string{QueueBulk, "scheduled"}])
	require.Equal(t, 0.0, depth[[2]string{QueueBulk, "pending"}])
}

func TestEnqueuer_WatchRedis(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lost := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.enq.WatchRedis(ctx, 50*time.Millisecond, slog.New(slog.DiscardHandler), func(context.Context) { lost <- struct{}{} })
	}()
	t.Cleanup(func() { cancel(); <-done })

	waitLost := func(what string) {
		t.Helper()
		select {
		case <-lost:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the loss was not noticed", what)
		}
	}
	waitLost("first start")
	time.Sleep(300 * time.Millisecond)
	require.Empty(t, lost, "nothing lost while Redis keeps its data")

	flush(t, b.redisURL)
	waitLost("flush")
	queues, err := b.inspector.Queues()
	require.NoError(t, err)
	require.ElementsMatch(t, []string{QueueSystem, QueueInteractive, QueueBulk}, queues, "the queues are registered again")
}

// flush empties the test's Redis database, as FLUSHALL or a restart without persistence would.
func flush(t *testing.T, url string) {
	t.Helper()
	opt, err := redis.ParseURL(url)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	require.NoError(t, rdb.FlushDB(t.Context()).Err())
}
