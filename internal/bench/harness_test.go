package bench

import (
	"net/http"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
)

func TestQuantile(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"Empty", nil, 0.5, 0},
		{"One", ms(7), 0.99, 7 * time.Millisecond},
		{"MedianOdd", ms(5, 1, 3), 0.5, 3 * time.Millisecond},
		{"MedianEven", ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},
		{"P99Of100", ms(func() []int {
			n := make([]int, 100)
			for i := range n {
				n[i] = 100 - i
			}
			return n
		}()...), 0.99, 99 * time.Millisecond},
		{"Max", ms(2, 9, 4), 1, 9 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, quantile(tc.in, tc.p))
		})
	}
}

// TestRig keeps the benchmarks' harness honest where `go test` runs (the benchmarks themselves
// only run under -bench): the API accepts what the load generator sends and every message goes
// out, and the baseline really inserts a row and enqueues a task per request. It checks no timing.
func TestRig(t *testing.T) {
	r := newRig(t, 2)
	const n = 40
	for name, tg := range map[string]target{"API": r.api(), "Baseline": r.base()} {
		var o outcome
		s, d := closedLoop(r.client, tg, n, 8)
		o.add(s, d, http.StatusAccepted)
		o.requireClean(t, name)
		require.Equal(t, n, o.accepted, name)
	}
	s, d := openLoop(r.client, r.api(), 100, 200*time.Millisecond)
	var o outcome
	o.add(s, d, http.StatusAccepted)
	o.requireClean(t, "open loop")
	require.Equal(t, 20, o.accepted)

	r.settle(time.Minute)
	c := r.counts()
	require.Equal(t, n+20, c.sent)
	var perSession []int
	rows, err := r.env.Pool.Query(r.ctx, "SELECT count(*) FROM messages WHERE tenant_id = $1 GROUP BY session_id", r.tenantID)
	require.NoError(t, err)
	for rows.Next() {
		var k int
		require.NoError(t, rows.Scan(&k))
		perSession = append(perSession, k)
	}
	require.NoError(t, rows.Err())
	require.ElementsMatch(t, []int{(n + 20) / 2, (n + 20) / 2}, perSession, "messages go from the sessions in turn")

	var rowsIn int
	require.NoError(t, r.env.Pool.QueryRow(r.ctx, "SELECT count(*) FROM bench_baseline").Scan(&rowsIn))
	require.Equal(t, n, rowsIn)
	opt, err := asynq.ParseRedisURI(r.env.RedisURL())
	require.NoError(t, err)
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	q, err := insp.GetQueueInfo(baselineQueue)
	require.NoError(t, err)
	require.Equal(t, n, q.Size)
}
