package ratelimit_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/ratelimit"
)

func newPacer(t *testing.T, url string) (*ratelimit.Pacer, *redis.Client) {
	t.Helper()
	opt, err := redis.ParseURL(url)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return ratelimit.NewPacer(rdb), rdb
}

// slotOf reads the slot a ticket holds (ms of Redis's clock), as the pacer stored it.
func slotOf(t *testing.T, rdb *redis.Client, ticketID string) int64 {
	t.Helper()
	v, err := rdb.Get(context.Background(), "wagate:pace:ticket:"+ticketID).Result()
	require.NoError(t, err)
	ms, err := strconv.ParseInt(v, 10, 64)
	require.NoError(t, err)
	return ms
}

func redisNowMs(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	now, err := rdb.Time(context.Background()).Result()
	require.NoError(t, err)
	return now.UnixMilli()
}

// checkSlots asserts that sorted slot times keep minGap between neighbours and that no 60 s window
// [s, s+60s) starting at any slot holds more than perMinute of them; it returns the fullest window.
func checkSlots(t *testing.T, slots []int64, minGap time.Duration, perMinute int) int {
	t.Helper()
	slices.Sort(slots)
	for i := 1; i < len(slots); i++ {
		require.GreaterOrEqual(t, slots[i]-slots[i-1], minGap.Milliseconds(), "gap between slot %d and %d", i-1, i)
	}
	fullest := 0
	for i := range slots {
		j, _ := slices.BinarySearch(slots, slots[i]+time.Minute.Milliseconds())
		n := j - i
		require.LessOrEqual(t, n, perMinute, "window starting at slot %d", i)
		fullest = max(fullest, n)
	}
	return fullest
}

func TestPacer_Ticket(t *testing.T) {
	t.Parallel()

	t.Run("ThousandTicketsFromManyGoroutines", func(t *testing.T) {
		t.Parallel()
		// Two pacers with clients of their own stand for two instances' workers.
		url := dbtest.RedisURL(t)
		p1, rdb := newPacer(t, url)
		p2, _ := newPacer(t, url)
		pace := ratelimit.Pace{PerMinute: 30, DelayMin: time.Second, DelayMax: 3 * time.Second}
		const n, workers = 1000, 16
		ids := make(chan string, n)
		for i := 0; i < n; i++ {
			ids <- fmt.Sprintf("msg-%04d", i)
		}
		close(ids)
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := p1
				if w%2 == 1 {
					p = p2
				}
				for id := range ids {
					if _, err := p.Ticket(context.Background(), "session-a", id, pace); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}

		slots := make([]int64, 0, n)
		for i := 0; i < n; i++ {
			slots = append(slots, slotOf(t, rdb, fmt.Sprintf("msg-%04d", i)))
		}
		checkSlots(t, slots, time.Second, 30)
		span := time.Duration(slots[n-1]-slots[0]) * time.Millisecond
		// 999 gaps of 1–3 s (2 s on average, which 30 a minute also allows): far from the bounds.
		require.Greater(t, span, 1500*time.Second, "gaps are drawn across the range, not all at the minimum")
		require.Less(t, span, 2500*time.Second, "gaps are drawn across the range, not all at the maximum")

		card, err := rdb.ZCard(context.Background(), "wagate:pace:session-a").Result()
		require.NoError(t, err)
		require.EqualValues(t, 30, card, "the set keeps only the latest PerMinute slots")
		ttl, err := rdb.PTTL(context.Background(), "wagate:pace:session-a").Result()
		require.NoError(t, err)
		require.Greater(t, ttl, time.Duration(slots[n-1]-redisNowMs(t, rdb))*time.Millisecond, "the key outlives its latest slot")
	})

	t.Run("PerMinuteCapBindsWhenDelaysAreShort", func(t *testing.T) {
		t.Parallel()
		p, rdb := newPacer(t, dbtest.RedisURL(t))
		pace := ratelimit.Pace{PerMinute: 30, DelayMin: 100 * time.Millisecond, DelayMax: 200 * time.Millisecond}
		slots := make([]int64, 0, 200)
		for i := 0; i < 200; i++ {
			id := fmt.Sprintf("m%d", i)
			_, err := p.Ticket(context.Background(), "s", id, pace)
			require.NoError(t, err)
			slots = append(slots, slotOf(t, rdb, id))
		}
		fullest := checkSlots(t, slots, 100*time.Millisecond, 30)
		require.Equal(t, 30, fullest, "the cap is reached, not merely respected")
	})

	t.Run("SameTicketSameSlot", func(t *testing.T) {
		t.Parallel()
		p, rdb := newPacer(t, dbtest.RedisURL(t))
		ctx := context.Background()
		pace := ratelimit.Pace{PerMinute: 10, DelayMin: 2 * time.Second, DelayMax: 2 * time.Second}
		first, err := p.Ticket(ctx, "s", "a", pace)
		require.NoError(t, err)
		require.LessOrEqual(t, first, time.Duration(0), "the first slot of an idle session is now")
		second, err := p.Ticket(ctx, "s", "b", pace)
		require.NoError(t, err)
		require.InDelta(t, 2*time.Second, second, float64(300*time.Millisecond))
		slot := slotOf(t, rdb, "b")

		again, err := p.Ticket(ctx, "s", "b", pace)
		require.NoError(t, err)
		require.LessOrEqual(t, again, second)
		require.InDelta(t, second, again, float64(300*time.Millisecond))
		require.Equal(t, slot, slotOf(t, rdb, "b"))
		card, err := rdb.ZCard(ctx, "wagate:pace:s").Result()
		require.NoError(t, err)
		require.EqualValues(t, 2, card, "asking again reserves nothing")

		third, err := p.Ticket(ctx, "s", "c", pace)
		require.NoError(t, err)
		require.InDelta(t, 4*time.Second, third, float64(300*time.Millisecond), "spaced after b's slot")
	})

	t.Run("RecentlyPassedSlotIsKept", func(t *testing.T) {
		t.Parallel()
		p, rdb := newPacer(t, dbtest.RedisURL(t))
		ctx := context.Background()
		past := redisNowMs(t, rdb) - 2000
		require.NoError(t, rdb.Set(ctx, "wagate:pace:ticket:late", past, time.Minute).Err())
		wait, err := p.Ticket(ctx, "s", "late", ratelimit.Pace{PerMinute: 10})
		require.NoError(t, err)
		require.InDelta(t, -2*time.Second, wait, float64(300*time.Millisecond), "send now: the slot is its own")
		require.Equal(t, past, slotOf(t, rdb, "late"))
	})

	t.Run("StaleSlotIsReplaced", func(t *testing.T) {
		t.Parallel()
		p, rdb := newPacer(t, dbtest.RedisURL(t))
		ctx := context.Background()
		pace := ratelimit.Pace{PerMinute: 10, DelayMin: 3 * time.Second, DelayMax: 3 * time.Second}
		_, err := p.Ticket(ctx, "s", "recent", pace) // the session sent just now
		require.NoError(t, err)
		stale := redisNowMs(t, rdb) - 6000
		require.NoError(t, rdb.Set(ctx, "wagate:pace:ticket:late", stale, time.Minute).Err())
		wait, err := p.Ticket(ctx, "s", "late", pace)
		require.NoError(t, err)
		require.InDelta(t, 3*time.Second, wait, float64(300*time.Millisecond), "a new slot, paced after the latest")
		require.Greater(t, slotOf(t, rdb, "late"), stale)
	})

	t.Run("ReleaseForgetsTicket", func(t *testing.T) {
		t.Parallel()
		p, rdb := newPacer(t, dbtest.RedisURL(t))
		ctx := context.Background()
		pace := ratelimit.Pace{DelayMin: time.Second, DelayMax: time.Second}
		_, err := p.Ticket(ctx, "s", "a", pace)
		require.NoError(t, err)
		require.NoError(t, p.Release(ctx, "a"))
		n, err := rdb.Exists(ctx, "wagate:pace:ticket:a").Result()
		require.NoError(t, err)
		require.Zero(t, n)
		wait, err := p.Ticket(ctx, "s", "a", pace)
		require.NoError(t, err)
		require.InDelta(t, time.Second, wait, float64(300*time.Millisecond), "a released ticket asks anew")
	})

	t.Run("UnlimitedTouchesNothing", func(t *testing.T) {
		t.Parallel()
		p, rdb := newPacer(t, dbtest.RedisURL(t))
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			wait, err := p.Ticket(ctx, "s", strconv.Itoa(i), ratelimit.Pace{})
			require.NoError(t, err)
			require.Zero(t, wait)
		}
		keys, err := rdb.Keys(ctx, "*").Result()
		require.NoError(t, err)
		require.Empty(t, keys)
	})

	t.Run("KeysArePrefixedAndExpire", func(t *testing.T) {
		t.Parallel()
		p, rdb := newPacer(t, dbtest.RedisURL(t))
		ctx := context.Background()
		_, err := p.Ticket(ctx, "s", "a", ratelimit.Pace{PerMinute: 5})
		require.NoError(t, err)
		_, _, err = p.Reserve(ctx, "s2", ratelimit.Pace{PerMinute: 5}, time.Minute)
		require.NoError(t, err)
		keys, err := rdb.Keys(ctx, "*").Result()
		require.NoError(t, err)
		require.Len(t, keys, 3)
		for _, k := range keys {
			require.Regexp(t, `^wagate:pace:`, k)
			ttl, err := rdb.PTTL(ctx, k).Result()
			require.NoError(t, err)
			require.Greater(t, ttl, time.Duration(0), "%s expires", k)
			require.LessOrEqual(t, ttl, 2*time.Minute, "%s expires once idle", k)
		}
	})
}

func TestPacer_Reserve(t *testing.T) {
	t.Parallel()

	t.Run("OnlyWithinMaxWait", func(t *testing.T) {
		t.Parallel()
		p, rdb := newPacer(t, dbtest.RedisURL(t))
		ctx := context.Background()
		pace := ratelimit.Pace{PerMinute: 60, DelayMin: time.Second, DelayMax: time.Second}

		wait, ok, err := p.Reserve(ctx, "s", pace, 0)
		require.NoError(t, err)
		require.True(t, ok)
		require.LessOrEqual(t, wait, time.Duration(0))

		wait, ok, err = p.Reserve(ctx, "s", pace, 0)
		require.NoError(t, err)
		require.False(t, ok)
		require.InDelta(t, time.Second, wait, float64(300*time.Millisecond))
		card, err := rdb.ZCard(ctx, "wagate:pace:s").Result()
		require.NoError(t, err)
		require.EqualValues(t, 1, card, "a refused reservation takes nothing")

		wait, ok, err = p.Reserve(ctx, "s", pace, 2*time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		require.InDelta(t, time.Second, wait, float64(300*time.Millisecond))

		wait, ok, err = p.Reserve(ctx, "s", pace, 0)
		require.NoError(t, err)
		require.False(t, ok)
		require.InDelta(t, 2*time.Second, wait, float64(300*time.Millisecond))
	})

	t.Run("SharesSlotsWithTickets", func(t *testing.T) {
		t.Parallel()
		p, _ := newPacer(t, dbtest.RedisURL(t))
		ctx := context.Background()
		pace := ratelimit.Pace{PerMinute: 2}
		for _, id := range []string{"a", "b"} {
			wait, err := p.Ticket(ctx, "s", id, pace)
			require.NoError(t, err)
			require.LessOrEqual(t, wait, time.Duration(0))
		}
		wait, ok, err := p.Reserve(ctx, "s", pace, time.Second)
		require.NoError(t, err)
		require.False(t, ok)
		require.InDelta(t, time.Minute, wait, float64(time.Second), "two sends this minute: the cap is reached")
	})
}
