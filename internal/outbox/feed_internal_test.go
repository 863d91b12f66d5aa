package outbox

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
)

// TestFeed_CursorPassesGaps checks the bookkeeping behind exactly-once delivery: the cursor waits
// below a missing id (an uncommitted or rolled-back insert) for GapHold, then passes it, and the set
// of delivered ids above the cursor empties again (memory stays bounded).
func TestFeed_CursorPassesGaps(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := dbtest.Pool(t)
	tn, err := tenant.Create(ctx, store.New(db), tenant.CreateInput{Name: "A", Status: "active"})
	require.NoError(t, err)
	insert := func(q *store.Queries) {
		require.NoError(t, q.EventInsert(ctx, store.EventInsertParams{TenantID: tn.ID, Type: "message.status", Payload: []byte(`{}`)}))
	}

	f := NewFeed(db, slog.New(slog.NewTextHandler(io.Discard, nil)), 20*time.Millisecond)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); f.Run(rctx) }()
	defer func() { cancel(); <-done }()
	<-f.Ready()
	start := f.cursor.Load()

	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	insert(store.New(tx)) // start+1, never committed
	require.NoError(t, tx.Rollback(ctx))
	insert(store.New(db)) // start+2
	rolledBackAt := time.Now()

	dbtest.WaitFor(t, GapHold+5*time.Second, "cursor past the gap", func() bool { return f.cursor.Load() == start+2 })
	require.GreaterOrEqual(t, time.Since(rolledBackAt), GapHold-100*time.Millisecond, "the gap was held first")

	insert(store.New(db)) // start+3: no gap, the cursor follows at once
	dbtest.WaitFor(t, 2*time.Second, "cursor follows", func() bool { return f.cursor.Load() == start+3 })
	cancel()
	<-done
	require.Empty(t, f.seen)
}
