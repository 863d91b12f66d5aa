package message_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/web/webtest"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type rig struct {
	t        *testing.T
	ctx      context.Context
	env      *webtest.Env
	svc      *message.Service
	tenantID uuid.UUID
	session  uuid.UUID
}

// newRig: the app with a session host, worker and sweeper, and a tenant whose session is paired and
// connected on the simulator (receipts after 100 ms and 200 ms).
func newRig(t *testing.T, live bool) *rig {
	t.Helper()
	env := webtest.New(t, &webtest.Opts{SessionHost: live, Sim: func(o *simulator.Options) {
		o.DeliveredAfter, o.ReadAfter = 100*time.Millisecond, 200*time.Millisecond
	}})
	ctx := context.Background()
	r := &rig{t: t, ctx: ctx, env: env, svc: env.Services.Messages}
	r.tenantID, r.session = r.pairedSession("Acme", "4915100003333")
	if live {
		dbtest.WaitFor(t, 20*time.Second, "session connected", func() bool {
			s, err := env.Services.Sessions.Get(ctx, r.tenantID, r.session)
			require.NoError(t, err)
			return s.Status == "connected"
		})
	}
	return r
}

func (r *rig) pairedSession(name, phone string) (uuid.UUID, uuid.UUID) {
	ctx := r.ctx
	tn, err := tenant.Create(ctx, store.New(r.env.Pool), tenant.CreateInput{Name: name, Status: "active"})
	require.NoError(r.t, err)
	s, err := r.env.Services.Sessions.Create(ctx, tn.ID, "Main")
	require.NoError(r.t, err)
	jid, err := r.env.Simulator.Provision(ctx, s.ID, phone)
	require.NoError(r.t, err)
	_, err = r.env.Pool.Exec(ctx, "UPDATE wa_sessions SET device_jid = $1, phone = $2 WHERE id = $3", jid.String(), jid.User, s.ID)
	require.NoError(r.t, err)
	_, err = r.env.Services.Sessions.Reconnect(ctx, tn.ID, s.ID)
	require.NoError(r.t, err)
	return tn.ID, s.ID
}

func (r *rig) send(req message.SendRequest) (message.Accepted, error) {
	if req.SessionID == uuid.Nil {
		req.SessionID = r.session
	}
	return r.svc.Send(r.ctx, r.tenantID, req, nil)
}

func (r *rig) waitStatus(id uuid.UUID, want message.Status) message.Message {
	r.t.Helper()
	var m message.Message
	dbtest.WaitFor(r.t, 20*time.Second, "status "+string(want), func() bool {
		var err error
		m, err = r.svc.Get(r.ctx, r.tenantID, id)
		require.NoError(r.t, err)
		return m.Status == want
	})
	return m
}

func fieldErr(t *testing.T, err error, field string) string {
	t.Helper()
	var ve *validate.Errors
	require.True(t, errors.As(err, &ve), "want a validation error, got %v", err)
	msg, ok := ve.Fields[field]
	require.True(t, ok, "want an error on %q, got %v", field, ve.Fields)
	return msg
}

func TestSend_TextGoesOutAndIsRead(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	acc, err := r.send(message.SendRequest{To: "+1 (415) 555-0123", Text: "Hello from Wagate"})
	require.NoError(t, err)
	require.Equal(t, message.StatusQueued, acc.Message.Status)
	require.Equal(t, "+14155550123", acc.Message.Phone)
	require.Equal(t, "14155550123@s.whatsapp.net", acc.Message.Chat)
	m := r.waitStatus(acc.Message.ID, message.StatusRead)
	require.NotNil(t, m.SentAt)
	require.NotNil(t, m.DeliveredAt)
	require.NotNil(t, m.ReadAt)

	steps, err := r.svc.Timeline(r.ctx, r.tenantID, m.ID)
	require.NoError(t, err)
	var seen []message.Status
	for _, s := range steps {
		seen = append(seen, s.Status)
	}
	require.Equal(t, []message.Status{"queued", "sending", "sent", "delivered", "read"}, seen)

	var sent int
	require.NoError(t, r.env.Pool.QueryRow(r.ctx, "SELECT count(*) FROM sim_sent WHERE message_id = $1 AND body = $2",
		m.WAID, "Hello from Wagate").Scan(&sent))
	require.Equal(t, 1, sent, "WhatsApp got it once, with the id fixed at insert")
}

func TestSend_NotOnWhatsAppFailsAtOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	acc, err := r.send(message.SendRequest{To: "+14155550000", Text: "anyone?"})
	require.NoError(t, err)
	m := r.waitStatus(acc.Message.ID, message.StatusFailed)
	require.Equal(t, "not_on_whatsapp", m.ErrorCode)
	require.Equal(t, "The number is not on WhatsApp.", m.ErrorReason)
	require.Equal(t, 1, m.Attempts)
}

func TestSend_ValidationNamesTheField(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	_, err := r.send(message.SendRequest{To: "12", Text: "x"})
	require.Contains(t, fieldErr(t, err, "to"), "Not a valid phone number")
	_, err = r.send(message.SendRequest{To: "+14155550123", Text: "  "})
	fieldErr(t, err, "text")
	_, err = r.send(message.SendRequest{To: "+14155550123", Location: &whatsapp.Location{Latitude: 91}})
	fieldErr(t, err, "location.latitude")

	// Another tenant's session reads exactly like one that does not exist (invariant 2).
	_, other := r.pairedSession("Other", "4915100004444")
	_, errOther := r.send(message.SendRequest{SessionID: other, To: "+14155550123", Text: "x"})
	_, errNone := r.send(message.SendRequest{SessionID: uuid.New(), To: "+14155550123", Text: "x"})
	require.Equal(t, fieldErr(t, errNone, "session_id"), fieldErr(t, errOther, "session_id"))

	var n int
	require.NoError(t, r.env.Pool.QueryRow(r.ctx, "SELECT count(*) FROM messages").Scan(&n))
	require.Zero(t, n, "bad input stores nothing")
}

func TestSend_DailyQuotaAndGiveBack(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	_, err := r.env.Pool.Exec(r.ctx, "UPDATE plans SET messages_per_day = 2 WHERE is_default")
	require.NoError(t, err)
	later := time.Now().Add(time.Hour)
	a, err := r.send(message.SendRequest{To: "+14155550123", Text: "one", SendAt: &later})
	require.NoError(t, err)
	require.Equal(t, message.StatusScheduled, a.Message.Status)
	_, err = r.send(message.SendRequest{To: "+14155550123", Text: "two", SendAt: &later})
	require.NoError(t, err)
	_, err = r.send(message.SendRequest{To: "+14155550123", Text: "three"})
	var qe *message.QuotaError
	require.ErrorAs(t, err, &qe)
	require.Equal(t, 2, qe.Limit)
	require.Greater(t, qe.RetryAfter, time.Duration(0))
	require.LessOrEqual(t, qe.RetryAfter, 24*time.Hour)

	_, err = r.svc.Cancel(r.ctx, r.tenantID, a.Message.ID)
	require.NoError(t, err)
	_, err = r.svc.Cancel(r.ctx, r.tenantID, a.Message.ID)
	require.ErrorIs(t, err, message.ErrNotCancelable)
	_, err = r.send(message.SendRequest{To: "+14155550123", Text: "three, again"})
	require.NoError(t, err, "a canceled message gives its quota back")
}

func TestSend_Idempotency(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	render := func(m message.Message, _ *message.MediaInfo) (int, []byte, error) {
		return 202, []byte(`{"id":"` + m.ID.String() + `"}`), nil
	}
	idem := &message.Idempotency{Key: "k-1", Hash: []byte("hash-a"), Render: render}
	req := message.SendRequest{SessionID: r.session, To: "+14155550123", Text: "once"}
	first, err := r.svc.Send(r.ctx, r.tenantID, req, idem)
	require.NoError(t, err)
	require.Nil(t, first.Replay)
	again, err := r.svc.Send(r.ctx, r.tenantID, req, idem)
	require.NoError(t, err)
	require.NotNil(t, again.Replay)
	require.Equal(t, `{"id":"`+first.Message.ID.String()+`"}`, string(again.Replay.Body))
	_, err = r.svc.Send(r.ctx, r.tenantID, req, &message.Idempotency{Key: "k-1", Hash: []byte("hash-b"), Render: render})
	require.ErrorIs(t, err, message.ErrIdempotencyMismatch)

	// A request that failed validation stores nothing under its key.
	bad := message.SendRequest{SessionID: r.session, To: "nope", Text: "x"}
	_, err = r.svc.Send(r.ctx, r.tenantID, bad, &message.Idempotency{Key: "k-2", Hash: []byte("h"), Render: render})
	fieldErr(t, err, "to")
	_, err = r.svc.Send(r.ctx, r.tenantID, req, &message.Idempotency{Key: "k-2", Hash: []byte("h2"), Render: render})
	require.NoError(t, err)

	var n int
	require.NoError(t, r.env.Pool.QueryRow(r.ctx, "SELECT count(*) FROM messages").Scan(&n))
	require.Equal(t, 2, n)
}

func TestSend_ScheduledIsQueuedWhenDueNeverEarly(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	at := time.Now().Add(2 * time.Second)
	acc, err := r.send(message.SendRequest{To: "+14155550123", Text: "later", SendAt: &at})
	require.NoError(t, err)
	require.Equal(t, message.StatusScheduled, acc.Message.Status)
	m := r.waitStatus(acc.Message.ID, message.StatusRead)
	require.NotNil(t, m.QueuedAt)
	require.False(t, m.QueuedAt.Before(at.Truncate(time.Microsecond)), "queued %s, before send_at %s", m.QueuedAt, at)
	require.Less(t, m.QueuedAt.Sub(at), time.Second, "queued within 1 s of send_at")
	require.False(t, m.SentAt.Before(at.Truncate(time.Microsecond)))
}

func TestInbound_StoredWithEventsAndUpdates(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	waID, err := r.env.Simulator.InjectText(r.ctx, r.session, "4915799998888", "Hi there")
	require.NoError(t, err)
	var in message.Message
	dbtest.WaitFor(t, 10*time.Second, "inbound stored", func() bool {
		p, err := r.svc.List(r.ctx, r.tenantID, message.Filter{Direction: message.DirectionIn})
		require.NoError(t, err)
		if len(p.Messages) == 1 {
			in = p.Messages[0]
		}
		return len(p.Messages) == 1
	})
	require.Equal(t, string(waID), in.WAID)
	require.Equal(t, "Hi there", in.Text)
	require.Equal(t, message.StatusReceived, in.Status)
	require.Equal(t, "+4915799998888", in.Phone)

	chat, err := whatsapp.ParseJID(in.Chat)
	require.NoError(t, err)
	require.NoError(t, r.env.Simulator.Inject(r.ctx, r.session, whatsapp.Reaction{Chat: chat, Sender: chat, Target: waID, Emoji: "👍", Timestamp: time.Now()}))
	require.NoError(t, r.env.Simulator.Inject(r.ctx, r.session, whatsapp.Edited{Chat: chat, Sender: chat, Target: waID, Text: "Hi there!", Timestamp: time.Now()}))
	dbtest.WaitFor(t, 10*time.Second, "reaction and edit applied", func() bool {
		m, err := r.svc.Get(r.ctx, r.tenantID, in.ID)
		require.NoError(t, err)
		return m.Reaction == "👍" && m.Text == "Hi there!" && m.EditedAt != nil
	})
	var events int
	require.NoError(t, r.env.Pool.QueryRow(r.ctx, "SELECT count(*) FROM events WHERE message_id = $1", in.ID).Scan(&events))
	require.Equal(t, 3, events, "received, reaction, edit: one outbox row each")

	// A redelivery (WhatsApp resends what was not acked) is stored once.
	require.NoError(t, r.env.Simulator.Inject(r.ctx, r.session, whatsapp.MessageReceived{Message: whatsapp.Incoming{
		ID: waID, Chat: chat, Sender: chat, Kind: whatsapp.KindText, Text: "Hi there", Timestamp: time.Now()}}))
	time.Sleep(500 * time.Millisecond) // nothing to wait for: the point is that nothing appears
	p, err := r.svc.List(r.ctx, r.tenantID, message.Filter{Direction: message.DirectionIn})
	require.NoError(t, err)
	require.Len(t, p.Messages, 1)
}

func TestList_CursorAndFilters(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	later := time.Now().Add(time.Hour)
	for i := range 25 {
		to := "+14155550123"
		if i%5 == 0 {
			to = "+14155550199"
		}
		_, err := r.send(message.SendRequest{To: to, Text: "x", SendAt: &later})
		require.NoError(t, err)
	}
	seen := map[uuid.UUID]bool{}
	cursor := ""
	pages := 0
	for {
		p, err := r.svc.List(r.ctx, r.tenantID, message.Filter{Limit: 10, Cursor: cursor})
		require.NoError(t, err)
		pages++
		for _, m := range p.Messages {
			require.False(t, seen[m.ID], "no duplicates across pages")
			seen[m.ID] = true
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	require.Len(t, seen, 25)
	require.Equal(t, 3, pages)
	// A number without country code is read with the tenant's default country (US).
	p, err := r.svc.List(r.ctx, r.tenantID, message.Filter{Phone: "(415) 555-0199"})
	require.NoError(t, err)
	require.Len(t, p.Messages, 5)
	_, err = r.svc.List(r.ctx, r.tenantID, message.Filter{Status: "lost"})
	fieldErr(t, err, "status")
	p, err = r.svc.List(r.ctx, r.tenantID, message.Filter{Status: message.StatusScheduled, Direction: message.DirectionOut})
	require.NoError(t, err)
	require.Len(t, p.Messages, 25)
}

func TestInbound_MediaFetchedAfterTheAck(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	m, err := r.env.Simulator.StoreMedia(r.ctx, r.session, "image/png", "photo.png", png)
	require.NoError(t, err)
	from := whatsapp.UserJID("4915799997777")
	require.NoError(t, r.env.Simulator.Inject(r.ctx, r.session, whatsapp.MessageReceived{Message: whatsapp.Incoming{
		ID: whatsapp.NewMessageID(), Chat: from, Sender: from, Kind: whatsapp.KindImage, Text: "look", Media: m, Timestamp: time.Now()}}))
	var in message.Message
	dbtest.WaitFor(t, 10*time.Second, "inbound image stored", func() bool {
		p, err := r.svc.List(r.ctx, r.tenantID, message.Filter{Direction: message.DirectionIn})
		require.NoError(t, err)
		if len(p.Messages) == 1 {
			in = p.Messages[0]
		}
		return len(p.Messages) == 1
	})
	require.Equal(t, whatsapp.KindImage, in.Kind)
	require.NotNil(t, in.MediaID)
	dbtest.WaitFor(t, 10*time.Second, "the image's bytes fetched", func() bool {
		md, err := r.env.Services.Media.Get(r.ctx, r.tenantID, *in.MediaID)
		require.NoError(t, err)
		return md.State == "stored" && md.Size == int64(len(png))
	})
	rc, _, err := r.env.Services.Media.Open(r.ctx, r.tenantID, *in.MediaID)
	require.NoError(t, err)
	defer rc.Close()
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, png, got)
}

func TestSend_ExpiresWhileTheSessionIsDownAndGivesQuotaBack(t *testing.T) {
	t.Parallel()
	env := webtest.New(t, &webtest.Opts{SessionHost: true, Messaging: func(c *message.SystemConfig) {
		c.Service.Expiry = 2 * time.Second
	}})
	r := &rig{t: t, ctx: context.Background(), env: env, svc: env.Services.Messages}
	r.tenantID, r.session = r.pairedSession("Acme", "4915100005555")
	dbtest.WaitFor(t, 20*time.Second, "session connected", func() bool {
		s, err := env.Services.Sessions.Get(r.ctx, r.tenantID, r.session)
		require.NoError(t, err)
		return s.Status == "connected"
	})
	require.NoError(t, env.Simulator.Inject(r.ctx, r.session, whatsapp.TemporaryBan{Code: 101, Expire: time.Hour}))
	dbtest.WaitFor(t, 20*time.Second, "session banned", func() bool {
		s, err := env.Services.Sessions.Get(r.ctx, r.tenantID, r.session)
		require.NoError(t, err)
		return s.Status == "banned"
	})
	acc, err := r.send(message.SendRequest{To: "+14155550123", Text: "will not make it"})
	require.NoError(t, err)
	m := r.waitStatus(acc.Message.ID, message.StatusExpired)
	require.Equal(t, "expired", m.ErrorCode)
	var used int
	require.NoError(t, env.Pool.QueryRow(r.ctx, "SELECT coalesce(sum(messages), 0) FROM tenant_daily_usage WHERE tenant_id = $1",
		r.tenantID).Scan(&used))
	require.Zero(t, used, "an expired message gives its quota back")
	var sent int
	require.NoError(t, env.Pool.QueryRow(r.ctx, "SELECT count(*) FROM sim_sent WHERE message_id = $1", m.WAID).Scan(&sent))
	require.Zero(t, sent)
}

func TestRetryMessage_AnsweredFromPostgres(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	acc, err := r.send(message.SendRequest{To: "+14155550123", Text: "decrypt me"})
	require.NoError(t, err)
	m := r.waitStatus(acc.Message.ID, message.StatusRead)
	ref := whatsapp.SessionRef{ID: r.session, TenantID: r.tenantID}
	out, err := r.env.Messaging.RetryMessage(r.ctx, ref, whatsapp.UserJID("14155550123"), whatsapp.MessageID(m.WAID))
	require.NoError(t, err)
	require.NotNil(t, out)
	require.Equal(t, whatsapp.MessageID(m.WAID), out.ID)
	require.Equal(t, "decrypt me", out.Text)
	require.Equal(t, "14155550123@s.whatsapp.net", out.To.String())

	unknown, err := r.env.Messaging.RetryMessage(r.ctx, ref, whatsapp.UserJID("14155550123"), "3EB0UNKNOWN")
	require.NoError(t, err)
	require.Nil(t, unknown)
	other, err := r.env.Messaging.RetryMessage(r.ctx, whatsapp.SessionRef{ID: r.session, TenantID: uuid.New()},
		whatsapp.UserJID("14155550123"), whatsapp.MessageID(m.WAID))
	require.NoError(t, err)
	require.Nil(t, other, "another tenant's session finds nothing")
}

func TestSend_DailyQuotaIsExactUnderConcurrency(t *testing.T) {
	t.Parallel()
	r := newRig(t, false)
	_, err := r.env.Pool.Exec(r.ctx, "UPDATE plans SET messages_per_day = 30 WHERE is_default")
	require.NoError(t, err)
	later := time.Now().Add(time.Hour)
	var accepted, refused atomic.Int64
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			for range 5 {
				_, err := r.send(message.SendRequest{To: "+14155550123", Text: "x", SendAt: &later})
				var qe *message.QuotaError
				switch {
				case err == nil:
					accepted.Add(1)
				case errors.As(err, &qe):
					refused.Add(1)
				default:
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 30, accepted.Load(), "exactly the day's quota is accepted")
	require.EqualValues(t, 30, refused.Load())
	var rows int
	require.NoError(t, r.env.Pool.QueryRow(r.ctx, "SELECT count(*) FROM messages").Scan(&rows))
	require.Equal(t, 30, rows, "a refused message leaves nothing behind")
}

func TestInbound_PendingMediaIsFetchedLater(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	data := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	im, err := r.env.Simulator.StoreMedia(r.ctx, r.session, "application/pdf", "invoice.pdf", data)
	require.NoError(t, err)
	// A holder stored the message and its pending file, then died before fetching the bytes.
	var mediaID uuid.UUID
	require.NoError(t, store.WithTx(r.ctx, r.env.Pool, func(q *store.Queries) error {
		var err error
		mediaID, err = media.InsertPending(r.ctx, q, r.tenantID, r.session, im.MIME, im.FileName, im.Size, im.Handle)
		return err
	}))
	dbtest.WaitFor(t, 15*time.Second, "the left-over file fetched", func() bool {
		md, err := r.env.Services.Media.Get(r.ctx, r.tenantID, mediaID)
		require.NoError(t, err)
		return md.State == "stored" && md.Size == int64(len(data))
	})
}
