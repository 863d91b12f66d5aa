package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/browsertest"
	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/proctest"
	"github.com/wagate/wagate/internal/session"
	"github.com/wagate/wagate/internal/whatsapp/simulator"
)

// TestSessions_FailoverSeenLive: a browser on the surviving instance sees the takeover live. Two
// `wagate serve` processes (every role); the session is held by the first; a chromium page shows it on
// the second one's portal; kill -9 of the holder, and the page, never reloaded, shows the session
// connected again under the other holder.
func TestSessions_FailoverSeenLive(t *testing.T) {
	dbURL := dbtest.URL(t)
	redisURL := dbtest.RedisURL(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	defer pool.Close()
	opt, err := redis.ParseURL(redisURL)
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	conn := simulator.NewConnector(pool, simulator.DefaultOptions())
	svc := session.NewService(pool, conn, cluster.NewPubSub(rdb), nil)

	// Only the first instance runs while the session is created and connected: it holds it.
	first := proctest.Start(t, proctest.Opts{DatabaseURL: dbURL, RedisURL: redisURL})
	bctx := browsertest.New(t, 3*time.Minute)
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(bctx, actions...))
	}
	run(chromedp.Navigate(first.URL+"/signup"),
		chromedp.SendKeys(css(`input[name="company"]`), "Failover Bakery"),
		chromedp.SendKeys(css(`input[name="name"]`), "Fay Owner"),
		chromedp.SendKeys(css(`input[name="email"]`), "fay@failover.example"),
		chromedp.SendKeys(css(`input[name="password"]`), "owner password 1"),
		chromedp.Submit(css(`[data-testid="signup-form"]`)),
		chromedp.WaitVisible(browsertest.TestID("nav-sessions")),
		chromedp.Navigate(first.URL+"/app/sessions"),
		chromedp.SendKeys(browsertest.TestID("session-name-input"), "Front desk"),
		chromedp.Submit(browsertest.TestID("session-form")),
		chromedp.WaitVisible(browsertest.TestID("pair-qr")))
	loc, err := chromedp.Run(bctx, chromedp.Location())
	require.NoError(t, err)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(u.Path, "/app/sessions/"), loc)
	id := uuid.MustParse(strings.TrimPrefix(u.Path, "/app/sessions/"))

	// Paired earlier: the simulator links a device for it; then the tenant asks to connect.
	var tenantID uuid.UUID
	require.NoError(t, pool.QueryRow(ctx, "SELECT tenant_id FROM wa_sessions WHERE id = $1", id).Scan(&tenantID))
	jid, err := conn.Provision(ctx, id, "4915100002222")
	require.NoError(t, err)
	_, err = pool.Exec(ctx, "UPDATE wa_sessions SET device_jid = $1, phone = $2 WHERE id = $3", jid.String(), jid.User, id)
	require.NoError(t, err)
	_, err = svc.Reconnect(ctx, tenantID, id)
	require.NoError(t, err)
	var dead uuid.UUID
	require.Eventually(t, func() bool {
		s, err := svc.Get(ctx, tenantID, id)
		require.NoError(t, err)
		if s.Status != session.StatusConnected || s.Holder == nil {
			return false
		}
		dead = *s.Holder
		return true
	}, 30*time.Second, 100*time.Millisecond, "the first instance connects the session")

	// The second instance starts; the held session stays where it is. The browser (the same login:
	// cookies do not tell ports apart) opens the session's page on the second instance.
	second := proctest.Start(t, proctest.Opts{DatabaseURL: dbURL, RedisURL: redisURL})
	run(chromedp.Navigate(second.URL+"/app/sessions/"+id.String()),
		chromedp.WaitVisible(css(`[data-testid="session-status"][data-status="connected"]`)),
		chromedp.WaitVisible(css(`[data-testid="session-holder"] code[title="`+dead.String()+`"]`)),
		// Mark the document (a page load would lose the mark) and record every status the page shows.
		chromedp.Evaluate[chromedp.Void](`window.__noReload = true; window.__seen = [];
			new MutationObserver(() => {
				const el = document.querySelector('[data-testid="session-status"]');
				const h = document.querySelector('[data-testid="session-holder"] code');
				const v = (el ? el.dataset.status : '') + '@' + (h ? h.title : '');
				if (window.__seen[window.__seen.length - 1] !== v) window.__seen.push(v);
			}).observe(document.body, {subtree: true, childList: true, attributes: true});`))
	s, err := svc.Get(ctx, tenantID, id)
	require.NoError(t, err)
	require.Equal(t, dead, *s.Holder, "a held session does not move to the new instance")
	browsertest.Screenshot(t, bctx, "failover-before")

	first.Kill()
	killed := time.Now()
	run(chromedp.Poll[chromedp.Void](`(() => {
		const el = document.querySelector('[data-testid="session-status"]');
		const h = document.querySelector('[data-testid="session-holder"] code');
		return !!el && el.dataset.status === 'connected' && !!h && h.title !== '' && h.title !== '`+dead.String()+`';
	})()`, chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(45*time.Second)))
	t.Logf("the page showed the takeover %s after kill -9", time.Since(killed).Round(100*time.Millisecond))
	same, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.__noReload === true`))
	require.NoError(t, err)
	require.True(t, same, "the page showed the takeover without a page load")
	seen, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`window.__seen`))
	require.NoError(t, err)
	t.Logf("statuses the page showed: %v", seen)
	browsertest.Screenshot(t, bctx, "failover-after")

	s, err = svc.Get(ctx, tenantID, id)
	require.NoError(t, err)
	require.Equal(t, session.StatusConnected, s.Status)
	require.NotNil(t, s.Holder)
	require.NotEqual(t, dead, *s.Holder, "the survivor holds it now")
}
