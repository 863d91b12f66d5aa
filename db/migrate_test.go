package db_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/db"
	"github.com/wagate/wagate/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestMigrate(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	t.Run("ConcurrentStartsAreSafe", func(t *testing.T) {
		t.Parallel()
		url := dbtest.EmptyURL(t)
		ctx := context.Background()
		// Five instances starting at once: goose's session lock lets one migrate; the others wait and
		// find nothing to do. Without the lock they race on CREATE TABLE and some fail.
		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = db.Migrate(ctx, url, quiet) }()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		defer conn.Close(ctx)
		var applied int
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied))
		files, err := fs.ReadDir(db.Migrations(), ".")
		require.NoError(t, err)
		require.Equal(t, len(files), applied, "each migration applied exactly once")
	})

	t.Run("EnsureDatabaseCreatesIt", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		url := dbtest.EmptyURL(t)
		admin, err := pgx.Connect(ctx, dbtest.AdminURL())
		require.NoError(t, err)
		defer admin.Close(ctx)
		cfg, err := pgx.ParseConfig(url)
		require.NoError(t, err)
		_, err = admin.Exec(ctx, "DROP DATABASE "+cfg.Database)
		require.NoError(t, err)

		require.NoError(t, db.EnsureDatabase(ctx, url))
		require.NoError(t, db.EnsureDatabase(ctx, url), "a second call finds it and does nothing")
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		require.NoError(t, conn.Close(ctx))
	})
}
