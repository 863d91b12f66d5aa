package session

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type testBundle struct {
	db     *pgxpool.Pool
	bus    *cluster.PubSub
	conn   *simulator.Connector // the Service's connector (and the first host's, unless it gets its own)
	svc    *Service
	tenant uuid.UUID
}

func simOptions(instance string) simulator.Options {
	return simulator.Options{Instance: instance, PollInterval: 30 * time.Millisecond, HeartbeatInterval: 100 * time.Millisecond,
		HeartbeatTimeout: 700 * time.Millisecond, QRFirst: 2 * time.Second, QRNext: time.Second, QRCodes: 6,
		SendTimeout: 2 * time.Second}
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	db := dbtest.Pool(t)
	opt, err := redis.ParseURL(dbtest.RedisURL(t))
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	bus := cluster.NewPubSub(rdb)
	conn := simulator.NewConnector(db, simOptions("service"))
	b := &testBundle{db: db, bus: bus, conn: conn, svc: NewService(db, conn, bus, nil)}
	b.tenant = b.newTenant(t)
	return b
}

func (b *testBundle) newTenant(t *testing.T) uuid.UUID {
	t.Helper()
	tn, err := tenant.Create(t.Context(), store.New(b.db), tenant.CreateInput{Name: "Acme", Status: "active"})
	require.NoError(t, err)
	return tn.ID
}

// allowSessions raises every plan's session limit (host tests hold many sessions).
func (b *testBundle) allowSessions(t *testing.T, n int) {
	t.Helper()
	_, err := b.db.Exec(t.Context(), "UPDATE plans SET max_sessions = $1", n)
	require.NoError(t, err)
}

// testHost is a session host of its own instance (and, unless shared, its own simulator process).
type testHost struct {
	*Host
	id     uuid.UUID
	conn   *simulator.Connector
	cancel context.CancelFunc
	done   chan struct{}
}

func hostConfig(instance uuid.UUID) HostConfig {
	return HostConfig{
		Instance: instance,
		Lease: cluster.LeaseConfig{TTL: 3 * time.Second, RenewEvery: 300 * time.Millisecond, StopMargin: time.Second,
			PlaceFresh: 12 * time.Second, OrphanGrace: 2 * time.Second},
		BackoffMin: 200 * time.Millisecond, BackoffMax: time.Second, ParkAfter: 3, ParkWindow: time.Minute,
		StableAfter: time.Minute, WatchdogEvery: 200 * time.Millisecond, StaleAfter: time.Second,
	}
}

func (b *testBundle) startHost(t *testing.T, edit func(*HostConfig)) *testHost {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	inst, err := cluster.Register(ctx, b.db, discard(), "test", []string{"host"})
	require.NoError(t, err)
	go inst.Run(ctx)
	conn := simulator.NewConnector(b.db, simOptions(inst.ID.String()))
	cfg := hostConfig(inst.ID)
	if edit != nil {
		edit(&cfg)
	}
	h, err := NewHost(b.db, conn, b.bus, NewRegistry(), AckAll, cfg, nil)
	require.NoError(t, err)
	th := &testHost{Host: h, id: inst.ID, conn: conn, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(th.done); h.Run(ctx) }()
	t.Cleanup(th.stop)
	return th
}

func (th *testHost) stop() {
	th.cancel()
	<-th.done
}

// paired creates a session with a device linked on the simulator, ready for a host to connect.
func (b *testBundle) paired(t *testing.T, name string) Session {
	t.Helper()
	ctx := t.Context()
	s, err := b.svc.Create(ctx, b.tenant, name)
	require.NoError(t, err)
	phone := fmt.Sprintf("4915%09d", time.Now().UnixNano()%1_000_000_000)
	jid, err := b.conn.Provision(ctx, s.ID, phone)
	require.NoError(t, err)
	_, err = b.db.Exec(ctx, "UPDATE wa_sessions SET device_jid = $1, phone = $2 WHERE id = $3",
		jid.String(), jid.User, s.ID)
	require.NoError(t, err)
	// As a user would after pairing elsewhere: a host that took the session while it was new hears it.
	s, err = b.svc.Reconnect(ctx, b.tenant, s.ID)
	require.NoError(t, err)
	return s
}

func (b *testBundle) get(t *testing.T, id uuid.UUID) Session {
	t.Helper()
	s, err := b.svc.Get(t.Context(), b.tenant, id)
	require.NoError(t, err)
	return s
}

func (b *testBundle) waitStatus(t *testing.T, id uuid.UUID, status string, timeout time.Duration) Session {
	t.Helper()
	var s Session
	dbtest.WaitFor(t, timeout, "session status "+status, func() bool {
		s = b.get(t, id)
		return s.Status == status
	})
	return s
}

func (b *testBundle) connections(t *testing.T, id uuid.UUID) []simulator.Connection {
	t.Helper()
	c, err := simulator.Connections(t.Context(), b.db, id)
	require.NoError(t, err)
	return c
}

// statuses is the session's history, oldest first.
func (b *testBundle) statuses(t *testing.T, id uuid.UUID) []string {
	t.Helper()
	ev, err := b.svc.History(t.Context(), b.tenant, id, 100)
	require.NoError(t, err)
	out := make([]string, len(ev))
	for i, e := range ev {
		out[len(ev)-1-i] = e.Status
	}
	return out
}

// fencingViolations compares the simulator's record of every connection of a session with the lease
// history (invariant 3): a connection must start after its fence's lease was acquired and be dead by
// the time that lease ended (released, or expired); and none may be replaced while its lease was valid.
func fencingViolations(t *testing.T, db store.DB, sessionID uuid.UUID) []string {
	t.Helper()
	ctx := t.Context()
	conns, err := simulator.Connections(ctx, db, sessionID)
	require.NoError(t, err)
	hist, err := cluster.History(ctx, db, sessionID)
	require.NoError(t, err)
	cur, err := store.New(db).SessionLeaseGet(ctx, sessionID)
	require.NoError(t, err)
	type window struct{ from, to time.Time }
	leases := map[int64]window{}
	for _, h := range hist {
		w := window{from: h.AcquiredAt}
		switch {
		case h.EndedAt != nil:
			w.to = *h.EndedAt
		case h.Fence == cur.Fence:
			w.to = cur.ExpiresAt
		default:
			w.to = h.AcquiredAt // an open entry that is not the current lease: should not exist
		}
		leases[h.Fence] = w
	}
	var bad []string
	for _, c := range conns {
		w, ok := leases[c.Fence]
		if !ok {
			bad = append(bad, fmt.Sprintf("connection %d under fence %d, which was never leased", c.ID, c.Fence))
			continue
		}
		if c.StartedAt.Before(w.from) {
			bad = append(bad, fmt.Sprintf("connection %d started %s before its lease (fence %d) was acquired", c.ID, w.from.Sub(c.StartedAt), c.Fence))
		}
		lastAlive := time.Now()
		if c.EndedAt != nil {
			lastAlive = *c.EndedAt
		}
		if c.EndReason == "heartbeat_lost" {
			lastAlive = c.HeartbeatAt // its holder was gone since its last heartbeat
		}
		if lastAlive.After(w.to) {
			bad = append(bad, fmt.Sprintf("connection %d (fence %d, %s) was alive %s after its lease ended", c.ID, c.Fence, c.EndReason, lastAlive.Sub(w.to)))
		}
		if c.EndReason == "replaced" && c.EndedAt.Before(w.to) {
			bad = append(bad, fmt.Sprintf("connection %d (fence %d) was replaced while its lease was valid", c.ID, c.Fence))
		}
	}
	return bad
}

func phoneOf(jid string) string {
	j, err := whatsapp.ParseJID(jid)
	if err != nil {
		return ""
	}
	return j.User
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
