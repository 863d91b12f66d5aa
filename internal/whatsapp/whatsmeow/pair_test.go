package whatsmeow

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	"github.com/wagate/wagate/internal/whatsapp"
)

// The forwarding of whatsmeow's QR channel, driven by a channel of the test's own (offline).
func TestForwardPairing(t *testing.T) {
	t.Parallel()
	b := setup(t)

	type bundle struct {
		d   *Driver
		p   *pairing
		qr  chan whatsmeow.QRChannelItem
		out chan whatsapp.PairEvent
	}
	start := func(t *testing.T, ctx context.Context, opened time.Time, buffered ...whatsmeow.QRChannelItem) *bundle {
		t.Helper()
		d, err := b.conn.OpenDriver(context.Background(), newRef(whatsapp.JID{}), nopHandler)
		require.NoError(t, err)
		qr := make(chan whatsmeow.QRChannelItem, 8)
		qctx, end := context.WithCancel(context.Background())
		t.Cleanup(end)
		p := &pairing{cli: d.client(), qr: qr, start: opened, ctx: qctx, end: end}
		out := make(chan whatsapp.PairEvent, 8)
		go d.forwardPairing(ctx, p, buffered, "", out)
		return &bundle{d: d, p: p, qr: qr, out: out}
	}
	next := func(t *testing.T, out <-chan whatsapp.PairEvent) (whatsapp.PairEvent, bool) {
		t.Helper()
		select {
		case e, ok := <-out:
			return e, ok
		case <-time.After(5 * time.Second):
			t.Fatal("no pairing event")
			return whatsapp.PairEvent{}, false
		}
	}
	code := func(c string, d time.Duration) whatsmeow.QRChannelItem {
		return whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: c, Timeout: d}
	}

	t.Run("WaitingCodesCollapseToTheNewestThenTimeout", func(t *testing.T) {
		t.Parallel()
		// Connect opened the socket 65 s ago; two codes (60 s, 20 s) waited: the second has 15 s left.
		x := start(t, context.Background(), time.Now().Add(-65*time.Second), code("one", 60*time.Second), code("two", 20*time.Second))
		e, _ := next(t, x.out)
		require.Equal(t, whatsapp.PairEvent{Kind: whatsapp.PairQR, QR: "two", ValidFor: 15 * time.Second}, e)
		x.qr <- code("three", 20*time.Second)
		e, _ = next(t, x.out)
		require.Equal(t, whatsapp.PairEvent{Kind: whatsapp.PairQR, QR: "three", ValidFor: 20 * time.Second}, e)
		x.qr <- whatsmeow.QRChannelTimeout
		e, _ = next(t, x.out)
		require.Equal(t, whatsapp.PairTimeout, e.Kind)
		require.ErrorIs(t, e.Err, whatsapp.ErrPairTimeout)
		_, open := next(t, x.out)
		require.False(t, open, "the channel closes after the final event")
		require.NotSame(t, x.p.cli, x.d.client(), "a fresh client for the next attempt")
	})

	t.Run("FreshCodeKeepsItsFullValidity", func(t *testing.T) {
		t.Parallel()
		x := start(t, context.Background(), time.Now(), code("first", 60*time.Second))
		e, _ := next(t, x.out)
		require.Equal(t, whatsapp.PairEvent{Kind: whatsapp.PairQR, QR: "first", ValidFor: 60 * time.Second}, e)
	})

	t.Run("SuccessNamesTheNewDevice", func(t *testing.T) {
		t.Parallel()
		x := start(t, context.Background(), time.Now())
		x.qr <- code("first", 60*time.Second)
		e, _ := next(t, x.out)
		require.Equal(t, whatsapp.PairQR, e.Kind)
		// What whatsmeow does on pair success before the QR channel hears of it.
		jid := types.NewADJID("4915123456789", 0, 21)
		x.d.mu.Lock()
		x.d.device.ID = &jid
		x.d.mu.Unlock()
		x.qr <- whatsmeow.QRChannelSuccess
		e, _ = next(t, x.out)
		require.Equal(t, whatsapp.PairEvent{Kind: whatsapp.PairSuccess, Device: whatsapp.JID{User: "4915123456789", Device: 21, Server: whatsapp.ServerUser}}, e)
		_, open := next(t, x.out)
		require.False(t, open)
		require.Same(t, x.p.cli, x.d.client(), "the paired client stays: it reconnects by itself")
	})

	t.Run("ErrorsEndThePairing", func(t *testing.T) {
		t.Parallel()
		x := start(t, context.Background(), time.Now())
		x.qr <- whatsmeow.QRChannelScannedWithoutMultidevice // not final: codes keep rotating
		x.qr <- whatsmeow.QRChannelClientOutdated
		e, _ := next(t, x.out)
		require.Equal(t, whatsapp.PairFailed, e.Kind)
		require.ErrorIs(t, e.Err, whatsapp.ErrConnect)
		_, open := next(t, x.out)
		require.False(t, open)
	})

	t.Run("ContextEndAbandons", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		x := start(t, ctx, time.Now())
		cancel()
		e, _ := next(t, x.out)
		require.Equal(t, whatsapp.PairFailed, e.Kind)
		require.ErrorIs(t, e.Err, context.Canceled)
		_, open := next(t, x.out)
		require.False(t, open)
	})

	t.Run("DisconnectEndsIt", func(t *testing.T) {
		t.Parallel()
		x := start(t, context.Background(), time.Now())
		x.d.setPairing(x.p)
		x.d.Disconnect()
		e, _ := next(t, x.out)
		require.Equal(t, whatsapp.PairFailed, e.Kind)
		require.ErrorContains(t, e.Err, "disconnected")
	})
}

func TestDrainCodes(t *testing.T) {
	t.Parallel()
	ch := make(chan whatsmeow.QRChannelItem, 8)
	codes, stale := drainCodes(ch)
	require.Empty(t, codes)
	require.False(t, stale, "nothing yet: the first code is on its way")

	ch <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "a"}
	ch <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "b"}
	codes, stale = drainCodes(ch)
	require.Len(t, codes, 2)
	require.False(t, stale)

	ch <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "c"}
	ch <- whatsmeow.QRChannelTimeout
	_, stale = drainCodes(ch)
	require.True(t, stale, "the window ran out while nobody paired")

	close(ch)
	_, stale = drainCodes(ch)
	require.True(t, stale)
}

func TestPairPhoneDigits(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"4915123456789":      "4915123456789",
		"+49 151 2345 6789":  "4915123456789",
		"+49 (151) 234-5678": "491512345678",
		"49.151.2345678":     "491512345678",
	} {
		got, err := pairPhoneDigits(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	for _, in := range []string{"", "123456", "0151234567", "+0 151 234567", "49151abc4567", "4915123456789#1"} {
		_, err := pairPhoneDigits(in)
		require.ErrorIs(t, err, whatsapp.ErrInvalidPhone, in)
	}
	require.ErrorIs(t, pairPhoneError(whatsmeow.ErrPhoneNumberIsNotInternational), whatsapp.ErrInvalidPhone)
	require.ErrorIs(t, pairPhoneError(whatsmeow.ErrPhoneNumberTooShort), whatsapp.ErrInvalidPhone)
	require.ErrorIs(t, pairPhoneError(whatsmeow.ErrNotConnected), whatsapp.ErrNotConnected)
}

// A pairing socket Connect left behind that is no longer open is not reused: Pair discards it (and
// the client carrying its QR handler) and dials afresh.
func TestPairDiscardsAStalePendingPairing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d, err := b.conn.OpenDriver(context.Background(), newRef(whatsapp.JID{}), nopHandler)
	require.NoError(t, err)
	old := d.client()
	qctx, end := context.WithCancel(context.Background())
	stale := &pairing{cli: old, qr: make(chan whatsmeow.QRChannelItem), start: time.Now(), ctx: qctx, end: end}
	d.setPairing(stale)

	_, err = d.Pair(context.Background(), "")
	require.ErrorIs(t, err, whatsapp.ErrConnect)
	require.Error(t, qctx.Err(), "the stale pairing was ended")
	require.NotSame(t, old, d.client())
	targets, _ := b.dial.seen()
	require.Equal(t, []string{"web.whatsapp.com:443"}, targets)
}
