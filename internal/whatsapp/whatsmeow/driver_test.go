package whatsmeow

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/wagate/wagate/internal/whatsapp"
)

// httpClientsOf reads whatsmeow's three HTTP clients out of a Client (unexported fields; tests only).
func httpClientsOf(t *testing.T, cli *whatsmeow.Client) map[string]*http.Client {
	t.Helper()
	v := reflect.ValueOf(cli).Elem()
	out := map[string]*http.Client{}
	for _, name := range []string{"preLoginHTTP", "websocketHTTP", "mediaHTTP"} {
		f := v.FieldByName(name)
		require.True(t, f.IsValid(), "whatsmeow.Client has no field %s: check the dialer plumbing after a whatsmeow update", name)
		out[name] = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(*http.Client)
	}
	return out
}

// requireOnlyDialer fails unless every HTTP client of cli dials through the test's closed port,
// with no proxy. It runs before anything that could open a connection.
func requireOnlyDialer(t *testing.T, cli *whatsmeow.Client) {
	t.Helper()
	want := reflect.ValueOf((&closedPort{}).dial).Pointer() // the code of (*closedPort).dial's method value
	for name, hc := range httpClientsOf(t, cli) {
		tr, ok := hc.Transport.(*http.Transport)
		require.True(t, ok, "%s: transport %T", name, hc.Transport)
		require.Nil(t, tr.Proxy, "%s: no proxy", name)
		require.Nil(t, tr.DialTLSContext, "%s: TLS dials through DialContext", name)
		require.NotNil(t, tr.DialContext, name)
		require.Equal(t, want, reflect.ValueOf(tr.DialContext).Pointer(), "%s dials through the test's dialer", name)
	}
}

// TestNothingLeavesTheMachine proves the three HTTP clients (and so the websocket) go through
// Options.Dial: a request on each reaches the dialer with WhatsApp's address and ends refused on
// the closed loopback port, even with a proxy in the environment. Serial: it sets the environment.
func TestNothingLeavesTheMachine(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://192.0.2.1:3128") // TEST-NET-1: would be refused by policy anyway
	t.Setenv("HTTP_PROXY", "http://192.0.2.1:3128")
	b := setup(t)
	d, err := b.conn.OpenDriver(context.Background(), newRef(whatsapp.JID{}), nopHandler)
	require.NoError(t, err)
	cli := d.client()
	requireOnlyDialer(t, cli)
	for name, hc := range httpClientsOf(t, cli) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://mmg.whatsapp.net/v/t62/probe", nil)
		require.NoError(t, err)
		resp, err := hc.Do(req)
		cancel()
		if resp != nil {
			resp.Body.Close()
		}
		require.ErrorContains(t, err, "connection refused", name)
	}
	targets, dialled := b.dial.seen()
	require.Equal(t, []string{"mmg.whatsapp.net:443", "mmg.whatsapp.net:443", "mmg.whatsapp.net:443"}, targets)
	for _, a := range dialled {
		require.Equal(t, closedAddr, a)
	}
}

// TestConnectOffline: the first Connect of a paired session fails at once with a clear error
// wrapping whatsapp.ErrConnect (no background retry hides it), having tried only web.whatsapp.com
// through the test's dialer. Serial: it asserts a deadline (margin: 5 s for a refused local dial).
func TestConnectOffline(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	jid := pairedDevice(t, b.conn, "4915123456789")
	rec := &recorder{}
	d, err := b.conn.OpenDriver(ctx, newRef(jid), rec.handle)
	require.NoError(t, err)
	requireOnlyDialer(t, d.client())

	for attempt := range 2 { // a second attempt fails the same way: nothing left half-open
		start := time.Now()
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = d.Connect(cctx)
		cancel()
		require.ErrorIs(t, err, whatsapp.ErrConnect, "attempt %d", attempt)
		require.ErrorContains(t, err, "whatsapp: cannot reach WhatsApp: opening the WhatsApp Web socket failed")
		require.ErrorContains(t, err, "connection refused")
		require.Less(t, time.Since(start), 5*time.Second)
		require.Equal(t, whatsapp.LinkState{}, d.State())
	}
	time.Sleep(100 * time.Millisecond) // a background reconnect, were there one, would show up here
	targets, dialled := b.dial.seen()
	require.Equal(t, []string{"web.whatsapp.com:443", "web.whatsapp.com:443"}, targets, "the logged-in socket, once per Connect")
	require.Equal(t, []string{closedAddr, closedAddr}, dialled)
	require.Empty(t, rec.all(), "a failed dial emits no events")
}

// TestPairOffline: connecting an unpaired session (the pairing socket) and pairing by QR code or
// phone number cannot open the socket and say so; an unusable phone number is refused before
// anything is dialled. Serial: it asserts a deadline.
func TestPairOffline(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	d, err := b.conn.OpenDriver(ctx, newRef(whatsapp.JID{}), nopHandler)
	require.NoError(t, err)
	requireOnlyDialer(t, d.client())

	err = d.Connect(ctx)
	require.ErrorIs(t, err, whatsapp.ErrConnect, "the pairing socket cannot open")
	require.ErrorContains(t, err, "connection refused")

	for _, phone := range []string{"", "", "+49 151 2345 6789"} { // twice by QR: a retry starts clean
		start := time.Now()
		ch, err := d.Pair(ctx, phone)
		require.Nil(t, ch)
		require.ErrorIs(t, err, whatsapp.ErrConnect, "phone %q", phone)
		require.ErrorContains(t, err, "connection refused")
		require.Less(t, time.Since(start), 5*time.Second)
		requireOnlyDialer(t, d.client()) // the fresh client after the failure is plumbed too
	}
	targets, dialled := b.dial.seen()
	require.Equal(t, []string{"web.whatsapp.com:443", "web.whatsapp.com:443", "web.whatsapp.com:443", "web.whatsapp.com:443"},
		targets, "the pre-login socket")
	require.Equal(t, []string{closedAddr, closedAddr, closedAddr, closedAddr}, dialled)

	for _, phone := range []string{"12345", "0151 23456789", "+0 151 234567", "49151abc4567", "abc"} {
		_, err := d.Pair(ctx, phone)
		require.ErrorIs(t, err, whatsapp.ErrInvalidPhone, phone)
	}
	targets, _ = b.dial.seen()
	require.Len(t, targets, 4, "invalid numbers dial nothing")

	paired, err := b.conn.OpenDriver(ctx, newRef(pairedDevice(t, b.conn, "4915123456789")), nopHandler)
	require.NoError(t, err)
	_, err = paired.Pair(ctx, "")
	require.ErrorIs(t, err, whatsapp.ErrAlreadyPaired)
}

func TestNotConnected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	d, err := b.conn.OpenDriver(ctx, newRef(pairedDevice(t, b.conn, "4915123456789")), nopHandler)
	require.NoError(t, err)
	requireOnlyDialer(t, d.client())

	msg := whatsapp.Outgoing{ID: whatsapp.NewMessageID(), To: whatsapp.UserJID("4915111111111"), Kind: whatsapp.KindText, Text: "hi"}
	_, err = d.Send(ctx, msg)
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	_, err = d.Send(ctx, whatsapp.Outgoing{To: msg.To, Kind: whatsapp.KindText})
	require.ErrorContains(t, err, "has no id")
	_, err = d.Send(ctx, whatsapp.Outgoing{ID: msg.ID, Kind: whatsapp.KindText})
	require.ErrorIs(t, err, whatsapp.ErrInvalidRecipient)

	_, err = d.CheckNumbers(ctx, []string{"4915111111111"})
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	got, err := d.CheckNumbers(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = d.Groups(ctx)
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	_, err = d.Download(ctx, encodeMediaHandle(mediaHandle{Kind: mediaKindImage, DirectPath: "/v/x", MediaKey: mediaKey}))
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	_, err = d.Download(ctx, whatsapp.MediaHandle("nope"))
	require.ErrorIs(t, err, errBadHandle)
	require.ErrorIs(t, d.Logout(ctx), whatsapp.ErrNotConnected)
	d.Disconnect() // harmless when nothing is open
	require.Equal(t, whatsapp.LinkState{}, d.State())

	targets, _ := b.dial.seen()
	require.Empty(t, targets, "nothing above dials")
}

func TestClientSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	d, err := b.conn.OpenDriver(ctx, newRef(whatsapp.JID{}), nopHandler)
	require.NoError(t, err)
	cli := d.client()
	require.False(t, cli.EnableAutoReconnect, "the session host owns reconnecting")
	require.False(t, cli.InitialAutoReconnect)
	require.True(t, cli.SynchronousAck)
	require.True(t, cli.EnableDecryptedEventBuffer)
	require.True(t, cli.ManualHistorySyncDownload, "history sync is off by default")
	require.Nil(t, cli.GetMessageForRetry(types.EmptyJID, types.EmptyJID, "X"), "whatsmeow's default lookup")

	t.Run("HistorySyncAndRetryLookup", func(t *testing.T) {
		t.Parallel()
		ref := newRef(whatsapp.JID{})
		var asked []string
		c, err := NewConnector(ctx, b.url, quietLog(), Options{Dial: b.dial.dial, HistorySync: true,
			RetryMessage: func(_ context.Context, s whatsapp.SessionRef, to whatsapp.JID, id whatsapp.MessageID) (*whatsapp.Outgoing, error) {
				require.Equal(t, ref, s)
				asked = append(asked, to.String()+" "+string(id))
				if id != "3EB0KNOWN" {
					return nil, nil
				}
				return &whatsapp.Outgoing{ID: id, To: to, Kind: whatsapp.KindText, Text: "again"}, nil
			}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		d, err := c.OpenDriver(ctx, ref, nopHandler)
		require.NoError(t, err)
		cli := d.client()
		require.False(t, cli.ManualHistorySyncDownload)
		got := cli.GetMessageForRetry(types.EmptyJID, bobPN, "3EB0KNOWN")
		require.Equal(t, "again", got.GetConversation())
		require.Nil(t, cli.GetMessageForRetry(types.EmptyJID, bobPN, "3EB0UNKNOWN"))
		require.Equal(t, []string{"4915122222222@s.whatsapp.net 3EB0KNOWN", "4915122222222@s.whatsapp.net 3EB0UNKNOWN"}, asked)
	})
}

func TestEventAcks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	text := dm(nil)
	text.Message = textMessage("hi")

	t.Run("MessageAckedOnlyWhenStored", func(t *testing.T) {
		t.Parallel()
		rec := &recorder{}
		d, err := b.conn.OpenDriver(context.Background(), newRef(whatsapp.JID{}), rec.handle)
		require.NoError(t, err)
		require.True(t, d.onEvent(text))
		rec.fail = errHandler
		require.False(t, d.onEvent(text), "a failed handler withholds the ack")
		require.False(t, d.onEvent(&events.Receipt{MessageSource: types.MessageSource{Chat: alicePN, Sender: alicePN},
			MessageIDs: []types.MessageID{"3EB0X"}, Type: types.ReceiptTypeRead}), "receipts too")
		require.True(t, d.onEvent(&events.Connected{}), "lifecycle events have no ack; whatsmeow's own handlers must still see them")
		require.True(t, d.onEvent(&events.PairSuccess{ID: types.NewADJID(ownPN.User, 0, 3)}))
		status := dm(textMessage("story"))
		status.Info.Chat = types.StatusBroadcastJID
		require.True(t, d.onEvent(status), "skipped messages are acked")
		require.True(t, d.onEvent(&events.Presence{From: alicePN}), "events the gateway ignores are acked")

		got := rec.all()
		require.Len(t, got, 5, "message twice, receipt, connected, pair success; nothing for status or presence")
		require.IsType(t, whatsapp.MessageReceived{}, got[0])
		require.IsType(t, whatsapp.Receipt{}, got[2])
		require.IsType(t, whatsapp.Connected{}, got[3])
		require.IsType(t, whatsapp.PairSucceeded{}, got[4])
		require.False(t, d.State().LastActivity.IsZero(), "events count as activity")
	})

	t.Run("LoginOutcomeReachesAWaitingConnect", func(t *testing.T) {
		t.Parallel()
		d, err := b.conn.OpenDriver(context.Background(), newRef(whatsapp.JID{}), nopHandler)
		require.NoError(t, err)
		for _, c := range []struct {
			evt  any
			is   error
			text string
		}{
			{&events.Connected{}, nil, ""},
			{&events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureUnknownLogout}, whatsapp.ErrLoggedOut, "406"},
			{&events.TemporaryBan{Code: events.TempBanBlockedByUsers, Expire: 2 * time.Hour}, whatsapp.ErrConnect, "temporarily banned (102: too many people blocked you); the ban ends in 2h0m0s"},
			{&events.ClientOutdated{}, whatsapp.ErrConnect, "405 client outdated"},
			{&events.StreamReplaced{}, whatsapp.ErrConnect, "replaced this one"},
			{&events.ConnectFailure{Reason: events.ConnectFailureBadUserAgent}, whatsapp.ErrConnect, "refused the login (409"},
			{&events.Disconnected{}, whatsapp.ErrConnect, "closed before WhatsApp answered"},
		} {
			login := make(chan error, 1)
			d.mu.Lock()
			d.login = login
			d.mu.Unlock()
			require.True(t, d.onEvent(c.evt))
			err := <-login
			if c.is == nil {
				require.NoError(t, err)
				continue
			}
			require.ErrorIs(t, err, c.is)
			require.ErrorContains(t, err, c.text)
		}
	})
}

func textMessage(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }
