package session

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/whatsapp"
)

func TestHost_PairByQR(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	updates, err := b.svc.Subscribe(ctx, b.tenant)
	require.NoError(t, err)
	h := b.startHost(t, nil)
	s, err := b.svc.Create(ctx, b.tenant, "Front desk")
	require.NoError(t, err)
	dbtest := func() Session { return b.get(t, s.ID) }
	waitHolder(t, b, s.ID, h)

	_, err = b.svc.RequestPair(ctx, b.tenant, s.ID, "")
	require.NoError(t, err)
	var qr string
	require.Eventually(t, func() bool { qr = dbtest().QR; return qr != "" }, 5*time.Second, 20*time.Millisecond,
		"the QR code is stored, so a reload shows it")
	got := dbtest()
	require.Equal(t, StatusPairing, got.Status)
	require.NotNil(t, got.QRExpiresAt)
	require.Contains(t, got.StatusReason, "Scan")

	// The QR code went out on the tenant's channel too.
	deadline := time.After(5 * time.Second)
	for seen := false; !seen; {
		select {
		case u := <-updates:
			seen = u.SessionID == s.ID && u.QR == qr
			require.Equal(t, b.tenant, u.TenantID)
		case <-deadline:
			t.Fatal("no update with the QR code")
		}
	}

	// The QR rotates (QRFirst is 2 s here) and the row follows.
	require.Eventually(t, func() bool { c := dbtest().QR; return c != "" && c != qr }, 5*time.Second, 20*time.Millisecond)

	require.NoError(t, b.conn.Scan(ctx, s.ID, "+49 151 11112222"))
	got = b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)
	require.Equal(t, "4915111112222", got.Phone)
	require.Equal(t, "4915111112222", phoneOf(got.DeviceJID))
	require.Empty(t, got.QR, "no stale code once paired")
	require.NotNil(t, got.ConnectedAt)
	require.Eventually(t, func() bool { return dbtest().PushName != "" }, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{StatusNew, StatusPairing, StatusConnecting, StatusConnected}, b.statuses(t, s.ID))
	require.Empty(t, fencingViolations(t, b.db, s.ID))
}

func TestHost_PairByCode(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	b.startHost(t, nil)
	s, err := b.svc.Create(ctx, b.tenant, "Code")
	require.NoError(t, err)
	_, err = b.svc.RequestPair(ctx, b.tenant, s.ID, "+44 7700 900123")
	require.NoError(t, err)
	var code string
	require.Eventually(t, func() bool { code = b.get(t, s.ID).PairCode; return code != "" }, 5*time.Second, 20*time.Millisecond)
	require.Regexp(t, `^[0-9A-Z]{4}-[0-9A-Z]{4}$`, code)
	require.NoError(t, b.conn.EnterCode(ctx, s.ID, code))
	got := b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)
	require.Equal(t, "447700900123", got.Phone)
}

func TestHost_LoggedOutIsNotReconnected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	b.startHost(t, nil)
	s := b.paired(t, "Shop")
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)

	require.NoError(t, b.conn.Inject(ctx, s.ID, whatsapp.LoggedOut{Code: 401, Reason: "removed from the phone"}))
	got := b.waitStatus(t, s.ID, StatusLoggedOut, 5*time.Second)
	require.Contains(t, got.StatusReason, "Pair again")
	require.Contains(t, got.StatusReason, "removed from the phone")
	require.Empty(t, got.DeviceJID)
	n := len(b.connections(t, s.ID))
	time.Sleep(1500 * time.Millisecond) // several backoff periods
	require.Equal(t, StatusLoggedOut, b.get(t, s.ID).Status)
	require.Len(t, b.connections(t, s.ID), n, "no login was attempted")

	t.Run("RepairWorks", func(t *testing.T) {
		_, err := b.svc.RequestPair(ctx, b.tenant, s.ID, "")
		require.NoError(t, err)
		require.Eventually(t, func() bool { return b.get(t, s.ID).QR != "" }, 5*time.Second, 20*time.Millisecond)
		require.NoError(t, b.conn.Scan(ctx, s.ID, "4915199990000"))
		b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)
	})
}

func TestHost_DisconnectedIsReconnectedWithBackoff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	b.startHost(t, nil)
	s := b.paired(t, "Shop")
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)

	require.NoError(t, b.conn.Inject(ctx, s.ID, whatsapp.Disconnected{Reason: "stream end"}))
	require.Eventually(t, func() bool { return len(b.connections(t, s.ID)) == 2 && b.get(t, s.ID).Status == StatusConnected },
		5*time.Second, 20*time.Millisecond)
	conns := b.connections(t, s.ID)
	require.Equal(t, "dropped", conns[0].EndReason)
	require.True(t, conns[1].Live())
	gap := conns[1].StartedAt.Sub(*conns[0].EndedAt)
	require.GreaterOrEqual(t, gap, 100*time.Millisecond, "waited at least half the first backoff step (200 ms with jitter)")
	require.Equal(t, []string{StatusNew, StatusConnecting, StatusConnected, StatusDisconnected, StatusConnecting, StatusConnected},
		b.statuses(t, s.ID))
	ev, err := b.svc.History(ctx, b.tenant, s.ID, 10)
	require.NoError(t, err)
	require.Contains(t, ev[2].Reason, "stream end", "the disconnect's reason says what happened")
	require.Contains(t, ev[2].Reason, "Retrying in")
}

func TestHost_WatchdogCatchesFrozenLink(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	b.startHost(t, nil)
	s := b.paired(t, "Shop")
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)

	require.NoError(t, b.conn.Freeze(ctx, s.ID))
	// The frozen link still claims to be connected; the watchdog sees LastActivity stop (StaleAfter 1 s).
	require.Eventually(t, func() bool {
		c := b.connections(t, s.ID)
		return len(c) == 2 && c[1].Live() && b.get(t, s.ID).Status == StatusConnected
	}, 8*time.Second, 50*time.Millisecond)
	ev, err := b.svc.History(ctx, b.tenant, s.ID, 10)
	require.NoError(t, err)
	require.Contains(t, ev[2].Reason, "No sign of life")
	require.Empty(t, fencingViolations(t, b.db, s.ID))
}

func TestHost_FailingSessionIsParked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	h := b.startHost(t, nil)
	s := b.paired(t, "Shop")
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)

	h.conn.SetNetworkDown(true) // the link drops and every reconnect fails
	got := b.waitStatus(t, s.ID, StatusParked, 10*time.Second)
	require.Contains(t, got.StatusReason, "3 failures")
	require.Contains(t, got.StatusReason, "Press Reconnect")
	h.conn.SetNetworkDown(false)
	n := len(b.connections(t, s.ID))
	time.Sleep(1500 * time.Millisecond)
	require.Equal(t, StatusParked, b.get(t, s.ID).Status, "a parked session waits for a user")
	require.Len(t, b.connections(t, s.ID), n)

	_, err := b.svc.Reconnect(ctx, b.tenant, s.ID)
	require.NoError(t, err)
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)
}

func TestHost_BannedAndRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	b.startHost(t, nil)
	s := b.paired(t, "Shop")
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)

	require.NoError(t, b.conn.Inject(ctx, s.ID, whatsapp.TemporaryBan{Code: 101, Expire: time.Hour}))
	got := b.waitStatus(t, s.ID, StatusBanned, 5*time.Second)
	require.Contains(t, got.StatusReason, "code 101")
	require.Contains(t, got.StatusReason, "ends in about 1h")

	require.NoError(t, b.conn.Unban(ctx, s.ID))
	require.NoError(t, b.conn.Inject(ctx, s.ID, whatsapp.ClientOutdated{}))
	_, err := b.svc.Reconnect(ctx, b.tenant, s.ID)
	require.NoError(t, err)
	got = b.waitStatus(t, s.ID, StatusFailed, 5*time.Second)
	require.Contains(t, got.StatusReason, "405")
	_, err = b.svc.Reconnect(ctx, b.tenant, s.ID) // the refusal was one-shot
	require.NoError(t, err)
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)
}

func TestHost_LogoutAndDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	b.startHost(t, nil)
	s := b.paired(t, "One")
	s2 := b.paired(t, "Two")
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)
	b.waitStatus(t, s2.ID, StatusConnected, 5*time.Second)

	_, err := b.svc.Logout(ctx, b.tenant, s.ID)
	require.NoError(t, err)
	got := b.waitStatus(t, s.ID, StatusLoggedOut, 5*time.Second)
	require.Empty(t, got.DeviceJID)
	conns := b.connections(t, s.ID)
	require.Equal(t, "logged_out", conns[len(conns)-1].EndReason, "unlinked on WhatsApp too")

	require.NoError(t, b.svc.Delete(ctx, b.tenant, s2.ID))
	var n int
	require.Eventually(t, func() bool {
		require.NoError(t, b.db.QueryRow(ctx, "SELECT count(*) FROM wa_sessions WHERE id = $1", s2.ID).Scan(&n))
		return n == 0
	}, 5*time.Second, 20*time.Millisecond, "the holder removed the row")
	conns = b.connections(t, s2.ID)
	require.Equal(t, "logged_out", conns[len(conns)-1].EndReason)
}

func TestHost_DrainingReleasesSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	h1 := b.startHost(t, nil)
	s := b.paired(t, "Shop")
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)
	waitHolder(t, b, s.ID, h1)
	h2 := b.startHost(t, nil)

	_, err := b.db.Exec(ctx, "UPDATE instances SET draining = true WHERE id = $1", h1.id)
	require.NoError(t, err)
	waitHolder(t, b, s.ID, h2)
	b.waitStatus(t, s.ID, StatusConnected, 5*time.Second)
	require.Empty(t, fencingViolations(t, b.db, s.ID))
	conns := b.connections(t, s.ID)
	require.Equal(t, "closed", conns[0].EndReason, "released gracefully, nothing replaced")
}

func waitHolder(t *testing.T, b *testBundle, id uuid.UUID, h *testHost) {
	t.Helper()
	require.Eventually(t, func() bool {
		s := b.get(t, id)
		return s.Holder != nil && *s.Holder == h.id
	}, 10*time.Second, 20*time.Millisecond, "session held by %s", h.id)
}
