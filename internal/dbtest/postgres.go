// Package dbtest gives tests the real services they need: a Postgres database of their own, cloned in
// milliseconds from a template migrated once per run, and Redis (a private redis-server per test
// binary). When a service cannot be reached the test fails, naming the command that starts it:
// a suite that silently skips proves nothing. Test-only; never imported by production code.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wagate/wagate/db"
)

// DefaultAdminURL is used when neither TEST_DATABASE_URL nor DATABASE_URL is set.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

const startPostgres = "start it with `scripts/ensure-services .run/services.env` (or `make test`, which does), " +
	"or set TEST_DATABASE_URL to a server where this role may CREATE DATABASE"

// AdminURL is the server tests create their databases on: TEST_DATABASE_URL, else DATABASE_URL with its
// database swapped for "postgres", else DefaultAdminURL.
func AdminURL() string {
	if v := os.Getenv("TEST_DATABASE_URL"); v != "" {
		return v
	}
	if v := os.Getenv("DATABASE_URL"); v != "" {
		return withDatabase(v, "postgres")
	}
	return DefaultAdminURL
}

func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// template returns the name of a database migrated to the current schema. Its name carries a hash of
// the migrations, so a changed migration gets a new template and a stale one is never reused. Test
// binaries run in parallel processes, so creation is serialised by an advisory lock.
func template(ctx context.Context) (string, error) {
	templateOnce.Do(func() {
		templateName, templateErr = buildTemplate(ctx)
	})
	return templateName, templateErr
}

func buildTemplate(ctx context.Context) (string, error) {
	name, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name = "wagate_tmpl_" + name
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", fmt.Errorf("connect to Postgres at %s: %w\n%s", redact(AdminURL()), err, startPostgres)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(7001)"); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	defer admin.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7001)") //nolint:errcheck
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look for template: %w", err)
	}
	if exists {
		return name, nil
	}
	// Build under a scratch name and rename at the end, so a run killed half-way leaves no template
	// that looks complete.
	scratch := name + "_building"
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+scratch+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("drop scratch template: %w", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+scratch); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := db.Migrate(ctx, withDatabase(AdminURL(), scratch), quiet); err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+scratch+" RENAME TO "+name); err != nil {
		return "", fmt.Errorf("rename template: %w", err)
	}
	// Templates of other schemas are left alone: another checkout or branch may be testing with one
	// right now. They are small; `make clean-test-db` drops them all.
	return name, nil
}

func migrationsHash() (string, error) {
	h := sha256.New()
	var names []string
	if err := fs.WalkDir(db.Migrations(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	}); err != nil {
		return "", fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(db.Migrations(), n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// URL creates a fresh, migrated database for this test, dropped when the test ends, and returns its
// connection string. Use it to hand a database to a separate process.
func URL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmpl, err := template(ctx)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("dbtest: connect to Postgres at %s: %v\n%s", redact(AdminURL()), err, startPostgres)
	}
	defer admin.Close(ctx)
	name := "wagate_test_" + randomHex(6)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		t.Fatalf("dbtest: create database from template: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Errorf("dbtest: drop %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(AdminURL(), name)
}

// EmptyURL creates an empty database (no migrations) for this test, dropped when the test ends: for
// tests of migrating itself.
func EmptyURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("dbtest: connect to Postgres at %s: %v\n%s", redact(AdminURL()), err, startPostgres)
	}
	defer admin.Close(ctx)
	name := "wagate_test_" + randomHex(6)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if admin, err := pgx.Connect(ctx, AdminURL()); err == nil {
			defer admin.Close(ctx)
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		}
	})
	return withDatabase(AdminURL(), name)
}

// Pool returns a connection pool on a fresh database of this test's own.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("dbtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close) // registered after the drop, so it runs before it
	return pool
}

// Tx returns a transaction on a shared per-binary database, rolled back when the test ends: for
// plain query tests. A pgx.Tx is not safe for concurrent use; tests needing concurrency use Pool.
func Tx(t testing.TB) pgx.Tx {
	t.Helper()
	sharedOnce.Do(func() {
		ctx := context.Background()
		tmpl, err := template(ctx)
		if err != nil {
			sharedErr = err
			return
		}
		admin, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			sharedErr = fmt.Errorf("connect to Postgres at %s: %w\n%s", redact(AdminURL()), err, startPostgres)
			return
		}
		defer admin.Close(ctx)
		name := "wagate_test_shared_" + randomHex(6)
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
			sharedErr = fmt.Errorf("create shared database: %w", err)
			return
		}
		sharedName = name
		sharedPool, sharedErr = pgxpool.New(ctx, withDatabase(AdminURL(), name))
	})
	if sharedErr != nil {
		t.Fatalf("dbtest: %v", sharedErr)
	}
	tx, err := sharedPool.Begin(context.Background())
	if err != nil {
		t.Fatalf("dbtest: begin: %v", err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}

var (
	sharedOnce sync.Once
	sharedPool *pgxpool.Pool
	sharedName string
	sharedErr  error
)

// dropShared removes the per-binary database of Tx; Main calls it when the tests are done.
func dropShared() {
	if sharedPool == nil {
		return
	}
	sharedPool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if admin, err := pgx.Connect(ctx, AdminURL()); err == nil {
		defer admin.Close(ctx)
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+sharedName+" WITH (FORCE)")
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
