package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/web/webtest"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

// pacingOff lifts every limit of the default plan (the one new tenants get), so that the figures
// show the system and not the plan: no per-session rate or delay, no daily quota, no API limit.
const pacingOff = `UPDATE plans SET send_rate_per_minute = 1000000, delay_min_ms = 0, delay_max_ms = 0,
	messages_per_day = 100000000, api_requests_per_minute = 10000000, max_sessions = 100 WHERE is_default`

// baselineQueue is a queue no worker serves: the baseline's tasks only have to be enqueued.
const baselineQueue = "bench"

// rig is the real app (webtest: every route, the session host, the worker and the sweeper
// in-process, on the test's own database and Redis database) with one workspace, its connected
// simulator sessions, a key that may send, and beside it the bare Fiber baseline.
type rig struct {
	tb       testing.TB
	ctx      context.Context
	env      *webtest.Env
	tenantID uuid.UUID
	sessions []uuid.UUID
	secret   string
	baseline string // the baseline's POST URL
	sending  bool   // the session host and worker run: accepted messages go out
	client   *http.Client
}

// newRig builds the app with one workspace and n connected sessions.
func newRig(tb testing.TB, n int) *rig { return newRigSending(tb, n, true) }

// newRigSending is newRig; with sending false the app runs no session host and no worker, so the
// sessions are linked but nobody connects them and accepted messages wait in the queue: the accept
// path alone, as the baseline is an insert and an enqueue alone.
func newRigSending(tb testing.TB, n int, sending bool) *rig {
	tb.Helper()
	env := webtest.New(tb, &webtest.Opts{SessionHost: sending, MaxConns: 32, Sim: func(o *simulator.Options) {
		// Receipts as in a demo (1 s and 3 s): their writes are part of the load.
		def := simulator.DefaultOptions()
		o.DeliveredAfter, o.ReadAfter = def.DeliveredAfter, def.ReadAfter
	}})
	ctx := context.Background()
	r := &rig{tb: tb, ctx: ctx, env: env, client: newClient(), sending: sending}
	tb.Cleanup(r.client.CloseIdleConnections)
	_, err := env.Pool.Exec(ctx, pacingOff)
	require.NoError(tb, err)

	u, tn, err := env.Services.Users.Signup(ctx, auth.SignupInput{Company: "Bench Corp", Name: "Bench Owner",
		Email: "bench-owner@example.com", Password: "bench owner password"})
	require.NoError(tb, err)
	owner, err := env.Services.Users.Current(ctx, u.ID)
	require.NoError(tb, err)
	key, err := env.Services.APIKeys.Create(ctx, owner, auth.CreateKeyInput{Name: "bench", Scopes: []string{auth.ScopeSend}})
	require.NoError(tb, err)
	r.tenantID, r.secret = tn.ID, key.Secret
	for i := range n {
		r.sessions = append(r.sessions, r.linkSession(fmt.Sprintf("Bench %d", i+1), fmt.Sprintf("49151000%05d", i+1)))
	}
	r.startBaseline()
	return r
}

// linkSession makes a linked session as message_test's rig does (the simulator's account, the
// session's device, a connect through the session host) and waits until it is connected.
func (r *rig) linkSession(name, phone string) uuid.UUID {
	tb, ctx, env := r.tb, r.ctx, r.env
	tb.Helper()
	s, err := env.Services.Sessions.Create(ctx, r.tenantID, name)
	require.NoError(tb, err)
	jid, err := env.Simulator.Provision(ctx, s.ID, phone)
	require.NoError(tb, err)
	_, err = env.Pool.Exec(ctx, "UPDATE wa_sessions SET device_jid = $1, phone = $2 WHERE id = $3", jid.String(), jid.User, s.ID)
	require.NoError(tb, err)
	_, err = env.Services.Sessions.Reconnect(ctx, r.tenantID, s.ID)
	require.NoError(tb, err)
	if !r.sending {
		return s.ID
	}
	dbtest.WaitFor(tb, 30*time.Second, "session "+name+" connected", func() bool {
		got, err := env.Services.Sessions.Get(ctx, r.tenantID, s.ID)
		require.NoError(tb, err)
		return got.Status == "connected"
	})
	return s.ID
}

// api is POST /api/v1/messages: a text to one of 9,999 valid US numbers, from the sessions in
// turn, with the key, without an Idempotency-Key. Recipients vary so that per-recipient ordering
// does not serialise the sends; none ends in 0000, which the simulator treats as not on WhatsApp.
func (r *rig) api() target {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+r.secret)
	h.Set("Content-Type", "application/json")
	sessions := make([]string, len(r.sessions))
	for i, s := range r.sessions {
		sessions[i] = s.String()
	}
	return target{url: r.env.URL() + "/api/v1/messages", header: h, want: http.StatusAccepted, body: func(i int) []byte {
		return fmt.Appendf(nil, `{"session_id":%q,"to":"+1415555%04d","text":"Benchmark message %d"}`,
			sessions[i%len(sessions)], 1+i%9999, i)
	}}
}

// base is the same request to the baseline.
func (r *rig) base() target {
	t := r.api()
	t.url = r.baseline
	return t
}

// startBaseline serves the ceiling the API is compared with: a bare fiber.New() app whose handler
// parses the JSON body, inserts one row and enqueues one Asynq task, on the same Postgres database
// (through a pool of the app's size) and the same Redis database as the app.
func (r *rig) startBaseline() {
	tb, ctx := r.tb, r.ctx
	_, err := r.env.Pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_baseline (id uuid PRIMARY KEY, body jsonb NOT NULL,
		created_at timestamptz NOT NULL DEFAULT now())`)
	require.NoError(tb, err)
	pool, err := pgxpool.NewWithConfig(ctx, r.env.Pool.Config())
	require.NoError(tb, err)
	opt, err := asynq.ParseRedisURI(r.env.RedisURL())
	require.NoError(tb, err)
	client := asynq.NewClient(opt)
	type body struct {
		SessionID uuid.UUID `json:"session_id"`
		To        string    `json:"to"`
		Text      string    `json:"text"`
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/send", func(c *fiber.Ctx) error {
		var in body
		if err := c.BodyParser(&in); err != nil || in.To == "" || in.SessionID == uuid.Nil {
			return c.SendStatus(fiber.StatusUnprocessableEntity)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		if _, err := pool.Exec(ctx, "INSERT INTO bench_baseline (id, body) VALUES ($1, $2)", id, c.Body()); err != nil {
			return err
		}
		task := asynq.NewTask("bench:baseline", id[:], asynq.TaskID(id.String()), asynq.Queue(baselineQueue))
		if _, err := client.EnqueueContext(ctx, task); err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"id": id})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	go func() { _ = app.Listener(ln) }()
	tb.Cleanup(func() {
		_ = app.Shutdown()
		_ = client.Close()
		pool.Close()
	})
	r.baseline = "http://" + ln.Addr().String() + "/send"
}

// warmUp opens the client's connections and fills both servers' caches (the key, the plan, Huma's
// and pgx's prepared statements), then waits until the warm-up messages are sent.
func (r *rig) warmUp(conns int) {
	r.tb.Helper()
	for _, t := range []target{r.base(), r.api()} {
		var o outcome
		s, d := closedLoop(r.client, t, 4*conns, conns)
		o.add(s, d, t.want)
		o.requireClean(r.tb, "warm-up of "+t.url)
	}
	r.settle(time.Minute)
}

// counts are the workspace's outbound messages by where they are.
type counts struct {
	pending, sent, read, failed int
	example                     string // a failure's code and reason
}

func (r *rig) counts() counts {
	r.tb.Helper()
	var c counts
	err := r.env.Pool.QueryRow(r.ctx, `SELECT
			count(*) FILTER (WHERE status IN ('scheduled', 'queued', 'sending')),
			count(*) FILTER (WHERE status IN ('sent', 'delivered', 'read')),
			count(*) FILTER (WHERE status = 'read'),
			count(*) FILTER (WHERE status IN ('failed', 'canceled', 'expired')),
			coalesce(max(status || ' ' || error_code || ': ' || error_reason) FILTER (WHERE status IN ('failed', 'canceled', 'expired')), '')
		FROM messages WHERE tenant_id = $1 AND direction = 'out'`, r.tenantID).
		Scan(&c.pending, &c.sent, &c.read, &c.failed, &c.example)
	require.NoError(r.tb, err)
	return c
}

// settle waits until nothing is left to send, so one run's sends do not load the next, and fails
// when any message failed: the figures are only worth something if every message went out.
func (r *rig) settle(timeout time.Duration) {
	r.tb.Helper()
	if !r.sending {
		return
	}
	dbtest.WaitFor(r.tb, timeout, "every accepted message sent", func() bool {
		c := r.counts()
		if c.failed > 0 {
			r.tb.Fatalf("%d messages did not go out, e.g. %s", c.failed, c.example)
		}
		return c.pending == 0
	})
}

// cpuTime is the CPU time (user + system) this process has used so far: the app, its worker, the
// session host, the simulator and the load generator together, as they all run in it.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	require.NoError(tb, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lastTimes returns when the last of the workspace's outbound messages was sent and when the last
// was read, as Postgres recorded them (the same clock as time.Now: one machine).
func (r *rig) lastTimes() (sent, read time.Time) {
	r.tb.Helper()
	err := r.env.Pool.QueryRow(r.ctx, `SELECT coalesce(max(sent_at), 'epoch'), coalesce(max(read_at), 'epoch')
		FROM messages WHERE tenant_id = $1 AND direction = 'out'`, r.tenantID).Scan(&sent, &read)
	require.NoError(r.tb, err)
	return sent, read
}
