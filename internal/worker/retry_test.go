package worker

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
	"github.com/wagate/wagate/internal/delivery"
)

// TestRetryDelay checks the wait a RetryError asks for is never cut short. Asynq stores a retry's due
// time in whole seconds and runs it once that second has begun, so the earliest run is the due time
// truncated to the second; that must not come before the wait the task asked for.
func TestRetryDelay(t *testing.T) {
	t.Parallel()
	task := asynq.NewTask(TypeMessageSend, nil)

	t.Run("RetryErrorNeverEarly", func(t *testing.T) {
		t.Parallel()
		afters := []time.Duration{0, time.Millisecond, 300 * time.Millisecond, 999 * time.Millisecond,
			time.Second, 1500 * time.Millisecond, 2 * time.Second, 7*time.Second + 250*time.Millisecond}
		// Seven rounds spread over a second, so the rounding is tried at several points within one.
		for round := range 7 {
			if round > 0 {
				time.Sleep(143 * time.Millisecond)
			}
			for _, after := range afters {
				for _, err := range []error{
					&delivery.RetryError{After: after, Reason: "pacing"},
					fmt.Errorf("send task: %w", &delivery.RetryError{After: after, Failure: true, Reason: "wrapped"}),
				} {
					start := time.Now()
					d := retryDelay(3, err, task)
					retryAt := time.Now().Add(d) // what Asynq computes, at the earliest
					earliestRun := retryAt.Truncate(time.Second)
					require.False(t, earliestRun.Before(start.Add(after)),
						"after %s (%v): Asynq could run the task at %s, %s before its wait is over",
						after, err, earliestRun.Format("15:04:05.000"), start.Add(after).Sub(earliestRun))
					// Rounding up costs at most the rest of a second (and a millisecond of margin);
					// 250 ms more covers a slow machine between the two clock reads.
					require.Less(t, retryAt.Sub(start.Add(after)), time.Second+250*time.Millisecond,
						"after %s: the retry waits %s, far more than asked", after, d)
				}
			}
		}
	})

	t.Run("OtherErrorsBackOff", func(t *testing.T) {
		t.Parallel()
		// Asynq's default: n⁴ + 15 s plus up to 29·(n+1) s of jitter.
		for _, n := range []int{0, 1, 2, 5} {
			lo := time.Duration(int(math.Pow(float64(n), 4))+15) * time.Second
			hi := lo + time.Duration(29*(n+1))*time.Second
			for range 20 {
				d := retryDelay(n, errors.New("connection refused"), task)
				require.GreaterOrEqual(t, d, lo, "retry %d", n)
				require.LessOrEqual(t, d, hi, "retry %d", n)
			}
		}
	})
}

func TestIsFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"PlainError", errors.New("boom"), true},
		{"SkipRetry", fmt.Errorf("%w: bad payload", asynq.SkipRetry), true},
		{"WaitAskedFor", &delivery.RetryError{After: time.Second, Reason: "pacing"}, false},
		{"WrappedWait", fmt.Errorf("send task: %w", &delivery.RetryError{After: time.Second, Reason: "no holder"}), false},
		{"RetryAfterFailure", &delivery.RetryError{After: time.Second, Failure: true, Reason: "send failed"}, true},
		{"WrappedRetryAfterFailure", fmt.Errorf("x: %w", &delivery.RetryError{Failure: true}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, isFailure(tc.err))
		})
	}
}
