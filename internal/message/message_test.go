package message_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/delivery"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/whatsapp"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
	"github.com/wagate/wagate/internal/worker"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// rig is the message service alone, as the HTTP role builds it, on the test's own database and
// Redis: no web app, no worker and no session host, so accepted messages stay queued. Getting them
// out is internal/delivery's, tested there.
type rig struct {
	t        *testing.T
	ctx      context.Context
	pool     *pgxpool.Pool
	sessions *session.Service
	svc      *message.Service
	tenantID uuid.UUID
	session  uuid.UUID
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st, err := media.NewLocal(media.LocalConfig{Dir: t.TempDir(), BaseURL: "http://localhost", Keys: secret.New([]byte(strings.Repeat("k", 32)))})
	require.NoError(t, err)
	deps, rdb := newDeps(t, pool, message.MediaStore(media.NewService(pool, st, media.Config{})))
	r := &rig{t: t, ctx: ctx, pool: pool, svc: message.NewService(pool, deps, message.Config{}, nil),
		sessions: session.NewService(pool, simulator.NewConnector(pool, simulator.DefaultOptions()), cluster.NewPubSub(rdb), nil)}
	r.tenantID, r.session = r.pairedSession("Acme", "4915100003333")
	return r
}

// newDeps are the message service's collaborators as the HTTP role has them, on the test binary's
// Redis: the Asynq enqueuer, the router (this process holds no session, so it asks holders over
// Redis), the pacer, no metrics; md is the media store.
func newDeps(t *testing.T, db store.DB, md message.Media) (message.Deps, *redis.Client) {
	t.Helper()
	redisURL := dbtest.RedisURL(t)
	opt, err := redis.ParseURL(redisURL)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	enq, err := worker.NewEnqueuer(redisURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = enq.Close() })
	self := uuid.New()
	return message.Deps{Enqueuer: enq, Media: md, Holders: delivery.NewRouter(self, nil, cluster.RPCFactory(rdb, 4, nil)(self), db),
		Pacer: ratelimit.NewPacer(rdb), Observer: message.NoObserver}, rdb
}

// pairedSession makes a tenant with a session linked to phone's account (nobody holds it).
func (r *rig) pairedSession(name, phone string) (uuid.UUID, uuid.UUID) {
	tn, err := tenant.Create(r.ctx, store.New(r.pool), tenant.CreateInput{Name: name, Status: "active"})
	require.NoError(r.t, err)
	s, err := r.sessions.Create(r.ctx, tn.ID, "Main")
	require.NoError(r.t, err)
	_, err = r.pool.Exec(r.ctx, "UPDATE wa_sessions SET device_jid = $1, phone = $2 WHERE id = $3",
		whatsapp.UserJID(phone).String(), phone, s.ID)
	require.NoError(r.t, err)
	return tn.ID, s.ID
}

func (r *rig) send(req message.SendRequest) (message.Accepted, error) {
	if req.SessionID == uuid.Nil {
		req.SessionID = r.session
	}
	return r.svc.Send(r.ctx, r.tenantID, req, nil)
}

func fieldErr(t *testing.T, err error, field string) string {
	t.Helper()
	var ve *validate.Errors
	require.True(t, errors.As(err, &ve), "want a validation error, got %v", err)
	msg, ok := ve.Fields[field]
	require.True(t, ok, "want an error on %q, got %v", field, ve.Fields)
	return msg
}

func TestSend_ValidationNamesTheField(t *testing.T) {
	t.Parallel()
	r := newRig(t)
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
	require.NoError(t, r.pool.QueryRow(r.ctx, "SELECT count(*) FROM messages").Scan(&n))
	require.Zero(t, n, "bad input stores nothing")
}

func TestSend_DailyQuotaAndGiveBack(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	_, err := r.pool.Exec(r.ctx, "UPDATE plans SET messages_per_day = 2 WHERE is_default")
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
	r := newRig(t)
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
	require.NoError(t, r.pool.QueryRow(r.ctx, "SELECT count(*) FROM messages").Scan(&n))
	require.Equal(t, 2, n)
}

func TestList_CursorAndFilters(t *testing.T) {
	t.Parallel()
	r := newRig(t)
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

func TestSend_DailyQuotaIsExactUnderConcurrency(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	_, err := r.pool.Exec(r.ctx, "UPDATE plans SET messages_per_day = 30 WHERE is_default")
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
	require.NoError(t, r.pool.QueryRow(r.ctx, "SELECT count(*) FROM messages").Scan(&rows))
	require.Equal(t, 30, rows, "a refused message leaves nothing behind")
}
