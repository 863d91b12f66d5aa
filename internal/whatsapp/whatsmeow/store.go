package whatsmeow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3/lock"
	"go.mau.fi/whatsmeow/store/sqlstore"
	waLog "go.mau.fi/whatsmeow/util/log"
)

// Schema is the Postgres schema that holds whatsmeow's tables; migration 00004 creates it.
const Schema = "whatsmeow"

// dialect is what sqlstore.NewWithDB is told. The pinned version (go.mau.fi/util/dbutil.ParseDialect)
// takes "pgx" or anything starting with "postgres" as Postgres; "pgx" is also the database/sql driver
// name of pgx's stdlib.
const dialect = "pgx"

// upgradeLockID is the advisory lock whatsmeow's Upgrade runs under: goose's own migration lock, so
// an instance upgrading whatsmeow's tables and another running migrations never overlap, and two
// instances starting together upgrade one after the other (whatsmeow's Upgrade takes no lock).
const upgradeLockID = lock.DefaultLockID

// openStore opens whatsmeow's device container on a *sql.DB of its own whose every connection has
// search_path set to Schema, and brings its tables up to date under the advisory lock.
func openStore(ctx context.Context, databaseURL string, maxConns int, log waLog.Logger) (*sql.DB, *sqlstore.Container, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("whatsmeow store: parse database URL: %w", err)
	}
	// Only our schema on the path: whatsmeow's unqualified CREATE TABLE lands there, and an attempt
	// without the schema fails ("no schema has been selected") instead of writing to public.
	cfg.RuntimeParams["search_path"] = Schema
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(min(maxConns, 4))
	db.SetConnMaxIdleTime(5 * time.Minute)

	if err := checkSchema(ctx, db); err != nil {
		db.Close()
		return nil, nil, err
	}
	container := sqlstore.NewWithDB(db, dialect, log)
	if err := upgradeLocked(ctx, cfg, container); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, container, nil
}

// checkSchema makes sure the schema exists and that no whatsmeow_* table lives anywhere else: whatsmeow
// asks information_schema whether a table exists without naming the schema, so a stray copy (say in
// public, from an older setup) would make it skip creating its own.
func checkSchema(ctx context.Context, db *sql.DB) error {
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", Schema).Scan(&exists); err != nil {
		return fmt.Errorf("whatsmeow store: connect to database: %w", err)
	}
	if !exists {
		return fmt.Errorf("whatsmeow store: schema %q does not exist; run `wagate migrate` first", Schema)
	}
	rows, err := db.QueryContext(ctx, `SELECT table_schema || '.' || table_name FROM information_schema.tables
		WHERE table_name LIKE 'whatsmeow\_%' AND table_schema <> $1 ORDER BY 1`, Schema)
	if err != nil {
		return fmt.Errorf("whatsmeow store: look for stray tables: %w", err)
	}
	defer rows.Close()
	var stray []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("whatsmeow store: look for stray tables: %w", err)
		}
		stray = append(stray, name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("whatsmeow store: look for stray tables: %w", err)
	}
	if len(stray) > 0 {
		return fmt.Errorf("whatsmeow store: whatsmeow tables exist outside schema %q (%s); move them into it or drop them",
			Schema, strings.Join(stray, ", "))
	}
	return nil
}

// upgradeLocked runs container.Upgrade while holding the advisory lock on a dedicated connection.
func upgradeLocked(ctx context.Context, cfg *pgx.ConnConfig, container *sqlstore.Container) (err error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("whatsmeow store: connect for upgrade lock: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Blocking lock; ctx bounds the wait (pgx cancels the query when ctx ends).
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", upgradeLockID); err != nil {
		return fmt.Errorf("whatsmeow store: take upgrade lock: %w", err)
	}
	defer func() {
		// Closing the connection would release the lock as well; unlock explicitly to say so.
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", upgradeLockID); uerr != nil && err == nil {
			err = fmt.Errorf("whatsmeow store: release upgrade lock: %w", uerr)
		}
	}()
	if err := container.Upgrade(ctx); err != nil {
		return fmt.Errorf("whatsmeow store: upgrade tables: %w", err)
	}
	return nil
}

// errNoDevice is wrapped when a session's device row is gone (logged out, or deleted).
var errNoDevice = errors.New("no device keys stored")
