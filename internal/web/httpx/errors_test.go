package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestProblemFor_PostgresRefusesConnections (issue 10): "too many clients" from Postgres answers
// 503 with Retry-After, never a 500. The error is Postgres's own: a role whose connection limit is
// reached (0) gets the same SQLSTATE 53300 as a server out of connections.
func TestProblemFor_PostgresRefusesConnections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	role := "wagate_full_" + uuid.NewString()[:8]
	_, err := pool.Exec(ctx, fmt.Sprintf(`CREATE ROLE %s LOGIN CONNECTION LIMIT 0`, role))
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP ROLE "+role) })

	u, err := url.Parse(pool.Config().ConnString())
	require.NoError(t, err)
	u.User = url.User(role)
	_, cerr := pgx.Connect(ctx, u.String())
	require.Error(t, cerr)

	p := ProblemFor(ctx, slog.New(slog.DiscardHandler), fmt.Errorf("list sessions: %w", cerr))
	require.Equal(t, 503, p.Status, "Postgres out of connections: %v", cerr)
	require.Equal(t, 5*time.Second, p.RetryAfter)

	p = ProblemFor(ctx, slog.New(slog.DiscardHandler), errors.New("something else"))
	require.Equal(t, 500, p.Status)
}
