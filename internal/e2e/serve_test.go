package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/proctest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestServe_TwoInstancesShareOneDatabase starts two instances at the same moment on an empty
// database: both migrate under goose's lock, both register, both serve; SIGTERM stops one
// gracefully and removes its registration while the other keeps serving.
func TestServe_TwoInstancesShareOneDatabase(t *testing.T) {
	dbURL := dbtest.EmptyURL(t)
	redisURL := dbtest.RedisURL(t)

	var wg sync.WaitGroup
	procs := make([]*proctest.Proc, 2)
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs[i] = proctest.Start(t, proctest.Opts{DatabaseURL: dbURL, RedisURL: redisURL})
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())

	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	defer pool.Close()
	live, err := cluster.Live(ctx, pool)
	require.NoError(t, err)
	require.Len(t, live, 2)
	require.Equal(t, []string{"http", "worker", "host"}, live[0].Roles)

	for _, p := range procs {
		resp, err := http.Get(p.URL + "/")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}

	require.NoError(t, procs[0].Stop(25*time.Second), "SIGTERM ends the process with status 0")
	require.Contains(t, procs[0].Output(), `"msg":"stopped"`)
	live, err = cluster.Live(ctx, pool)
	require.NoError(t, err)
	require.Len(t, live, 1, "the stopped instance removed its row")

	resp, err := http.Get(procs[1].URL + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestServe_LogsAreJSONWithRequestID(t *testing.T) {
	p := proctest.Start(t, proctest.Opts{DatabaseURL: dbtest.URL(t), RedisURL: dbtest.RedisURL(t)})
	req, err := http.NewRequest(http.MethodGet, p.URL+"/missing-page", nil)
	require.NoError(t, err)
	req.Header.Set("X-Request-ID", "trace-abcdef123")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	dbtest.WaitFor(t, 5*time.Second, "the access log line", func() bool {
		return strings.Contains(p.Output(), "trace-abcdef123")
	})
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(p.Output()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "every log line is JSON: %s", line)
		if rec["request_id"] == "trace-abcdef123" {
			found = true
			require.Equal(t, "http request", rec["msg"])
			require.Equal(t, float64(404), rec["status"])
			require.Equal(t, "/missing-page", rec["path"])
		}
	}
	require.True(t, found)
}

func TestServe_RolesSubset(t *testing.T) {
	dbURL := dbtest.URL(t)
	p := proctest.Start(t, proctest.Opts{DatabaseURL: dbURL, RedisURL: dbtest.RedisURL(t), Roles: "worker,host"})
	_, err := http.Get(p.URL + "/healthz")
	require.Error(t, err, "no HTTP listener without the http role")

	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	defer pool.Close()
	live, err := cluster.Live(ctx, pool)
	require.NoError(t, err)
	require.Len(t, live, 1)
	require.Equal(t, []string{"worker", "host"}, live[0].Roles)
	require.NoError(t, p.Stop(25*time.Second))
}

func TestCommands(t *testing.T) {
	t.Run("ServeRefusesWithoutSecretKey", func(t *testing.T) {
		out, code := proctest.Run(t, map[string]string{"WA_DRIVER": "carrier-pigeon"}, "serve")
		require.Equal(t, 2, code)
		// Every problem at once, not the first only.
		require.Contains(t, out, "SECRET_KEY is required")
		require.Contains(t, out, "DATABASE_URL is required")
		require.Contains(t, out, "REDIS_URL is required")
		require.Contains(t, out, `WA_DRIVER must be one of whatsmeow, simulator, got "carrier-pigeon"`)
	})
	t.Run("UnknownRole", func(t *testing.T) {
		out, code := proctest.Run(t, nil, "serve", "--roles", "http,janitor")
		require.Equal(t, 2, code)
		require.Contains(t, out, `unknown role "janitor"`)
	})
	t.Run("Version", func(t *testing.T) {
		out, code := proctest.Run(t, nil, "version")
		require.Equal(t, 0, code)
		require.True(t, strings.HasPrefix(out, "wagate proctest ("), out)
	})
	t.Run("AdminCreate", func(t *testing.T) {
		url := dbtest.EmptyURL(t) // admin create migrates first, so it works on a new database
		env := map[string]string{"DATABASE_URL": url, "WAGATE_ADMIN_PASSWORD": "operator password 1", "INSECURE_FAST_PASSWORD_HASH": "true"}
		out, code := proctest.Run(t, env, "admin", "create", "--email", "Root@Example.com", "--name", "Root")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "operator root@example.com created")
		out, code = proctest.Run(t, env, "admin", "create", "--email", "root@example.com")
		require.Equal(t, 1, code, "the same email twice is refused")
		require.Contains(t, out, "exists already")
		env["WAGATE_ADMIN_PASSWORD"] = "short"
		out, code = proctest.Run(t, env, "admin", "create", "--email", "two@example.com")
		require.Equal(t, 1, code)
		require.Contains(t, out, "password: Use at least 10 characters.")
		out, code = proctest.Run(t, env, "admin", "create")
		require.Equal(t, 2, code)
		require.Contains(t, out, "admin create needs --email")

		ctx := context.Background()
		pool, err := pgxpool.New(ctx, url)
		require.NoError(t, err)
		defer pool.Close()
		var email, name string
		require.NoError(t, pool.QueryRow(ctx, "SELECT email, name FROM operators").Scan(&email, &name))
		require.Equal(t, "root@example.com", email)
		require.Equal(t, "Root", name)
	})
	t.Run("Migrate", func(t *testing.T) {
		url := dbtest.EmptyURL(t)
		out, code := proctest.Run(t, map[string]string{"DATABASE_URL": url}, "migrate")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, `"msg":"schema is current"`)
		out, code = proctest.Run(t, map[string]string{"DATABASE_URL": url}, "migrate")
		require.Equal(t, 0, code, out)
		require.NotContains(t, out, `"msg":"migration applied"`, "a second run has nothing to do")
	})
}
