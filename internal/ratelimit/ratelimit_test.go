package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/ratelimit"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newLimiter(t *testing.T) (*ratelimit.Limiter, *redis.Client) {
	t.Helper()
	return limiterOn(t, dbtest.RedisURL(t))
}

func limiterOn(t *testing.T, url string) (*ratelimit.Limiter, *redis.Client) {
	t.Helper()
	opt, err := redis.ParseURL(url)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return ratelimit.New(rdb), rdb
}

func TestLimiter_PerMinute(t *testing.T) {
	t.Parallel()

	t.Run("BurstThenRefused", func(t *testing.T) {
		t.Parallel()
		l, rdb := newLimiter(t)
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			res, err := l.PerMinute(ctx, "t1", 5)
			require.NoError(t, err)
			require.True(t, res.Allowed, "request %d", i+1)
			require.Equal(t, 4-i, res.Remaining)
		}
		res, err := l.PerMinute(ctx, "t1", 5)
		require.NoError(t, err)
		require.False(t, res.Allowed)
		// One request refills every 12 s.
		require.InDelta(t, 12*time.Second, res.RetryAfter, float64(time.Second))
		require.InDelta(t, 60*time.Second, res.ResetAfter, float64(time.Second))

		other, err := l.PerMinute(ctx, "t2", 5)
		require.NoError(t, err)
		require.True(t, other.Allowed, "keys are independent")

		keys, err := rdb.Keys(ctx, "*").Result()
		require.NoError(t, err)
		for _, k := range keys {
			require.Regexp(t, `^wagate:`, k, "every key is prefixed")
		}
	})

	t.Run("ConcurrentCallersShareOneBucket", func(t *testing.T) {
		t.Parallel()
		// Two limiters with clients of their own stand for two instances.
		url := dbtest.RedisURL(t)
		l1, _ := limiterOn(t, url)
		l2, _ := limiterOn(t, url)
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := l1
				if i%2 == 1 {
					l = l2
				}
				res, err := l.PerMinute(context.Background(), "shared", 10)
				if err == nil && res.Allowed {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		require.Equal(t, int32(10), allowed.Load())
	})

	t.Run("BurstOneSpacesRequests", func(t *testing.T) {
		t.Parallel()
		l, _ := newLimiter(t)
		ctx := context.Background()
		res, err := l.Allow(ctx, "pace", 600, time.Minute, 1) // one per 100 ms, no burst
		require.NoError(t, err)
		require.True(t, res.Allowed)
		res, err = l.Allow(ctx, "pace", 600, time.Minute, 1)
		require.NoError(t, err)
		require.False(t, res.Allowed)
		require.LessOrEqual(t, res.RetryAfter, 100*time.Millisecond)
		require.Greater(t, res.RetryAfter, 50*time.Millisecond)
		time.Sleep(res.RetryAfter + 5*time.Millisecond)
		res, err = l.Allow(ctx, "pace", 600, time.Minute, 1)
		require.NoError(t, err)
		require.True(t, res.Allowed)
	})

	t.Run("RejectsNonsense", func(t *testing.T) {
		t.Parallel()
		l, _ := newLimiter(t)
		_, err := l.Allow(context.Background(), "x", 0, time.Minute, 1)
		require.Error(t, err)
	})
}
