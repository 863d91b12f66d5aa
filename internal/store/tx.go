// Package store is the data access layer: sqlc's generated code from queries/ (never edited by hand)
// plus this file. It maps pgx's "no rows" once, here, so domain packages test store.IsNotFound.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DB is satisfied by *pgxpool.Pool and pgx.Tx, so services can be handed either (tests hand a Tx).
type DB interface {
	DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

// IsNotFound reports whether err means the query matched no row.
func IsNotFound(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// IsUniqueViolation reports whether err is a unique-constraint violation, optionally of one constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// IsForeignKeyViolation reports whether err is a foreign-key violation (the referenced row is gone).
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// WithTx runs fn in a transaction on db (a nested one, as a savepoint, when db is already a Tx) and
// commits when fn returns nil.
func WithTx(ctx context.Context, db DB, fn func(q *Queries) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if err := fn(New(tx)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
