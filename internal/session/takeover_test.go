package session

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/cluster"
)

// Two hosts share the sessions; one dies (its renewals stop and WhatsApp stops hearing from it) and
// the other takes every session over once the leases expired. The simulator's connection records and
// the lease history show that no connection outlived its lease and none was replaced while its
// holder's lease was valid (invariant 3).
func TestHost_TakeoverAfterCrash(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.allowSessions(t, 10)
	a := b.startHost(t, nil)
	c := b.startHost(t, nil)
	var ids []uuid.UUID
	for i := 0; i < 4; i++ {
		ids = append(ids, b.paired(t, fmt.Sprintf("s%d", i)).ID)
	}
	held := map[uuid.UUID]int{}
	for _, id := range ids {
		s := b.waitStatus(t, id, StatusConnected, 10*time.Second)
		require.NotNil(t, s.Holder)
		held[*s.Holder]++
	}
	require.Equal(t, 2, held[a.id], "placement spreads the sessions: %v", held)
	require.Equal(t, 2, held[c.id], "placement spreads the sessions: %v", held)

	// a dies: WhatsApp never hears its links close, and it stops renewing.
	a.conn.SetNetworkDown(true)
	a.crash()
	died := time.Now()
	for _, id := range ids {
		waitHolder(t, b, id, c)
		require.Eventually(t, func() bool {
			conns := b.connections(t, id)
			last := conns[len(conns)-1]
			return last.Live() && last.Instance == c.id.String() && b.get(t, id).Status == StatusConnected
		}, 10*time.Second, 20*time.Millisecond, "session %s connected on the survivor", id)
	}
	took := time.Since(died)
	t.Logf("all sessions connected on the survivor %s after the crash", took.Round(100*time.Millisecond))
	// TTL 3 s + OrphanGrace 2 s + a renewal round; the production numbers scale the same way under 45 s.
	require.Less(t, took, 9*time.Second)

	lost := 0
	for _, id := range ids {
		require.Empty(t, fencingViolations(t, b.db, id), "session %s", id)
		for _, conn := range b.connections(t, id) {
			if conn.EndReason == "heartbeat_lost" {
				lost++
			}
			require.NotEqual(t, "replaced", conn.EndReason)
		}
	}
	require.Equal(t, 2, lost, "the dead host's two connections ended when the survivor logged in")
}

// A holder that cannot renew (Postgres unreachable for it) stops its client StopMargin before its lease
// expires; only then may another host take the session. The negative control disables that stop and
// shows the check catches it.
func TestHost_FencingByTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		broken bool
	}{{"HolderStopsInTime", false}, {"BrokenFencingIsCaught", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			a := b.startHost(t, nil)
			s := b.paired(t, "Shop")
			b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)
			waitHolder(t, b, s.ID, a)
			c := b.startHost(t, nil)

			if tc.broken {
				a.noFenceStop.Store(true)
			}
			a.renewBlocked.Store(true)
			waitHolder(t, b, s.ID, c)
			require.Eventually(t, func() bool {
				conns := b.connections(t, s.ID)
				return len(conns) == 2 && conns[1].Live() && b.get(t, s.ID).Status == StatusConnected
			}, 10*time.Second, 20*time.Millisecond, "the new holder connected")
			conns := b.connections(t, s.ID)
			bad := fencingViolations(t, b.db, s.ID)
			if !tc.broken {
				require.Empty(t, bad)
				require.Equal(t, "closed", conns[0].EndReason, "the old holder closed its link itself")
				return
			}
			require.NotEmpty(t, bad, "a holder that kept its client past its lease must be caught")
			require.Contains(t, bad[0], "after its lease ended")
			require.Equal(t, "replaced", conns[0].EndReason)
		})
	}
}

// A host that stops gracefully disconnects and releases: the other host takes over at once, without
// waiting for the lease to expire, and the old connection ended "closed".
func TestHost_GracefulStopHandsOver(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.startHost(t, nil)
	s := b.paired(t, "Shop")
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)
	waitHolder(t, b, s.ID, a)
	c := b.startHost(t, nil)

	a.stop()
	stopped := time.Now()
	require.Eventually(t, func() bool {
		conns := b.connections(t, s.ID)
		return len(conns) == 2 && conns[1].Live() && conns[1].Instance == c.id.String()
	}, 5*time.Second, 20*time.Millisecond)
	require.Less(t, time.Since(stopped), hostConfig(c.id).Lease.TTL, "no wait for expiry after a release")
	conns := b.connections(t, s.ID)
	require.Equal(t, "closed", conns[0].EndReason)
	require.Empty(t, fencingViolations(t, b.db, s.ID))
	hist, err := cluster.History(t.Context(), b.db, s.ID)
	require.NoError(t, err)
	require.Equal(t, "released", *hist[0].EndReason)
}

// Regression (issue 10): for as long as it took another instance to take over, a session whose
// holder died still read "connected" in the API and the portal. Once its lease has run out (or its
// holder's heartbeat is stale) it reads as what it is.
func TestService_DeadHolderIsNotConnected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.startHost(t, nil)
	s := b.paired(t, "lonely")
	b.waitStatus(t, s.ID, StatusConnected, 10*time.Second)

	a.conn.SetNetworkDown(true)
	a.crash() // no other host: nobody takes the session over, and its row still says connected
	got := b.waitStatus(t, s.ID, StatusDisconnected, 20*time.Second)
	require.Equal(t, ReasonHolderSilent, got.StatusReason)
	require.Nil(t, got.Holder)
	var row string
	require.NoError(t, b.db.QueryRow(t.Context(), "SELECT status FROM wa_sessions WHERE id = $1", s.ID).Scan(&row))
	require.Equal(t, StatusConnected, row, "the row is as the dead holder left it; the answer is derived")

	list, err := b.svc.List(t.Context(), b.tenant)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, StatusDisconnected, list[0].Status)
	require.Equal(t, ReasonHolderSilent, list[0].StatusReason)
}
