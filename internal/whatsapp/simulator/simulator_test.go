package simulator_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/drivertest"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testOptions keep every wait short; margins are generous for -race on 2 cores.
func testOptions(instance string) simulator.Options {
	return simulator.Options{
		Instance:          instance,
		PollInterval:      25 * time.Millisecond,
		HeartbeatInterval: 50 * time.Millisecond,
		HeartbeatTimeout:  400 * time.Millisecond,
		QRFirst:           300 * time.Millisecond,
		QRNext:            100 * time.Millisecond,
		QRCodes:           6,
		PairCodeWindow:    3 * time.Second,
		DeliveredAfter:    50 * time.Millisecond,
		ReadAfter:         120 * time.Millisecond,
		RedeliverAfter:    100 * time.Millisecond,
		MaxMediaBytes:     1 << 20,
		SendTimeout:       300 * time.Millisecond,
	}
}

func sim(c whatsapp.Connector) *simulator.Connector { return c.(*simulator.Connector) }

// TestConformance runs the driver conformance suite. Its subtests share one database (each has its
// own sessions and Connectors), which keeps the run fast on a busy Postgres.
func TestConformance(t *testing.T) {
	opts := testOptions("conformance")
	pool := dbtest.Pool(t)
	drivertest.Run(t, drivertest.Harness{
		NewConnector: func(t *testing.T) whatsapp.Connector { return simulator.NewConnector(pool, opts) },
		Peer: func(t *testing.T, c whatsapp.Connector) whatsapp.Connector {
			o := opts
			o.Instance = "peer"
			return simulator.NewConnector(pool, o)
		},
		Online:      true,
		NetworkDown: func(t *testing.T, c whatsapp.Connector) { sim(c).SetNetworkDown(true) },
		Provision: func(t *testing.T, c whatsapp.Connector, ref whatsapp.SessionRef, phone string) whatsapp.SessionRef {
			dev, err := sim(c).Provision(t.Context(), ref.ID, phone)
			require.NoError(t, err)
			ref.Device = dev
			return ref
		},
		Scan: func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef, phone string) error {
			return sim(c).Scan(ctx, ref.ID, phone)
		},
		EnterCode: func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef, code string) error {
			return sim(c).EnterCode(ctx, ref.ID, code)
		},
		Inject: func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef, e whatsapp.Event) error {
			return sim(c).Inject(ctx, ref.ID, e)
		},
		StoreMedia: func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef, mime, name string, data []byte) (*whatsapp.IncomingMedia, error) {
			return sim(c).StoreMedia(ctx, ref.ID, mime, name, data)
		},
		CreateGroup: func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef) (whatsapp.JID, error) {
			return sim(c).CreateGroup(ctx, ref.ID, simulator.GroupOptions{Name: "Team"})
		},
		SentCount: func(ctx context.Context, c whatsapp.Connector, ref whatsapp.SessionRef, id whatsapp.MessageID) (int, error) {
			return simulator.SentCount(ctx, pool, ref.ID, string(id))
		},
		NotOnWhatsApp: "4915120000000",
		QRCodes:       opts.QRCodes,
		QRFirst:       opts.QRFirst,
		QRNext:        opts.QRNext,
		Receipts:      true,
		MaxMediaBytes: opts.MaxMediaBytes,
		Wait:          5 * time.Second,
	})
}

// testBundle is one database with two "processes" on it.
type testBundle struct {
	pool   *pgxpool.Pool
	c1, c2 *simulator.Connector
}

func setup(pool *pgxpool.Pool) *testBundle {
	return &testBundle{
		pool: pool,
		c1:   simulator.NewConnector(pool, testOptions("instance-1")),
		c2:   simulator.NewConnector(pool, testOptions("instance-2")),
	}
}

const wait = 5 * time.Second

// TestSimulator runs the simulator's own tests in parallel on one database: sessions are independent
// there, as on WhatsApp, and a database per test would cost more than the tests themselves. Each
// subtest gets fresh Connectors (two "processes").
func TestSimulator(t *testing.T) {
	pool := dbtest.Pool(t)
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, b *testBundle)
	}{
		{"ConnectionsRecord", testConnectionsRecord},
		{"ConnectionsNetworkDownThenSweep", testConnectionsNetworkDownThenSweep},
		{"ConnectionsSameHolderReconnect", testConnectionsSameHolderReconnect},
		{"Freeze", testFreeze},
		{"FailNext", testFailNext},
		{"SendMediaAndKinds", testSendMediaAndKinds},
		{"ReceiptsTiming", testReceiptsTiming},
		{"NumbersCanonical", testNumbersCanonical},
		{"PairScanFromAnotherProcess", testPairScanFromAnotherProcess},
		{"PairDeviceNumbers", testPairDeviceNumbers},
		{"PairSuperseded", testPairSuperseded},
		{"InboxAcrossHolders", testInboxAcrossHolders},
		{"DisconnectFromHandler", testDisconnectFromHandler},
		{"BanExpiresAndUnban", testBanExpiresAndUnban},
		{"Refusals", testRefusals},
		{"RemoteLogoutWhileOffline", testRemoteLogoutWhileOffline},
		{"DeleteWhileConnected", testDeleteWhileConnected},
		{"OpenValidates", testOpenValidates},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, setup(pool))
		})
	}
}

func open(t *testing.T, c *simulator.Connector, ref whatsapp.SessionRef) (*simulator.Driver, *drivertest.Recorder) {
	t.Helper()
	r := drivertest.NewRecorder()
	d, err := c.Open(t.Context(), ref, r.Handle)
	require.NoError(t, err)
	t.Cleanup(d.Disconnect)
	return d.(*simulator.Driver), r
}

func provision(t *testing.T, c *simulator.Connector) whatsapp.SessionRef {
	t.Helper()
	ref := whatsapp.SessionRef{ID: uuid.New(), TenantID: uuid.New(), Fence: 1}
	dev, err := c.Provision(t.Context(), ref.ID, drivertest.Phone())
	require.NoError(t, err)
	ref.Device = dev
	return ref
}

func connect(t *testing.T, c *simulator.Connector, ref whatsapp.SessionRef) (*simulator.Driver, *drivertest.Recorder) {
	t.Helper()
	d, r := open(t, c, ref)
	require.NoError(t, d.Connect(t.Context()))
	drivertest.Wait[whatsapp.Connected](t, r, wait, nil)
	return d, r
}

func connections(t *testing.T, b *testBundle, id uuid.UUID) []simulator.Connection {
	t.Helper()
	conns, err := simulator.Connections(t.Context(), b.pool, id)
	require.NoError(t, err)
	return conns
}

func text(to string, body string) whatsapp.Outgoing {
	return whatsapp.Outgoing{ID: whatsapp.NewMessageID(), To: whatsapp.UserJID(to), Kind: whatsapp.KindText, Text: body}
}

// The connection record tells a replacement behind a live holder's back from a takeover after the
// holder went silent, and keeps each holder's fence and instance: what invariant 3's test reads.
func testConnectionsRecord(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)

	d1, r1 := connect(t, b.c1, ref)
	ref2 := ref
	ref2.Fence = 2
	d2, _ := connect(t, b.c2, ref2)
	drivertest.Wait[whatsapp.StreamReplaced](t, r1, wait, nil)

	// d2 goes silent; a later holder takes over after the heartbeat timeout.
	require.NoError(t, b.c2.Freeze(t.Context(), ref.ID))
	time.Sleep(testOptions("").HeartbeatTimeout + 200*time.Millisecond)
	require.True(t, d2.State().LoggedIn, "a frozen link still claims to be logged in")
	ref3 := ref
	ref3.Fence = 3
	d3, _ := connect(t, b.c1, ref3)
	d3.Disconnect()
	d1.Disconnect() // already replaced: changes nothing

	conns := connections(t, b, ref.ID)
	require.Len(t, conns, 3)
	first, second, third := conns[0], conns[1], conns[2]

	require.Equal(t, "replaced", first.EndReason)
	require.Equal(t, int64(1), first.Fence)
	require.Equal(t, "instance-1", first.Instance)
	require.Equal(t, &second.ID, first.ReplacedBy)
	require.False(t, first.EndedAt.Before(second.StartedAt))

	require.Equal(t, "heartbeat_lost", second.EndReason)
	require.Equal(t, int64(2), second.Fence)
	require.Equal(t, "instance-2", second.Instance)
	require.True(t, second.Frozen)
	require.Equal(t, &third.ID, second.ReplacedBy)
	require.True(t, second.HeartbeatAt.Before(third.StartedAt.Add(-testOptions("").HeartbeatTimeout)))

	require.Equal(t, "closed", third.EndReason)
	require.Equal(t, int64(3), third.Fence)
	require.Nil(t, third.ReplacedBy)
	for _, c := range conns {
		require.False(t, c.Live())
		require.Equal(t, ref.Device.String(), c.Device)
	}
}

// A process whose network dies leaves its connection live for WhatsApp; the sweep (or the next login)
// ends it as heartbeat_lost.
func testConnectionsNetworkDownThenSweep(t *testing.T, _ *testBundle) {
	b := setup(dbtest.Pool(t)) // Sweep is global: a database of its own
	ref := provision(t, b.c1)
	d, r := connect(t, b.c1, ref)
	b.c1.SetNetworkDown(true)
	drivertest.Wait[whatsapp.Disconnected](t, r, wait, func(e whatsapp.Disconnected) bool { return e.Reason == "network down" })
	require.False(t, d.State().LoggedIn)
	d.Disconnect()
	require.True(t, connections(t, b, ref.ID)[0].Live(), "WhatsApp did not hear it close")

	swept, err := b.c2.Sweep(t.Context())
	require.NoError(t, err)
	require.Empty(t, swept, "the heartbeat is still fresh")
	require.Eventually(t, func() bool {
		swept, err = b.c2.Sweep(t.Context())
		require.NoError(t, err)
		return len(swept) == 1
	}, wait, 50*time.Millisecond)
	require.Equal(t, "heartbeat_lost", swept[0].EndReason)
	require.Equal(t, "heartbeat_lost", connections(t, b, ref.ID)[0].EndReason)
}

// The same holder logging in again after its own link died replaced nobody: the old row ends closed.
func testConnectionsSameHolderReconnect(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	d, r := connect(t, b.c1, ref)
	b.c1.SetNetworkDown(true)
	drivertest.Wait[whatsapp.Disconnected](t, r, wait, nil)
	b.c1.SetNetworkDown(false)
	require.NoError(t, d.Connect(t.Context()))
	drivertest.WaitN[whatsapp.Connected](t, r, wait, 2, nil)
	conns := connections(t, b, ref.ID)
	require.Len(t, conns, 2)
	require.Equal(t, "closed", conns[0].EndReason)
	require.Equal(t, "its holder reconnected", conns[0].EndDetail)
	require.True(t, conns[1].Live())
	require.Zero(t, drivertest.Count[whatsapp.StreamReplaced](r, nil))
}

func testFreeze(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	d, r := connect(t, b.c1, ref)
	require.NoError(t, b.c2.Freeze(t.Context(), ref.ID))

	var frozenAt time.Time
	require.Eventually(t, func() bool {
		_, err := d.Send(t.Context(), text(drivertest.Phone(), "probe"))
		frozenAt = d.State().LastActivity
		return err != nil
	}, wait, 10*time.Millisecond, "sends start hanging within a poll interval")
	start := time.Now()
	_, err := d.Send(t.Context(), text(drivertest.Phone(), "into the void"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "it hangs for SendTimeout")
	require.False(t, whatsapp.IsPermanent(err))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	_, err = d.CheckNumbers(ctx, []string{drivertest.Phone()})
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)

	st := d.State()
	require.True(t, st.Connected)
	require.True(t, st.LoggedIn)
	require.Equal(t, frozenAt, st.LastActivity, "no sign of life")
	conn := connections(t, b, ref.ID)[0]
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, conn.HeartbeatAt, connections(t, b, ref.ID)[0].HeartbeatAt, "heartbeats stopped")
	require.Equal(t, 1, drivertest.Count[whatsapp.Connected](r, nil))

	// The watchdog's remedy: reconnect. The new connection is healthy.
	d.Disconnect()
	require.NoError(t, d.Connect(t.Context()))
	_, err = d.Send(t.Context(), text(drivertest.Phone(), "alive"))
	require.NoError(t, err)
	require.Len(t, connections(t, b, ref.ID), 2)
}

func testFailNext(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	d, _ := connect(t, b.c1, ref)
	ctx := t.Context()

	// Planned from the other process, in order, one per send.
	require.NoError(t, b.c2.FailNext(ctx, ref.ID, &whatsapp.ServerError{Code: 463, Text: "reach-out time-lock"}))
	require.NoError(t, b.c2.FailNext(ctx, ref.ID, whatsapp.ErrNotOnWhatsApp))
	require.NoError(t, b.c2.FailNext(ctx, ref.ID, &whatsapp.RateLimitedError{RetryAfter: 1500 * time.Millisecond}))
	require.NoError(t, b.c2.FailNext(ctx, ref.ID, errors.New("socket closed")))

	m := text(drivertest.Phone(), "retry me")
	_, err := d.Send(ctx, m)
	var se *whatsapp.ServerError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 463, se.Code)
	_, err = d.Send(ctx, m)
	require.ErrorIs(t, err, whatsapp.ErrNotOnWhatsApp)
	_, err = d.Send(ctx, m)
	var rl *whatsapp.RateLimitedError
	require.ErrorAs(t, err, &rl)
	require.Equal(t, 1500*time.Millisecond, rl.RetryAfter)
	_, err = d.Send(ctx, m)
	require.EqualError(t, err, "socket closed")
	n, err := simulator.SentCount(ctx, b.pool, ref.ID, string(m.ID))
	require.NoError(t, err)
	require.Zero(t, n, "failed sends are not recorded")

	_, err = d.Send(ctx, m)
	require.NoError(t, err)
	// A retry of a message WhatsApp already accepted is recorded again: duplicates can be counted.
	_, err = d.Send(ctx, m)
	require.NoError(t, err)
	n, err = simulator.SentCount(ctx, b.pool, ref.ID, string(m.ID))
	require.NoError(t, err)
	require.Equal(t, 2, n)

	sent, err := simulator.SentMessages(ctx, b.pool, ref.ID)
	require.NoError(t, err)
	require.Len(t, sent, 2)
	conn := connections(t, b, ref.ID)[0]
	for _, s := range sent {
		require.Equal(t, conn.ID, s.ConnectionID)
		require.Equal(t, ref.Fence, s.Fence)
		require.Equal(t, "retry me", s.Body)
		require.Equal(t, "text", s.Kind)
	}
}

func testSendMediaAndKinds(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	d, _ := connect(t, b.c1, ref)
	ctx := t.Context()
	data := bytes.Repeat([]byte("x"), 4096)
	open := func(ctx context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	to := whatsapp.UserJID(drivertest.Phone())
	for _, m := range []whatsapp.Outgoing{
		{To: to, Kind: whatsapp.KindAudio, Media: &whatsapp.Media{MIME: "audio/ogg; codecs=opus", Open: open}, VoiceNote: true},
		{To: to, Kind: whatsapp.KindDocument, Media: &whatsapp.Media{MIME: "application/pdf", Open: open}, FileName: "q3.pdf", Caption: "report"},
		{To: to, Kind: whatsapp.KindLocation, Location: &whatsapp.Location{Latitude: 52.5, Longitude: 13.4, Name: "Berlin"}},
		{To: to, Kind: whatsapp.KindContact, Contact: &whatsapp.Contact{DisplayName: "Ada", VCard: "BEGIN:VCARD\nEND:VCARD"}},
		{To: whatsapp.JID{User: "98765432101234", Server: whatsapp.ServerLID}, Kind: whatsapp.KindText, Text: "to a LID",
			ReplyTo: &whatsapp.Quote{ID: "3EB0ABC", Sender: to}},
	} {
		m.ID = whatsapp.NewMessageID()
		_, err := d.Send(ctx, m)
		require.NoError(t, err, m.Kind)
	}
	sent, err := simulator.SentMessages(ctx, b.pool, ref.ID)
	require.NoError(t, err)
	require.Len(t, sent, 5)
	require.True(t, sent[0].VoiceNote)
	require.Equal(t, int64(len(data)), sent[0].MediaSize)
	require.Equal(t, "audio/ogg; codecs=opus", sent[0].MediaMIME)
	require.Len(t, sent[0].MediaSHA256, 32)
	require.Equal(t, "q3.pdf", sent[1].FileName)
	require.Equal(t, "report", sent[1].Body)
	require.Equal(t, "location", sent[2].Kind)
	require.Equal(t, "Ada", sent[3].Body)
	require.Equal(t, "3EB0ABC", sent[4].ReplyTo)

	// Device JIDs, broadcast lists and overlong texts are refused.
	_, err = d.Send(ctx, whatsapp.Outgoing{ID: whatsapp.NewMessageID(), To: whatsapp.JID{User: to.User, Device: 3, Server: whatsapp.ServerUser}, Text: "x"})
	require.ErrorIs(t, err, whatsapp.ErrInvalidRecipient)
	_, err = d.Send(ctx, whatsapp.Outgoing{ID: whatsapp.NewMessageID(), To: whatsapp.JID{User: "123", Server: whatsapp.ServerBroadcast}, Text: "x"})
	require.ErrorIs(t, err, whatsapp.ErrInvalidRecipient)
	_, err = d.Send(ctx, whatsapp.Outgoing{ID: whatsapp.NewMessageID(), To: to, Text: string(make([]byte, 70000))})
	require.ErrorIs(t, err, whatsapp.ErrMessageTooLarge)
}

func testReceiptsTiming(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	d, r := connect(t, b.c1, ref)
	m := text(drivertest.Phone(), "tick tick")
	start := time.Now()
	_, err := d.Send(t.Context(), m)
	require.NoError(t, err)
	drivertest.Wait(t, r, wait, func(rc whatsapp.Receipt) bool { return rc.Type == whatsapp.ReceiptDelivered })
	require.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond)
	drivertest.Wait(t, r, wait, func(rc whatsapp.Receipt) bool { return rc.Type == whatsapp.ReceiptRead })
	require.GreaterOrEqual(t, time.Since(start), 110*time.Millisecond)
	var types []whatsapp.ReceiptType
	for _, e := range r.Events() {
		if rc, ok := e.(whatsapp.Receipt); ok {
			types = append(types, rc.Type)
		}
	}
	require.Equal(t, []whatsapp.ReceiptType{whatsapp.ReceiptDelivered, whatsapp.ReceiptRead}, types)

	// Without delays configured, no receipts come.
	quiet := testOptions("quiet")
	quiet.DeliveredAfter, quiet.ReadAfter = 0, 0
	c := simulator.NewConnector(b.pool, quiet)
	ref2 := provision(t, c)
	d2, r2 := connect(t, c, ref2)
	_, err = d2.Send(t.Context(), text(drivertest.Phone(), "silence"))
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond)
	require.Zero(t, drivertest.Count[whatsapp.Receipt](r2, nil))
}

// A number WhatsApp knows under another form: CheckNumbers answers the canonical JID, and a send to
// the form asked for reaches nobody (no receipts).
func testNumbersCanonical(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	d, r := connect(t, b.c1, ref)
	require.NoError(t, b.c2.SetNumber(t.Context(), "5561991674812", simulator.Number{OnWhatsApp: true, Canonical: "556191674812"}))
	require.NoError(t, b.c2.SetNumber(t.Context(), "4915111112222", simulator.Number{OnWhatsApp: false}))
	require.NoError(t, b.c2.SetNumber(t.Context(), "4930123450000", simulator.Number{OnWhatsApp: true, VerifiedName: "Shop"}))
	st, err := d.CheckNumbers(t.Context(), []string{"+55 61 99167-4812", "4915111112222", "4930123450000"})
	require.NoError(t, err)
	require.Equal(t, whatsapp.UserJID("556191674812"), st[0].JID)
	require.False(t, st[1].OnWhatsApp)
	require.True(t, st[2].OnWhatsApp, "an override beats the 0000 rule")
	require.Equal(t, "Shop", st[2].VerifiedName)

	_, err = d.Send(t.Context(), text("5561991674812", "wrong form"))
	require.NoError(t, err)
	_, err = d.Send(t.Context(), text("4915111112222", "nobody"))
	require.ErrorIs(t, err, whatsapp.ErrNotOnWhatsApp)
	time.Sleep(300 * time.Millisecond)
	require.Zero(t, drivertest.Count[whatsapp.Receipt](r, nil))
}

// The scan can come from another process (a web instance's "scan" button), by session or by the QR
// string on screen; the driver showing the codes completes the login.
func testPairScanFromAnotherProcess(t *testing.T, b *testBundle) {
	for _, byQR := range []bool{false, true} {
		ref := whatsapp.SessionRef{ID: uuid.New(), Fence: 7}
		d, r := open(t, b.c1, ref)
		ch, err := d.Pair(t.Context(), "")
		require.NoError(t, err)
		e := <-ch
		require.Equal(t, whatsapp.PairQR, e.Kind)
		p, err := b.c2.PendingPairing(t.Context(), ref.ID)
		require.NoError(t, err)
		require.Equal(t, "qr", p.Method)
		phone := drivertest.Phone()
		if byQR {
			require.ErrorIs(t, b.c2.ScanQR(t.Context(), "2@stale,x,y,z", phone), simulator.ErrNoPairing)
			require.NoError(t, b.c2.ScanQR(t.Context(), p.QR, phone))
		} else {
			require.ErrorIs(t, b.c2.EnterCode(t.Context(), ref.ID, "ABCD-EFGH"), simulator.ErrNoPairing, "not a code pairing")
			require.NoError(t, b.c2.Scan(t.Context(), ref.ID, phone))
			require.ErrorIs(t, b.c2.Scan(t.Context(), ref.ID, phone), simulator.ErrNoPairing, "scanned once only")
		}
		for e = range ch {
			if e.Kind != whatsapp.PairQR {
				break
			}
		}
		require.Equal(t, whatsapp.PairSuccess, e.Kind, "%+v", e)
		drivertest.Wait[whatsapp.Connected](t, r, wait, nil)
		require.Equal(t, e.Device, d.Ref().Device)
		pn := drivertest.Wait[whatsapp.PushNameChanged](t, r, wait, nil)
		require.Equal(t, "Sim "+phone[len(phone)-4:], pn.Name)
		conns := connections(t, b, ref.ID)
		require.Len(t, conns, 1)
		require.Equal(t, int64(7), conns[0].Fence)
		_, err = b.c2.PendingPairing(t.Context(), ref.ID)
		require.ErrorIs(t, err, simulator.ErrNoPairing)
	}
}

// Device numbers count up per phone, like each new link of a phone on WhatsApp.
func testPairDeviceNumbers(t *testing.T, b *testBundle) {
	phone := drivertest.Phone()
	d1, err := b.c1.Provision(t.Context(), uuid.New(), phone)
	require.NoError(t, err)
	d2, err := b.c1.Provision(t.Context(), uuid.New(), phone)
	require.NoError(t, err)
	require.Equal(t, uint16(1), d1.Device)
	require.Equal(t, uint16(2), d2.Device)
	require.Equal(t, phone+":2@s.whatsapp.net", d2.String())
}

// A newer pairing of the session, from any process, ends the older one's channel.
func testPairSuperseded(t *testing.T, b *testBundle) {
	ref := whatsapp.SessionRef{ID: uuid.New(), Fence: 1}
	d1, _ := open(t, b.c1, ref)
	ch1, err := d1.Pair(t.Context(), "")
	require.NoError(t, err)
	d2, _ := open(t, b.c2, ref)
	ch2, err := d2.Pair(t.Context(), "+"+drivertest.Phone())
	require.NoError(t, err)
	var last whatsapp.PairEvent
	for e := range ch1 {
		last = e
	}
	require.Equal(t, whatsapp.PairFailed, last.Kind)
	code := (<-ch2).Code
	require.NoError(t, b.c1.EnterCode(t.Context(), ref.ID, code))
	require.Equal(t, whatsapp.PairSuccess, (<-ch2).Kind)

	// Pairing twice in one driver: the first channel ends too.
	d3, _ := open(t, b.c1, whatsapp.SessionRef{ID: uuid.New()})
	chA, err := d3.Pair(t.Context(), "")
	require.NoError(t, err)
	_, err = d3.Pair(t.Context(), "")
	require.NoError(t, err)
	for e := range chA {
		last = e
	}
	require.Equal(t, whatsapp.PairFailed, last.Kind)

	// Cancelling the context ends the pairing; Disconnect does too.
	ctx, cancel := context.WithCancel(t.Context())
	d4, _ := open(t, b.c1, whatsapp.SessionRef{ID: uuid.New()})
	chB, err := d4.Pair(ctx, "")
	require.NoError(t, err)
	cancel()
	for e := range chB {
		last = e
	}
	require.Equal(t, whatsapp.PairFailed, last.Kind)
	require.ErrorIs(t, last.Err, context.Canceled)
	chC, err := d4.Pair(t.Context(), "")
	require.NoError(t, err)
	d4.Disconnect()
	for e := range chC {
		last = e
	}
	require.ErrorIs(t, last.Err, whatsapp.ErrNotConnected)
}

// Inbound events wait for a holder, survive a change of holder, and are acked only by success.
func testInboxAcrossHolders(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	id, err := b.c2.InjectText(t.Context(), ref.ID, drivertest.Phone(), "while you were away")
	require.NoError(t, err)
	isIt := func(e whatsapp.MessageReceived) bool { return e.Message.ID == id }

	d1, r1 := open(t, b.c1, ref)
	r1.SetFail(func(whatsapp.Event) error { return errors.New("store is down") })
	require.NoError(t, d1.Connect(t.Context()))
	drivertest.Wait(t, r1, wait, isIt)
	d1.Disconnect()

	ref2 := ref
	ref2.Fence = 2
	_, r2 := connect(t, b.c2, ref2)
	got := drivertest.Wait(t, r2, wait, isIt)
	require.Equal(t, "while you were away", got.Message.Text)
	require.Equal(t, whatsapp.KindText, got.Message.Kind)
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, 1, drivertest.Count(r2, isIt))
}

// A handler may disconnect the driver itself (e.g. on StreamReplaced) without a deadlock.
func testDisconnectFromHandler(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	var d *simulator.Driver
	done := make(chan struct{})
	var reconnectErr error
	handler := func(ctx context.Context, e whatsapp.Event) error {
		if _, ok := e.(whatsapp.StreamReplaced); ok {
			d.Disconnect()
			// The handler's ctx ends with Disconnect; the host reconnects on a context of its own.
			reconnectErr = d.Connect(context.Background())
			close(done)
		}
		return nil
	}
	drv, err := b.c1.Open(t.Context(), ref, handler)
	require.NoError(t, err)
	d = drv.(*simulator.Driver)
	t.Cleanup(d.Disconnect)
	require.NoError(t, d.Connect(t.Context()))
	require.Eventually(t, func() bool { return d.State().LoggedIn }, wait, 10*time.Millisecond)
	require.NoError(t, b.c2.Inject(t.Context(), ref.ID, whatsapp.StreamReplaced{}))
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("handler did not finish")
	}
	require.NoError(t, reconnectErr, "connect again from the handler")
	require.True(t, d.State().LoggedIn)
	conns := connections(t, b, ref.ID)
	require.Len(t, conns, 2)
	require.Equal(t, "replaced", conns[0].EndReason)
}

func testBanExpiresAndUnban(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	d, r := open(t, b.c1, ref)
	require.NoError(t, b.c2.Inject(t.Context(), ref.ID, whatsapp.TemporaryBan{Code: 102, Expire: 400 * time.Millisecond}))
	err := d.Connect(t.Context())
	var refused *simulator.RefusedError
	require.ErrorAs(t, err, &refused)
	require.ErrorIs(t, err, whatsapp.ErrConnect, "like the whatsmeow driver's refusals")
	ban := drivertest.Wait[whatsapp.TemporaryBan](t, r, wait, nil)
	require.Equal(t, 102, ban.Code)
	require.Equal(t, "blocked by too many people", ban.Reason)
	require.Positive(t, ban.Expire)
	require.Eventually(t, func() bool { return d.Connect(t.Context()) == nil }, wait, 50*time.Millisecond, "the ban expires")
	d.Disconnect()

	require.NoError(t, b.c2.Inject(t.Context(), ref.ID, whatsapp.TemporaryBan{Code: 101})) // no expiry known
	require.Error(t, d.Connect(t.Context()))
	require.NoError(t, b.c2.Unban(t.Context(), ref.ID))
	require.NoError(t, d.Connect(t.Context()))

	require.ErrorIs(t, b.c2.Inject(t.Context(), uuid.New(), whatsapp.TemporaryBan{Code: 101}), simulator.ErrNoAccount)
}

func testRefusals(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	d, r := open(t, b.c1, ref)
	require.NoError(t, b.c2.Inject(t.Context(), ref.ID, whatsapp.ClientOutdated{}))
	var refused *simulator.RefusedError
	require.ErrorAs(t, d.Connect(t.Context()), &refused)
	require.Equal(t, whatsapp.ClientOutdated{}, refused.Event)
	drivertest.Wait[whatsapp.ClientOutdated](t, r, wait, nil)
	require.NoError(t, d.Connect(t.Context()), "the refusal was one-shot")
	d.Disconnect()

	require.NoError(t, b.c2.Inject(t.Context(), ref.ID, whatsapp.ConnectFailure{Code: 409, Message: "bad user agent"}))
	require.ErrorAs(t, d.Connect(t.Context()), &refused)
	require.Equal(t, whatsapp.ConnectFailure{Code: 409, Message: "bad user agent"}, refused.Event)

	require.ErrorIs(t, b.c2.Inject(t.Context(), ref.ID, whatsapp.Connected{}), simulator.ErrNotInjectable)
	require.ErrorIs(t, b.c2.Inject(t.Context(), ref.ID, whatsapp.Disconnected{}), simulator.ErrNoConnection)
}

// A remote logout while nobody is connected is reported once, by the next login.
func testRemoteLogoutWhileOffline(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	require.NoError(t, b.c2.Inject(t.Context(), ref.ID, whatsapp.LoggedOut{Code: 403}))
	d, r := open(t, b.c1, ref)
	require.ErrorIs(t, d.Connect(t.Context()), whatsapp.ErrLoggedOut)
	lo := drivertest.Wait[whatsapp.LoggedOut](t, r, wait, nil)
	require.True(t, lo.OnConnect)
	d2, r2 := open(t, b.c1, ref)
	require.ErrorIs(t, d2.Connect(t.Context()), whatsapp.ErrLoggedOut)
	time.Sleep(100 * time.Millisecond)
	require.Zero(t, drivertest.Count[whatsapp.LoggedOut](r2, nil))

	// Pairing again brings the session back.
	ch, err := d2.Pair(t.Context(), "")
	require.NoError(t, err)
	<-ch
	require.NoError(t, b.c2.Scan(t.Context(), ref.ID, drivertest.Phone()))
	drivertest.Wait[whatsapp.Connected](t, r2, wait, nil)
}

// Delete wipes the keys while a holder is connected: the holder hears LoggedOut.
func testDeleteWhileConnected(t *testing.T, b *testBundle) {
	ref := provision(t, b.c1)
	d, r := connect(t, b.c1, ref)
	require.NoError(t, b.c2.Delete(t.Context(), ref))
	drivertest.Wait[whatsapp.LoggedOut](t, r, wait, nil)
	require.Eventually(t, func() bool { return !d.State().LoggedIn }, wait, 10*time.Millisecond)
	d2, _ := open(t, b.c1, ref)
	require.ErrorIs(t, d2.Connect(t.Context()), whatsapp.ErrNotPaired)
	require.Equal(t, "logged_out", connections(t, b, ref.ID)[0].EndReason)
}

// Disconnect stops every goroutine the driver started.
func TestDisconnect_NoGoroutineLeak(t *testing.T) {
	b := setup(dbtest.Pool(t))
	require.NoError(t, b.pool.Ping(t.Context()))
	before := runtime.NumGoroutine()
	for range 3 {
		ref := provision(t, b.c1)
		d, r := connect(t, b.c1, ref)
		id, err := b.c2.InjectText(t.Context(), ref.ID, drivertest.Phone(), "hi")
		require.NoError(t, err)
		drivertest.Wait(t, r, wait, func(e whatsapp.MessageReceived) bool { return e.Message.ID == id })
		_, err = d.Send(t.Context(), text(drivertest.Phone(), "bye"))
		require.NoError(t, err)
		d.Disconnect()

		p, _ := open(t, b.c1, whatsapp.SessionRef{ID: uuid.New()})
		_, err = p.Pair(t.Context(), "")
		require.NoError(t, err)
		p.Disconnect()
	}
	// A plain loop: testify's Eventually runs its condition on goroutines of its own.
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testOpenValidates(t *testing.T, b *testBundle) {
	c := simulator.NewConnector(b.pool, simulator.Options{})
	_, err := c.Open(t.Context(), whatsapp.SessionRef{}, func(context.Context, whatsapp.Event) error { return nil })
	require.Error(t, err)
	_, err = c.Open(t.Context(), whatsapp.SessionRef{ID: uuid.New()}, nil)
	require.Error(t, err)
	require.Equal(t, "simulator", c.Name())
	o := c.Options()
	require.Equal(t, 160*time.Second, o.QRWindow())
	require.Equal(t, 150*time.Millisecond, o.PollInterval)
	require.Zero(t, o.DeliveredAfter, "zero means no receipts")
}
