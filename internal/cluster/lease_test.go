package cluster_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/factory"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// newSession inserts a tenant and a session row (leases reference sessions).
func newSession(t *testing.T, db store.DB) uuid.UUID {
	t.Helper()
	ctx := t.Context()
	q := store.New(db)
	tn, err := tenant.Create(ctx, q, tenant.CreateInput{Name: "Lease test", Status: "active"})
	require.NoError(t, err)
	s, err := q.SessionInsert(ctx, store.SessionInsertParams{ID: uuid.Must(uuid.NewV7()), TenantID: tn.ID, Name: "s"})
	require.NoError(t, err)
	return s.ID
}

func testConfig() cluster.LeaseConfig {
	return cluster.LeaseConfig{TTL: time.Second, RenewEvery: 200 * time.Millisecond, StopMargin: 300 * time.Millisecond,
		PlaceFresh: 12 * time.Second, OrphanGrace: 10 * time.Second}
}

func TestLeases_AcquireRenewReleaseExpire(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := dbtest.Pool(t)
	sid := newSession(t, db)
	a := cluster.NewLeases(db, uuid.New(), testConfig())
	b := cluster.NewLeases(db, uuid.New(), testConfig())

	la, ok, err := a.Acquire(ctx, sid)
	require.NoError(t, err)
	require.True(t, ok)
	require.EqualValues(t, 1, la.Fence)

	t.Run("HeldLeaseIsNotTaken", func(t *testing.T) {
		_, ok, err := b.Acquire(ctx, sid)
		require.NoError(t, err)
		require.False(t, ok)
		_, ok, err = a.Acquire(ctx, sid)
		require.NoError(t, err)
		require.False(t, ok, "not even by its holder: a second runner would double-connect")
	})

	t.Run("OnlyTheHolderRenews", func(t *testing.T) {
		got, err := a.Renew(ctx, []uuid.UUID{sid})
		require.NoError(t, err)
		require.EqualValues(t, 1, got[sid].Fence)
		require.True(t, got[sid].ExpiresAt.After(la.ExpiresAt))
		got, err = b.Renew(ctx, []uuid.UUID{sid})
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("ReleaseFreesAtOnceAndFenceGrows", func(t *testing.T) {
		require.NoError(t, a.Release(ctx, sid, 1))
		lb, ok, err := b.Acquire(ctx, sid)
		require.NoError(t, err)
		require.True(t, ok)
		require.EqualValues(t, 2, lb.Fence)
		got, err := a.Renew(ctx, []uuid.UUID{sid})
		require.NoError(t, err)
		require.Empty(t, got, "the old holder lost it")
	})

	t.Run("ExpiredLeaseIsTakenOver", func(t *testing.T) {
		_, ok, err := a.Acquire(ctx, sid)
		require.NoError(t, err)
		require.False(t, ok, "b's lease is still valid")
		time.Sleep(testConfig().TTL + 100*time.Millisecond)
		got, err := b.Renew(ctx, []uuid.UUID{sid})
		require.NoError(t, err)
		require.Empty(t, got, "an expired lease cannot be renewed")
		la, ok, err := a.Acquire(ctx, sid)
		require.NoError(t, err)
		require.True(t, ok)
		require.EqualValues(t, 3, la.Fence)
	})

	t.Run("History", func(t *testing.T) {
		h, err := cluster.History(ctx, db, sid)
		require.NoError(t, err)
		require.Len(t, h, 3)
		require.Equal(t, "released", *h[0].EndReason)
		require.Equal(t, a.Instance(), h[0].InstanceID)
		require.Equal(t, "expired", *h[1].EndReason)
		require.Equal(t, b.Instance(), h[1].InstanceID)
		require.True(t, h[1].EndedAt.Before(h[2].AcquiredAt) || h[1].EndedAt.Equal(h[2].AcquiredAt),
			"the next holder came after the expiry")
		require.Nil(t, h[2].EndedAt)
	})
}

func TestLeases_ConcurrentAcquirers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := dbtest.Pool(t)
	for round := 0; round < 5; round++ {
		sid := newSession(t, db)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins []int64
		)
		start := make(chan struct{})
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// A TTL far beyond the test's length: on a loaded machine the last acquirer may run more
				// than a second after the first, and must still find the lease held.
				cfg := testConfig()
				cfg.TTL = time.Minute
				l := cluster.NewLeases(db, uuid.New(), cfg)
				<-start
				lease, ok, err := l.Acquire(ctx, sid)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					wins = append(wins, lease.Fence)
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		require.Equal(t, []int64{1}, wins, "exactly one acquirer wins")
	}
}

func TestPlace(t *testing.T) {
	t.Parallel()
	a, b, c := uuid.MustParse("00000000-0000-7000-8000-00000000000a"), uuid.MustParse("00000000-0000-7000-8000-00000000000b"), uuid.MustParse("00000000-0000-7000-8000-00000000000c")
	now := time.Now()
	orphans := func(n int, age time.Duration) []cluster.Orphan {
		out := make([]cluster.Orphan, n)
		for i := range out {
			out[i] = cluster.Orphan{SessionID: uuid.New(), OrphanedSince: now.Add(-age)}
		}
		return out
	}
	hosts := []cluster.HostLoad{{Instance: b, Held: 1}, {Instance: a, Held: 3}, {Instance: c, Held: 1}}
	for _, tc := range []struct {
		name    string
		orphans []cluster.Orphan
		self    uuid.UUID
		want    int
	}{
		{"LeastLoadedTakesTheFirst", orphans(1, 0), b, 1},
		{"TieGoesToLowestID", orphans(1, 0), c, 0},
		{"BusyHostWaits", orphans(1, 0), a, 0},
		{"SpreadEvenly", orphans(4, 0), b, 2}, // b,c,b,c → then a would be 3
		{"SpreadEvenlyOther", orphans(4, 0), c, 2},
		{"OldOrphanGoesToAnyLiveHost", orphans(1, time.Minute), a, 1}, // its chosen host may be dead
		{"NotALiveHost", orphans(3, time.Minute), uuid.New(), 0},      // draining or dead: never
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Len(t, cluster.Place(tc.orphans, hosts, tc.self, now, 10*time.Second), tc.want)
		})
	}
}

func TestLeases_PlacementSeesLiveHostsOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := dbtest.Pool(t)
	host := []string{"host"}
	busy := factory.Instance(ctx, t, db, &factory.InstanceOpts{Roles: host})
	idle := factory.Instance(ctx, t, db, &factory.InstanceOpts{Roles: []string{"http", "worker", "host"}})
	draining := factory.Instance(ctx, t, db, &factory.InstanceOpts{Roles: host})
	dead := factory.Instance(ctx, t, db, &factory.InstanceOpts{Roles: host})
	factory.Instance(ctx, t, db, &factory.InstanceOpts{Roles: []string{"http"}})
	require.NoError(t, cluster.SetDraining(ctx, db, draining.ID, true))
	_, err := db.Exec(ctx, "UPDATE instances SET heartbeat_at = now() - interval '1 minute' WHERE id = $1", dead.ID)
	require.NoError(t, err)

	s1, s2 := newSession(t, db), newSession(t, db)
	_, ok, err := cluster.NewLeases(db, busy.ID, testConfig()).Acquire(ctx, s1)
	require.NoError(t, err)
	require.True(t, ok)

	l := cluster.NewLeases(db, idle.ID, testConfig())
	orphans, hosts, err := l.Placement(ctx, 10)
	require.NoError(t, err)
	require.Equal(t, []cluster.HostLoad{{Instance: idle.ID, Held: 0}, {Instance: busy.ID, Held: 1}}, hosts)
	require.Len(t, orphans, 1)
	require.Equal(t, s2, orphans[0].SessionID)
	mine := cluster.Place(orphans, hosts, idle.ID, time.Now(), time.Minute)
	require.Len(t, mine, 1, "the new session goes to the least-loaded live host")
	require.Empty(t, cluster.Place(orphans, hosts, busy.ID, time.Now(), time.Minute))
	require.Empty(t, cluster.Place(orphans, hosts, draining.ID, time.Now(), 0), "a draining host takes nothing, even late")

	d, err := cluster.Draining(ctx, db, draining.ID)
	require.NoError(t, err)
	require.True(t, d)
}

func TestPubSub(t *testing.T) {
	t.Parallel()
	opt, err := redis.ParseURL(dbtest.RedisURL(t))
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ps := cluster.NewPubSub(rdb)
	ctx, cancel := context.WithCancel(t.Context())
	ch := cluster.Channel("test", "x")
	require.Equal(t, "wagate:test:x", ch)
	msgs, err := ps.Subscribe(ctx, ch)
	require.NoError(t, err)
	require.NoError(t, ps.Publish(ctx, ch, map[string]int{"n": 1}))
	select {
	case m := <-msgs:
		require.JSONEq(t, `{"n":1}`, string(m.Payload))
		require.Equal(t, ch, m.Channel)
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
	cancel()
	for range msgs { //nolint:revive // drain until closed
	}
}
