package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGate_ForgetsIdleKeys checks that memory stays bounded: keys idle past their pace are dropped at
// the next sweep, and a held key never is. Time is moved by rewriting the keys' deadlines.
func TestGate_ForgetsIdleKeys(t *testing.T) {
	t.Parallel()
	g := NewGate()
	pace := Pace{PerMinute: 5, DelayMin: time.Second, DelayMax: time.Second}
	for i := 0; i < 1000; i++ {
		release, err := g.Acquire(context.Background(), fmt.Sprintf("s%d", i), pace, 0)
		require.NoError(t, err)
		release(true)
	}
	held, err := g.Acquire(context.Background(), "held", pace, 0)
	require.NoError(t, err)
	defer held(false)

	g.mu.Lock()
	defer g.mu.Unlock()
	require.Equal(t, 1001, len(g.keys))
	g.lastSweep = time.Time{}
	g.key("fresh")
	require.Equal(t, 1002, len(g.keys), "keys still inside their pace are kept")

	for name, k := range g.keys {
		if name != "fresh" {
			k.keepUntil = time.Now().Add(-time.Second)
		}
	}
	g.lastSweep = time.Time{}
	g.key("fresh")
	require.Equal(t, 2, len(g.keys))
	require.Contains(t, g.keys, "held")
	require.Contains(t, g.keys, "fresh")
}
