package auth

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDelayFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second},
		{14, 512 * time.Second}, {15, maxThrottleDelay}, {60, maxThrottleDelay},
	} {
		require.Equal(t, tc.want, delayFor(tc.failures, accountFreeFailures), "failures=%d", tc.failures)
	}
}
