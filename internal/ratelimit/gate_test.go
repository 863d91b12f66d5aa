package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/ratelimit"
)

func TestGate_Acquire(t *testing.T) {
	t.Parallel()

	t.Run("FreeKeyIsImmediate", func(t *testing.T) {
		t.Parallel()
		g := ratelimit.NewGate()
		release, err := g.Acquire(context.Background(), "s", ratelimit.Pace{PerMinute: 10, DelayMin: time.Hour, DelayMax: time.Hour}, 0)
		require.NoError(t, err)
		release(true)
		release(true) // harmless
		other, err := g.Acquire(context.Background(), "other", ratelimit.Pace{DelayMin: time.Hour}, 0)
		require.NoError(t, err, "keys are independent")
		other(true)
	})

	t.Run("WaitsDelayMinAfterCompletion", func(t *testing.T) {
		t.Parallel()
		g := ratelimit.NewGate()
		pace := ratelimit.Pace{DelayMin: 150 * time.Millisecond, DelayMax: 300 * time.Millisecond}
		release, err := g.Acquire(context.Background(), "s", pace, time.Second)
		require.NoError(t, err)
		release(true)
		done := time.Now()
		release, err = g.Acquire(context.Background(), "s", pace, time.Second)
		require.NoError(t, err)
		require.GreaterOrEqual(t, time.Since(done), pace.DelayMin)
		release(false)
		// Nothing was sent: the next send owes no gap to the one that was not.
		release, err = g.Acquire(context.Background(), "s", pace, 0)
		require.NoError(t, err)
		release(true)
	})

	t.Run("MaxWaitReturnsTheWait", func(t *testing.T) {
		t.Parallel()
		g := ratelimit.NewGate()
		pace := ratelimit.Pace{DelayMin: 10 * time.Second, DelayMax: 10 * time.Second}
		release, err := g.Acquire(context.Background(), "s", pace, 0)
		require.NoError(t, err)
		release(true)
		_, err = g.Acquire(context.Background(), "s", pace, time.Second)
		require.ErrorIs(t, err, ratelimit.ErrGateBusy)
		var we *ratelimit.WaitError
		require.ErrorAs(t, err, &we)
		require.InDelta(t, 10*time.Second, we.Wait, float64(time.Second))
	})

	t.Run("PerMinuteCountsCompletions", func(t *testing.T) {
		t.Parallel()
		g := ratelimit.NewGate()
		pace := ratelimit.Pace{PerMinute: 3}
		for i := 0; i < 3; i++ {
			release, err := g.Acquire(context.Background(), "s", pace, 0)
			require.NoError(t, err, "send %d", i+1)
			release(true)
		}
		// A send that did not happen does not count.
		release, err := g.Acquire(context.Background(), "x", pace, 0)
		require.NoError(t, err)
		release(false)

		_, err = g.Acquire(context.Background(), "s", pace, 0)
		var we *ratelimit.WaitError
		require.ErrorAs(t, err, &we)
		require.InDelta(t, time.Minute, we.Wait, float64(time.Second))
	})

	t.Run("SerialPerKey", func(t *testing.T) {
		t.Parallel()
		g := ratelimit.NewGate()
		pace := ratelimit.Pace{DelayMin: 5 * time.Millisecond, DelayMax: 10 * time.Millisecond}
		type span struct{ start, end time.Time }
		var mu sync.Mutex
		var spans []span
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				release, err := g.Acquire(context.Background(), "s", pace, 10*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				s := span{start: time.Now()}
				time.Sleep(2 * time.Millisecond) // the send itself
				s.end = time.Now()
				mu.Lock()
				spans = append(spans, s)
				mu.Unlock()
				release(true)
			}()
		}
		wg.Wait()
		require.Len(t, spans, 20)
		// spans were appended in completion order while the key was held, so they are ordered.
		for i := 1; i < len(spans); i++ {
			require.GreaterOrEqual(t, spans[i].start.Sub(spans[i-1].end), pace.DelayMin, "send %d started too soon", i)
		}
	})

	t.Run("BusyPastMaxWait", func(t *testing.T) {
		t.Parallel()
		g := ratelimit.NewGate()
		release, err := g.Acquire(context.Background(), "s", ratelimit.Pace{}, 0)
		require.NoError(t, err)
		start := time.Now()
		_, err = g.Acquire(context.Background(), "s", ratelimit.Pace{}, 50*time.Millisecond)
		require.ErrorIs(t, err, ratelimit.ErrGateBusy)
		require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "waited for the holder first")
		var we *ratelimit.WaitError
		require.ErrorAs(t, err, &we)
		require.Positive(t, we.Wait)

		// The held key is free again once released, to a caller already waiting.
		got := make(chan error, 1)
		go func() {
			r, err := g.Acquire(context.Background(), "s", ratelimit.Pace{}, 10*time.Second)
			if err == nil {
				r(true)
			}
			got <- err
		}()
		release(false)
		require.NoError(t, <-got)
	})

	t.Run("ContextEndsTheWait", func(t *testing.T) {
		t.Parallel()
		g := ratelimit.NewGate()
		pace := ratelimit.Pace{DelayMin: time.Hour, DelayMax: time.Hour}
		release, err := g.Acquire(context.Background(), "s", pace, 0)
		require.NoError(t, err)
		release(true)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err = g.Acquire(ctx, "s", pace, 2*time.Hour)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.False(t, errors.Is(err, ratelimit.ErrGateBusy))
	})
}

func TestGate_Seed(t *testing.T) {
	t.Parallel()

	t.Run("RecentCompletionsCount", func(t *testing.T) {
		t.Parallel()
		g := ratelimit.NewGate()
		now := time.Now()
		// Out of order, as a previous holder's record may come.
		g.Seed("s", []time.Time{now.Add(-10 * time.Second), now.Add(-30 * time.Second), now.Add(-20 * time.Second)})
		_, err := g.Acquire(context.Background(), "s", ratelimit.Pace{PerMinute: 3}, 0)
		var we *ratelimit.WaitError
		require.ErrorAs(t, err, &we)
		require.InDelta(t, 30*time.Second, we.Wait, float64(time.Second), "the oldest of the three leaves the window in 30 s")

		_, err = g.Acquire(context.Background(), "s", ratelimit.Pace{DelayMin: 15 * time.Second, DelayMax: 15 * time.Second}, 0)
		require.ErrorAs(t, err, &we)
		require.InDelta(t, 5*time.Second, we.Wait, float64(time.Second), "15 s after the latest")
	})

	t.Run("OldCompletionsDoNot", func(t *testing.T) {
		t.Parallel()
		g := ratelimit.NewGate()
		old := time.Now().Add(-2 * time.Minute)
		g.Seed("s", []time.Time{old, old.Add(time.Second), old.Add(2 * time.Second)})
		release, err := g.Acquire(context.Background(), "s", ratelimit.Pace{PerMinute: 1, DelayMin: time.Second, DelayMax: time.Second}, 0)
		require.NoError(t, err)
		release(true)
	})
}
