package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/proctest"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

// TestSessions_FailoverAfterKill: two `wagate serve --roles host` processes share a session; kill -9
// of its holder, and the other connects it within 45 s (DESIGN.md invariant 3), without any connection
// having been replaced while its holder's lease was valid.
func TestSessions_FailoverAfterKill(t *testing.T) {
	dbURL := dbtest.URL(t)
	redisURL := dbtest.RedisURL(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	defer pool.Close()
	opt, err := redis.ParseURL(redisURL)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	defer rdb.Close()

	// A tenant's session, paired earlier (the simulator links a device for it).
	conn := simulator.NewConnector(pool, simulator.DefaultOptions())
	svc := session.NewService(pool, conn, cluster.NewPubSub(rdb), nil)
	tn, err := tenant.Create(ctx, store.New(pool), tenant.CreateInput{Name: "Failover", Status: "active"})
	require.NoError(t, err)
	s, err := svc.Create(ctx, tn.ID, "Main number")
	require.NoError(t, err)
	jid, err := conn.Provision(ctx, s.ID, "4915100001111")
	require.NoError(t, err)
	_, err = pool.Exec(ctx, "UPDATE wa_sessions SET device_jid = $1, phone = $2 WHERE id = $3", jid.String(), jid.User, s.ID)
	require.NoError(t, err)
	_, err = svc.Reconnect(ctx, tn.ID, s.ID)
	require.NoError(t, err)

	first := proctest.Start(t, proctest.Opts{DatabaseURL: dbURL, RedisURL: redisURL, Roles: "host"})
	var holder session.Session
	require.Eventually(t, func() bool {
		holder, err = svc.Get(ctx, tn.ID, s.ID)
		require.NoError(t, err)
		return holder.Status == session.StatusConnected && holder.Holder != nil
	}, 30*time.Second, 100*time.Millisecond, "the first instance connects the session")
	dead := *holder.Holder
	proctest.Start(t, proctest.Opts{DatabaseURL: dbURL, RedisURL: redisURL, Roles: "host"})
	time.Sleep(2 * time.Second) // the second instance is up and placing; the session stays where it is
	again, err := svc.Get(ctx, tn.ID, s.ID)
	require.NoError(t, err)
	require.Equal(t, dead, *again.Holder, "a held session does not move")

	first.Kill()
	killed := time.Now()
	require.Eventually(t, func() bool {
		cur, err := svc.Get(ctx, tn.ID, s.ID)
		require.NoError(t, err)
		conns, err := simulator.Connections(ctx, pool, s.ID)
		require.NoError(t, err)
		last := conns[len(conns)-1]
		return cur.Holder != nil && *cur.Holder != dead && cur.Status == session.StatusConnected &&
			last.Live() && last.Instance == cur.Holder.String()
	}, 45*time.Second, 200*time.Millisecond, "the survivor connects the session within 45 s")
	t.Logf("taken over %s after kill -9", time.Since(killed).Round(100*time.Millisecond))

	conns, err := simulator.Connections(ctx, pool, s.ID)
	require.NoError(t, err)
	hist, err := cluster.History(ctx, pool, s.ID)
	require.NoError(t, err)
	ended := map[int64]time.Time{}
	for _, h := range hist {
		if h.EndedAt != nil {
			ended[h.Fence] = *h.EndedAt
		}
	}
	for _, c := range conns[:len(conns)-1] {
		require.NotEqual(t, "replaced", c.EndReason, "connection %d was replaced behind its holder's back", c.ID)
		end, ok := ended[c.Fence]
		require.True(t, ok, "the lease of fence %d ended", c.Fence)
		last := c.HeartbeatAt
		if c.EndReason != "heartbeat_lost" {
			last = *c.EndedAt
		}
		require.False(t, last.After(end), "connection %d (fence %d) was alive after its lease ended", c.ID, c.Fence)
	}
	require.Equal(t, "heartbeat_lost", conns[len(conns)-2].EndReason, "the killed holder never closed its link")
}
