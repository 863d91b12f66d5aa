package outbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/outbox"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type testBundle struct {
	db   *pgxpool.Pool
	feed *outbox.Feed
}

// setup runs a feed polling every 20 ms on a database of the test's own, ready to deliver.
func setup(t *testing.T) (*outbox.Feed, *testBundle) {
	t.Helper()
	db := dbtest.Pool(t)
	feed := outbox.NewFeed(db, slog.New(slog.NewTextHandler(io.Discard, nil)), 20*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); feed.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-feed.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("feed did not start")
	}
	return feed, &testBundle{db: db, feed: feed}
}

func newTenant(t *testing.T, db store.DB, name string) uuid.UUID {
	t.Helper()
	tn, err := tenant.Create(t.Context(), store.New(db), tenant.CreateInput{Name: name, Status: "active"})
	require.NoError(t, err)
	return tn.ID
}

func insert(t *testing.T, db store.DBTX, tenantID uuid.UUID, status string) {
	t.Helper()
	msg := uuid.New()
	err := store.New(db).EventInsert(t.Context(), store.EventInsertParams{TenantID: tenantID, MessageID: &msg,
		Type: "message.status", Status: status, Payload: []byte(fmt.Sprintf(`{"status": %q}`, status))})
	require.NoError(t, err)
}

// receive reads n events from ch, failing after timeout.
func receive(t *testing.T, ch <-chan outbox.Event, n int, timeout time.Duration) []outbox.Event {
	t.Helper()
	var got []outbox.Event
	deadline := time.After(timeout)
	for len(got) < n {
		select {
		case e, ok := <-ch:
			require.True(t, ok, "channel closed early")
			got = append(got, e)
		case <-deadline:
			t.Fatalf("got %d of %d events within %s", len(got), n, timeout)
		}
	}
	return got
}

func requireNothingPending(t *testing.T, ch <-chan outbox.Event) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("unexpected event %+v", e)
	default:
	}
}

func statuses(evs []outbox.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Status
	}
	return out
}

func TestFeed_TenantIsolation(t *testing.T) {
	t.Parallel()
	feed, b := setup(t)
	a, other := newTenant(t, b.db, "A"), newTenant(t, b.db, "B")
	subA := feed.Subscribe(t.Context(), a)
	subA2 := feed.Subscribe(t.Context(), a)
	subB := feed.Subscribe(t.Context(), other)

	insert(t, b.db, a, "sent")
	insert(t, b.db, other, "queued")
	insert(t, b.db, a, "delivered")
	insert(t, b.db, other, "read") // last: once B has it, the feed has read everything before it

	gotB := receive(t, subB, 2, 5*time.Second)
	require.Equal(t, []string{"queued", "read"}, statuses(gotB))
	for _, sub := range []<-chan outbox.Event{subA, subA2} {
		got := receive(t, sub, 2, 5*time.Second)
		require.Equal(t, []string{"sent", "delivered"}, statuses(got))
		for _, e := range got {
			require.Equal(t, a, e.TenantID)
			require.NotNil(t, e.MessageID)
			require.JSONEq(t, fmt.Sprintf(`{"status": %q}`, e.Status), string(e.Payload))
			require.False(t, e.CreatedAt.IsZero())
		}
		requireNothingPending(t, sub)
	}
	requireNothingPending(t, subB)
}

func TestFeed_StartsAtTheNewestEvent(t *testing.T) {
	t.Parallel()
	db := dbtest.Pool(t)
	tn := newTenant(t, db, "A")
	insert(t, db, tn, "history")

	feed := outbox.NewFeed(db, slog.New(slog.NewTextHandler(io.Discard, nil)), 20*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := feed.Subscribe(ctx, tn)
	go feed.Run(ctx)
	<-feed.Ready()
	insert(t, db, tn, "new")
	got := receive(t, sub, 1, 5*time.Second)
	require.Equal(t, "new", got[0].Status, "no replay of what happened before")
}

func TestFeed_OutOfOrderCommit(t *testing.T) {
	t.Parallel()
	feed, b := setup(t)
	ctx := t.Context()
	tn := newTenant(t, b.db, "A")
	sub := feed.Subscribe(ctx, tn)

	// The lower id is taken first and committed last.
	early, err := b.db.Begin(ctx)
	require.NoError(t, err)
	defer early.Rollback(ctx) //nolint:errcheck
	insert(t, early, tn, "early")
	for i := 0; i < 20; i++ {
		insert(t, b.db, tn, fmt.Sprintf("later-%d", i))
	}
	later := receive(t, sub, 20, 5*time.Second)
	// Give the feed a few polls with the gap open, each re-reading the rows above it.
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, early.Commit(ctx))

	got := receive(t, sub, 1, 5*time.Second)
	require.Equal(t, "early", got[0].Status, "the late commit is not skipped")
	require.Less(t, got[0].ID, later[0].ID, "it really had the lower id")

	insert(t, b.db, tn, "last")
	got = receive(t, sub, 1, 5*time.Second)
	require.Equal(t, "last", got[0].Status, "nothing delivered twice in between")
	requireNothingPending(t, sub)
	ids := map[int64]bool{}
	for _, e := range later {
		require.False(t, ids[e.ID], "event %d delivered twice", e.ID)
		ids[e.ID] = true
	}
}

func TestFeed_RolledBackIDIsGivenUp(t *testing.T) {
	t.Parallel()
	feed, b := setup(t)
	ctx := t.Context()
	tn := newTenant(t, b.db, "A")
	sub := feed.Subscribe(ctx, tn)

	tx, err := b.db.Begin(ctx)
	require.NoError(t, err)
	insert(t, tx, tn, "never")
	require.NoError(t, tx.Rollback(ctx))
	insert(t, b.db, tn, "after-gap")
	got := receive(t, sub, 1, 5*time.Second)
	require.Equal(t, "after-gap", got[0].Status, "what is above a gap is delivered at once")

	// Once the gap is given up, the feed keeps going without re-delivering.
	insert(t, b.db, tn, "much-later")
	got = receive(t, sub, 1, outbox.GapHold+5*time.Second)
	require.Equal(t, "much-later", got[0].Status)
	requireNothingPending(t, sub)
}

func TestFeed_SlowSubscriberDoesNotBlock(t *testing.T) {
	t.Parallel()
	feed, b := setup(t)
	ctx := t.Context()
	tn := newTenant(t, b.db, "A")
	slow := feed.Subscribe(ctx, tn) // never read until the end
	fast := feed.Subscribe(ctx, tn)

	n := outbox.SubscriberBuffer + 44
	require.NoError(t, store.WithTx(ctx, b.db, func(q *store.Queries) error {
		for i := 0; i < n; i++ {
			if err := q.EventInsert(ctx, store.EventInsertParams{TenantID: tn, Type: "message.status",
				Status: fmt.Sprint(i), Payload: []byte(`{}`)}); err != nil {
				return err
			}
		}
		return nil
	}))
	got := receive(t, fast, n, 10*time.Second)
	require.Len(t, got, n, "the reader that keeps up gets everything")
	require.Len(t, slow, outbox.SubscriberBuffer, "the slow one kept its buffer and lost the rest")
}

func TestFeed_SubscriptionEndsWithContext(t *testing.T) {
	t.Parallel()
	feed, b := setup(t)
	tn := newTenant(t, b.db, "A")
	ctx, cancel := context.WithCancel(t.Context())
	sub := feed.Subscribe(ctx, tn)
	cancel()
	select {
	case _, ok := <-sub:
		require.False(t, ok)
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after its context ended")
	}
	// The feed carries on for others.
	other := feed.Subscribe(t.Context(), tn)
	insert(t, b.db, tn, "sent")
	receive(t, other, 1, 5*time.Second)
}
