// Package factory makes test fixtures through the real queries, with every field defaulted unless a
// test sets it: factory.Instance(ctx, t, db, &factory.InstanceOpts{Roles: []string{"host"}}).
// Test-only; no SQL dumps.
package factory

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
)

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// Ptr returns a pointer to v, for the option structs.
func Ptr[T any](v T) *T { return &v }

// InstanceOpts sets fields of a fixture instance; nil means a default.
type InstanceOpts struct {
	Hostname *string
	Roles    []string
	Version  *string
}

// Instance inserts a live instance row.
func Instance(ctx context.Context, t testing.TB, db store.DBTX, opts *InstanceOpts) store.Instance {
	t.Helper()
	if opts == nil {
		opts = &InstanceOpts{}
	}
	roles := opts.Roles
	if roles == nil {
		roles = []string{"http", "worker", "host"}
	}
	id := uuid.Must(uuid.NewV7())
	q := store.New(db)
	err := q.InstanceRegister(ctx, store.InstanceRegisterParams{
		ID: id, Hostname: ptrOr(opts.Hostname, "test-host"), Pid: 1, Version: ptrOr(opts.Version, "test"), Roles: roles,
	})
	if err != nil {
		t.Fatalf("factory: insert instance: %v", err)
	}
	in, err := q.InstanceGet(ctx, id)
	if err != nil {
		t.Fatalf("factory: read instance: %v", err)
	}
	return in
}
