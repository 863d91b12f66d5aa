package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBreaker(t *testing.T) {
	t.Parallel()
	b := NewBreaker(50*time.Millisecond, 200*time.Millisecond)
	calls := 0
	ok := func(context.Context) error { calls++; return nil }
	hang := func(ctx context.Context) error { calls++; <-ctx.Done(); return ctx.Err() }

	require.NoError(t, b.Do(t.Context(), ok))
	start := time.Now()
	err := b.Do(t.Context(), hang)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), time.Second, "a hanging Redis costs the deadline, not its own timeouts")

	require.ErrorIs(t, b.Do(t.Context(), ok), ErrUnavailable, "open: not tried")
	require.Equal(t, 2, calls)
	time.Sleep(250 * time.Millisecond)
	require.NoError(t, b.Do(t.Context(), ok), "tried again once open time is over")
	require.Equal(t, 3, calls)

	// The caller's own cancellation says nothing about Redis.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.Error(t, b.Do(ctx, func(ctx context.Context) error { return ctx.Err() }))
	require.NoError(t, b.Do(t.Context(), ok))
	require.False(t, errors.Is(b.Do(t.Context(), ok), ErrUnavailable))
}
