package drivertest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/whatsapp"
)

// --- offline -----------------------------------------------------------------------------------

func (s *suite) testOpen(t *testing.T) {
	c := s.h.NewConnector(t)
	require.NotEmpty(t, c.Name())
	d, _ := s.open(t, c, newRef())
	st := d.State()
	require.False(t, st.Connected)
	require.False(t, st.LoggedIn)
}

func (s *suite) testNotConnected(t *testing.T) {
	c := s.h.NewConnector(t)
	ref := newRef()
	if s.h.Provision != nil {
		ref = s.h.Provision(t, c, ref, Phone())
	}
	d, _ := s.open(t, c, ref)
	ctx := t.Context()
	_, err := d.Send(ctx, text(whatsapp.UserJID(Phone()), "hello"))
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	_, err = d.CheckNumbers(ctx, []string{Phone()})
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	_, err = d.Groups(ctx)
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	require.ErrorIs(t, d.Logout(ctx), whatsapp.ErrNotConnected)
	d.Disconnect() // harmless when not connected
	require.False(t, d.State().Connected)
}

// The phone number is checked before anything is dialed, so this holds offline too.
func (s *suite) testPairInvalidPhone(t *testing.T) {
	c := s.h.NewConnector(t)
	d, _ := s.open(t, c, newRef())
	for _, phone := range []string{"0151234567", "12345", "49151abc4567", "+0 151 234567"} {
		_, err := d.Pair(t.Context(), phone)
		require.ErrorIs(t, err, whatsapp.ErrInvalidPhone, phone)
	}
}

func (s *suite) testPairAlreadyPaired(t *testing.T) {
	need(t, s.h.Provision != nil, "Provision")
	c := s.h.NewConnector(t)
	ref := s.h.Provision(t, c, newRef(), Phone())
	d, _ := s.open(t, c, ref)
	_, err := d.Pair(t.Context(), "")
	require.ErrorIs(t, err, whatsapp.ErrAlreadyPaired)
}

func (s *suite) testDeleteNeverPaired(t *testing.T) {
	c := s.h.NewConnector(t)
	require.NoError(t, c.Delete(t.Context(), newRef()))
}

// Delete wipes the device keys without any network: the old device can never log in again.
func (s *suite) testDeleteWipesKeys(t *testing.T) {
	need(t, s.h.Provision != nil, "Provision")
	c := s.h.NewConnector(t)
	ref := s.h.Provision(t, c, newRef(), Phone())
	require.NoError(t, c.Delete(t.Context(), ref))
	require.NoError(t, c.Delete(t.Context(), ref), "deleting twice is fine")
	d, _ := s.open(t, c, ref)
	err := d.Connect(t.Context())
	require.ErrorIs(t, err, whatsapp.ErrNotPaired)
	require.False(t, d.State().LoggedIn)
}

// Without a network, connecting and pairing fail at once with ErrConnect (no silent retries).
func (s *suite) testConnectFailsOffline(t *testing.T) {
	c := s.h.NewConnector(t)
	if s.h.Online {
		need(t, s.h.NetworkDown != nil, "NetworkDown")
	}
	ref := newRef()
	var paired whatsapp.SessionRef
	if s.h.Provision != nil {
		paired = s.h.Provision(t, c, newRef(), Phone())
	}
	if s.h.Online {
		s.h.NetworkDown(t, c)
	}
	ctx, cancel := context.WithTimeout(t.Context(), s.h.Wait)
	defer cancel()

	d, _ := s.open(t, c, ref)
	require.ErrorIs(t, d.Connect(ctx), whatsapp.ErrConnect)
	require.False(t, d.State().LoggedIn)
	ch, err := d.Pair(ctx, "")
	if err == nil {
		// A driver may report the failure on the channel instead.
		e, _ := next(t, ch, s.h.Wait)
		require.Equal(t, whatsapp.PairFailed, e.Kind, "%+v", e)
		err = e.Err
	}
	require.ErrorIs(t, err, whatsapp.ErrConnect)

	if s.h.Provision != nil {
		d2, _ := s.open(t, c, paired)
		require.ErrorIs(t, d2.Connect(ctx), whatsapp.ErrConnect)
		_, err := d2.Send(ctx, text(whatsapp.UserJID(Phone()), "hi"))
		require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	}
}

// --- online: pairing ---------------------------------------------------------------------------

func (s *suite) testConnectUnpaired(t *testing.T) {
	s.online(t)
	c := s.h.NewConnector(t)
	d, _ := s.open(t, c, newRef())
	require.NoError(t, d.Connect(t.Context()))
	require.False(t, d.State().LoggedIn, "an unpaired session cannot be logged in")
	_, err := d.Send(t.Context(), text(whatsapp.UserJID(Phone()), "hi"))
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
}

func (s *suite) testPairQR(t *testing.T) {
	s.online(t)
	need(t, s.h.Scan != nil, "Scan")
	c := s.h.NewConnector(t)
	ref := newRef()
	d, r := s.open(t, c, ref)
	require.NoError(t, d.Connect(t.Context()))
	ch, err := d.Pair(t.Context(), "")
	require.NoError(t, err)

	first, ok := next(t, ch, s.h.Wait)
	require.True(t, ok)
	require.Equal(t, whatsapp.PairQR, first.Kind, "%+v", first)
	require.NotEmpty(t, first.QR)
	if s.h.QRFirst > 0 {
		require.Equal(t, s.h.QRFirst, first.ValidFor)
	}
	if s.h.QRFirst > 0 && s.h.QRFirst < s.h.Wait && s.h.QRCodes > 1 {
		second, ok := next(t, ch, s.h.Wait)
		require.True(t, ok)
		require.Equal(t, whatsapp.PairQR, second.Kind, "%+v", second)
		require.NotEqual(t, first.QR, second.QR, "the code rotates")
		if s.h.QRNext > 0 {
			require.Equal(t, s.h.QRNext, second.ValidFor)
		}
	}

	phone := Phone()
	require.NoError(t, s.h.Scan(t.Context(), c, ref, phone))
	var success whatsapp.PairEvent
	for e := range ch {
		if e.Kind == whatsapp.PairQR {
			continue // a rotation may race the scan
		}
		success = e
		break
	}
	require.Equal(t, whatsapp.PairSuccess, success.Kind, "%+v", success)
	require.Equal(t, phone, success.Device.User)
	require.Equal(t, whatsapp.ServerUser, success.Device.Server)
	require.NotZero(t, success.Device.Device, "a device JID has a device number")
	_, open := next(t, ch, s.h.Wait)
	require.False(t, open, "the channel closes after PairSuccess")

	ps := Wait[whatsapp.PairSucceeded](t, r, s.h.Wait, nil)
	require.Equal(t, success.Device, ps.Device)
	Wait[whatsapp.Connected](t, r, s.h.Wait, nil)
	require.True(t, d.State().LoggedIn)

	// The new device can send at once and log in again later under its JID.
	_, err = d.Send(t.Context(), text(whatsapp.UserJID(Phone()), "paired"))
	require.NoError(t, err)
	d.Disconnect()
	ref.Device = success.Device
	d2, r2 := s.open(t, c, ref)
	require.NoError(t, d2.Connect(t.Context()))
	Wait[whatsapp.Connected](t, r2, s.h.Wait, nil)
}

func (s *suite) testPairQRTimeout(t *testing.T) {
	s.online(t)
	window := s.h.QRFirst + time.Duration(s.h.QRCodes-1)*s.h.QRNext
	if s.h.QRCodes == 0 || s.h.QRFirst == 0 || window > s.h.Wait {
		t.Skip("the QR window does not fit in Harness.Wait")
	}
	c := s.h.NewConnector(t)
	ref := newRef()
	d, _ := s.open(t, c, ref)
	start := time.Now()
	ch, err := d.Pair(t.Context(), "")
	require.NoError(t, err)
	var qrs []string
	var last whatsapp.PairEvent
	for {
		e, ok := next(t, ch, s.h.Wait)
		if !ok {
			break
		}
		last = e
		if e.Kind == whatsapp.PairQR {
			qrs = append(qrs, e.QR)
		}
	}
	require.Equal(t, whatsapp.PairTimeout, last.Kind, "%+v", last)
	require.Len(t, qrs, s.h.QRCodes)
	require.GreaterOrEqual(t, time.Since(start), window-window/10, "the window is not cut short")
	require.False(t, d.State().LoggedIn)
	if s.h.Scan != nil {
		require.Error(t, s.h.Scan(t.Context(), c, ref, Phone()), "a timed-out pairing cannot be scanned")
	}
	// Pairing can start again.
	ch, err = d.Pair(t.Context(), "")
	require.NoError(t, err)
	e, _ := next(t, ch, s.h.Wait)
	require.Equal(t, whatsapp.PairQR, e.Kind)
}

func (s *suite) testPairCode(t *testing.T) {
	s.online(t)
	need(t, s.h.EnterCode != nil, "EnterCode")
	c := s.h.NewConnector(t)
	ref := newRef()
	d, r := s.open(t, c, ref)
	require.NoError(t, d.Connect(t.Context()))
	phone := Phone()
	ch, err := d.Pair(t.Context(), "+"+phone)
	require.NoError(t, err)
	e, ok := next(t, ch, s.h.Wait)
	require.True(t, ok)
	require.Equal(t, whatsapp.PairCode, e.Kind, "%+v", e)
	require.Regexp(t, pairCodeRE, e.Code)
	require.Positive(t, e.ValidFor)

	wrong := "ABCD-EFGH"
	if e.Code == wrong {
		wrong = "HGFE-DCBA"
	}
	require.Error(t, s.h.EnterCode(t.Context(), c, ref, wrong))
	require.NoError(t, s.h.EnterCode(t.Context(), c, ref, e.Code))
	e, ok = next(t, ch, s.h.Wait)
	require.True(t, ok)
	require.Equal(t, whatsapp.PairSuccess, e.Kind, "%+v", e)
	require.Equal(t, phone, e.Device.User)
	Wait[whatsapp.Connected](t, r, s.h.Wait, nil)
	require.True(t, d.State().LoggedIn)
}

// --- online: sending ---------------------------------------------------------------------------

func (s *suite) testSendText(t *testing.T) {
	c, ref, d, r := s.connected(t)
	to := whatsapp.UserJID(Phone())
	m := text(to, "hello")
	sent, err := d.Send(t.Context(), m)
	require.NoError(t, err)
	require.Equal(t, m.ID, sent.ID)
	require.False(t, sent.Timestamp.IsZero())
	if s.h.SentCount != nil {
		n, err := s.h.SentCount(t.Context(), c, ref, m.ID)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	}
	if s.h.Receipts {
		for _, typ := range []whatsapp.ReceiptType{whatsapp.ReceiptDelivered, whatsapp.ReceiptRead} {
			rc := Wait(t, r, s.h.Wait, func(rc whatsapp.Receipt) bool { return rc.Type == typ })
			require.Contains(t, rc.MessageIDs, m.ID)
			require.Equal(t, to, rc.Chat)
		}
	}
	// A message without an id gets one.
	sent, err = d.Send(t.Context(), whatsapp.Outgoing{To: to, Kind: whatsapp.KindText, Text: "no id"})
	require.NoError(t, err)
	require.NotEmpty(t, sent.ID)
}

func (s *suite) testSendMedia(t *testing.T) {
	c, ref, d, _ := s.connected(t)
	to := whatsapp.UserJID(Phone())
	png := bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 256)
	m := whatsapp.Outgoing{ID: whatsapp.NewMessageID(), To: to, Kind: whatsapp.KindImage, Media: media(png), Caption: "a picture"}
	sent, err := d.Send(t.Context(), m)
	require.NoError(t, err)
	require.Equal(t, m.ID, sent.ID)
	if s.h.SentCount != nil {
		n, err := s.h.SentCount(t.Context(), c, ref, m.ID)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	}
	doc := whatsapp.Outgoing{ID: whatsapp.NewMessageID(), To: to, Kind: whatsapp.KindDocument, Media: media([]byte("%PDF-1.4")), FileName: "a.pdf"}
	_, err = d.Send(t.Context(), doc)
	require.NoError(t, err)

	empty := whatsapp.Outgoing{ID: whatsapp.NewMessageID(), To: to, Kind: whatsapp.KindImage, Media: media(nil)}
	_, err = d.Send(t.Context(), empty)
	require.ErrorIs(t, err, whatsapp.ErrMediaRejected)
	require.True(t, whatsapp.IsPermanent(err))
	if s.h.MaxMediaBytes > 0 {
		big := whatsapp.Outgoing{ID: whatsapp.NewMessageID(), To: to, Kind: whatsapp.KindVideo, Media: media(make([]byte, s.h.MaxMediaBytes+1))}
		_, err = d.Send(t.Context(), big)
		require.ErrorIs(t, err, whatsapp.ErrMediaRejected)
	}
	if s.h.SentCount != nil {
		n, err := s.h.SentCount(t.Context(), c, ref, empty.ID)
		require.NoError(t, err)
		require.Zero(t, n, "a rejected send is not recorded")
	}
}

func (s *suite) testSendGroup(t *testing.T) {
	need(t, s.h.CreateGroup != nil, "CreateGroup")
	c, ref, d, r := s.connected(t)
	group, err := s.h.CreateGroup(t.Context(), c, ref)
	require.NoError(t, err)
	require.True(t, group.IsGroup())
	groups, err := d.Groups(t.Context())
	require.NoError(t, err)
	require.Len(t, groups, 1)
	require.Equal(t, group, groups[0].JID)

	m := text(group, "hello group")
	sent, err := d.Send(t.Context(), m)
	require.NoError(t, err)
	require.Equal(t, m.ID, sent.ID)
	if s.h.Receipts {
		rc := Wait(t, r, s.h.Wait, func(rc whatsapp.Receipt) bool { return rc.Type == whatsapp.ReceiptDelivered })
		require.Equal(t, group, rc.Chat)
		require.False(t, rc.Sender.IsGroup(), "a group receipt names the member")
	}
	_, err = d.Send(t.Context(), text(whatsapp.JID{User: "120363999999999999", Server: whatsapp.ServerGroup}, "x"))
	require.ErrorIs(t, err, whatsapp.ErrNotInGroup)
}

func (s *suite) testNotOnWhatsApp(t *testing.T) {
	need(t, s.h.NotOnWhatsApp != "", "NotOnWhatsApp number")
	c, ref, d, _ := s.connected(t)
	m := text(whatsapp.UserJID(s.h.NotOnWhatsApp), "anyone?")
	_, err := d.Send(t.Context(), m)
	require.ErrorIs(t, err, whatsapp.ErrNotOnWhatsApp)
	require.True(t, whatsapp.IsPermanent(err))
	if s.h.SentCount != nil {
		n, err := s.h.SentCount(t.Context(), c, ref, m.ID)
		require.NoError(t, err)
		require.Zero(t, n)
	}
	on := Phone()
	st, err := d.CheckNumbers(t.Context(), []string{s.h.NotOnWhatsApp, "+" + on, "12"})
	require.NoError(t, err)
	require.Len(t, st, 3)
	require.Equal(t, s.h.NotOnWhatsApp, st[0].Query)
	require.False(t, st[0].OnWhatsApp)
	require.True(t, st[0].JID.IsEmpty())
	require.Equal(t, "+"+on, st[1].Query)
	require.True(t, st[1].OnWhatsApp)
	require.Equal(t, whatsapp.UserJID(on), st[1].JID)
	require.False(t, st[2].OnWhatsApp, "an invalid number is not on WhatsApp")
}

// --- online: receiving -------------------------------------------------------------------------

func inbound(from string, body string) whatsapp.Incoming {
	j := whatsapp.UserJID(from)
	return whatsapp.Incoming{
		ID: whatsapp.NewMessageID(), Chat: j, Sender: j, PushName: "Ada",
		Timestamp: time.Now().UTC().Truncate(time.Second), Kind: whatsapp.KindText, Text: body,
	}
}

func (s *suite) testInbound(t *testing.T) {
	need(t, s.h.Inject != nil, "Inject")
	c, ref, _, r := s.connected(t)
	in := inbound(Phone(), "hi there")
	require.NoError(t, s.h.Inject(t.Context(), c, ref, whatsapp.MessageReceived{Message: in}))
	got := Wait(t, r, s.h.Wait, func(e whatsapp.MessageReceived) bool { return e.Message.ID == in.ID })
	require.Equal(t, in.Text, got.Message.Text)
	require.Equal(t, in.Sender, got.Message.Sender)
	require.True(t, in.Timestamp.Equal(got.Message.Timestamp))

	// Reactions, edits and revokes arrive in order after it.
	events := []whatsapp.Event{
		whatsapp.Reaction{Chat: in.Chat, Sender: in.Sender, Target: in.ID, Emoji: "👍"},
		whatsapp.Edited{Chat: in.Chat, Sender: in.Sender, Target: in.ID, Text: "hi there!"},
		whatsapp.Revoked{Chat: in.Chat, Sender: in.Sender, Target: in.ID},
	}
	for _, e := range events {
		require.NoError(t, s.h.Inject(t.Context(), c, ref, e))
	}
	Wait[whatsapp.Revoked](t, r, s.h.Wait, nil)
	var order []string
	for _, e := range r.Events() {
		switch e.(type) {
		case whatsapp.Reaction:
			order = append(order, "reaction")
		case whatsapp.Edited:
			order = append(order, "edited")
		case whatsapp.Revoked:
			order = append(order, "revoked")
		}
	}
	require.Equal(t, []string{"reaction", "edited", "revoked"}, order)
}

func (s *suite) testInboundMedia(t *testing.T) {
	need(t, s.h.Inject != nil && s.h.StoreMedia != nil, "Inject and StoreMedia")
	c, ref, d, r := s.connected(t)
	data := []byte("\xff\xd8\xff\xe0 a jpeg, more or less")
	im, err := s.h.StoreMedia(t.Context(), c, ref, "image/jpeg", "photo.jpg", data)
	require.NoError(t, err)
	in := inbound(Phone(), "look")
	in.Kind, in.Media = whatsapp.KindImage, im
	require.NoError(t, s.h.Inject(t.Context(), c, ref, whatsapp.MessageReceived{Message: in}))
	got := Wait(t, r, s.h.Wait, func(e whatsapp.MessageReceived) bool { return e.Message.ID == in.ID })
	require.NotNil(t, got.Message.Media)
	require.Equal(t, int64(len(data)), got.Message.Media.Size)
	rc, err := d.Download(t.Context(), got.Message.Media.Handle)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, data, b)
}

// A handler that fails withholds the ack: WhatsApp delivers the event again, until it succeeds.
func (s *suite) testHandlerErrorRedelivers(t *testing.T) {
	need(t, s.h.Inject != nil, "Inject")
	c, ref, _, r := s.connected(t)
	in := inbound(Phone(), "store me")
	isIt := func(e whatsapp.MessageReceived) bool { return e.Message.ID == in.ID }
	failures := 0
	r.SetFail(func(e whatsapp.Event) error {
		if m, ok := e.(whatsapp.MessageReceived); ok && isIt(m) && failures < 2 {
			failures++
			return errors.New("database is down")
		}
		return nil
	})
	require.NoError(t, s.h.Inject(t.Context(), c, ref, whatsapp.MessageReceived{Message: in}))
	WaitN(t, r, 3*s.h.Wait, 3, isIt)
	time.Sleep(s.h.Wait / 5)
	require.Equal(t, 3, Count(r, isIt), "acked after the first success, not delivered again")
}

// --- online: lifecycle -------------------------------------------------------------------------

func (s *suite) testLogoutThenConnect(t *testing.T) {
	c, ref, d, r := s.connected(t)
	require.NoError(t, d.Logout(t.Context()))
	require.False(t, d.State().LoggedIn)
	_, err := d.Send(t.Context(), text(whatsapp.UserJID(Phone()), "gone"))
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	err = d.Connect(t.Context())
	require.True(t, isNotPairedOrLoggedOut(err), "connect after logout: %v", err)

	d2, _ := s.open(t, c, ref)
	err = d2.Connect(t.Context())
	require.True(t, isNotPairedOrLoggedOut(err), "connect a logged-out device: %v", err)
	time.Sleep(s.h.Wait / 10)
	require.Zero(t, Count[whatsapp.LoggedOut](r, nil), "no LoggedOut event for one's own logout")
}

func (s *suite) testRemoteLogout(t *testing.T) {
	need(t, s.h.Inject != nil, "Inject")
	c, ref, d, r := s.connected(t)
	require.NoError(t, s.h.Inject(t.Context(), c, ref, whatsapp.LoggedOut{Code: 401, Reason: "unlinked from the phone"}))
	lo := Wait[whatsapp.LoggedOut](t, r, s.h.Wait, nil)
	require.False(t, lo.OnConnect)
	require.True(t, whatsapp.Permanent(lo))
	require.Eventually(t, func() bool { return !d.State().LoggedIn }, s.h.Wait, 10*time.Millisecond)
	err := d.Connect(t.Context())
	require.True(t, isNotPairedOrLoggedOut(err), "connect after a remote logout: %v", err)
}

func (s *suite) testTemporaryBan(t *testing.T) {
	need(t, s.h.Inject != nil, "Inject")
	c, ref, d, r := s.connected(t)
	require.NoError(t, s.h.Inject(t.Context(), c, ref, whatsapp.TemporaryBan{Code: 101, Expire: time.Hour}))
	ban := Wait[whatsapp.TemporaryBan](t, r, s.h.Wait, nil)
	require.Equal(t, 101, ban.Code)
	require.Greater(t, ban.Expire, 59*time.Minute)
	require.Eventually(t, func() bool { return !d.State().LoggedIn }, s.h.Wait, 10*time.Millisecond)

	require.ErrorIs(t, d.Connect(t.Context()), whatsapp.ErrConnect, "no login while banned")
	WaitN[whatsapp.TemporaryBan](t, r, s.h.Wait, 2, nil)
	require.False(t, d.State().LoggedIn)
}

// A second connection of the same session (another process, a newer lease) replaces the first:
// the first hears StreamReplaced and can no longer send.
func (s *suite) testStreamReplaced(t *testing.T) {
	c1, ref, d1, r1 := s.connected(t)
	c2 := c1
	if s.h.Peer != nil {
		c2 = s.h.Peer(t, c1)
	}
	ref2 := ref
	ref2.Fence++
	d2, r2 := s.open(t, c2, ref2)
	require.NoError(t, d2.Connect(t.Context()))
	Wait[whatsapp.Connected](t, r2, s.h.Wait, nil)

	Wait[whatsapp.StreamReplaced](t, r1, s.h.Wait, nil)
	require.Eventually(t, func() bool { return !d1.State().LoggedIn }, s.h.Wait, 10*time.Millisecond)
	_, err := d1.Send(t.Context(), text(whatsapp.UserJID(Phone()), "old holder"))
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	_, err = d2.Send(t.Context(), text(whatsapp.UserJID(Phone()), "new holder"))
	require.NoError(t, err)
	require.Zero(t, Count[whatsapp.StreamReplaced](r2, nil))
}

func (s *suite) testDisconnectReconnect(t *testing.T) {
	_, _, d, r := s.connected(t)
	d.Disconnect()
	st := d.State()
	require.False(t, st.Connected)
	require.False(t, st.LoggedIn)
	_, err := d.Send(t.Context(), text(whatsapp.UserJID(Phone()), "down"))
	require.ErrorIs(t, err, whatsapp.ErrNotConnected)
	require.Zero(t, Count[whatsapp.Disconnected](r, nil), "no Disconnected event for one's own disconnect")

	require.NoError(t, d.Connect(t.Context()))
	WaitN[whatsapp.Connected](t, r, s.h.Wait, 2, nil)
	require.True(t, d.State().LoggedIn)
	require.NoError(t, d.Connect(t.Context()), "connect while connected is a no-op")
	_, err = d.Send(t.Context(), text(whatsapp.UserJID(Phone()), "up again"))
	require.NoError(t, err)
	require.False(t, d.State().LastActivity.IsZero())
}

func (s *suite) testNetworkDrop(t *testing.T) {
	need(t, s.h.NetworkDown != nil, "NetworkDown")
	c, _, d, r := s.connected(t)
	s.h.NetworkDown(t, c)
	Wait[whatsapp.Disconnected](t, r, s.h.Wait, nil)
	require.False(t, d.State().LoggedIn)
	require.ErrorIs(t, d.Connect(t.Context()), whatsapp.ErrConnect)
}
