// Package cluster is what lets several wagate processes share one Postgres and one Redis: the instance
// registry (who is alive), session leases with their fencing counter and placement (lease.go), and
// pub/sub over Redis (pubsub.go); request/reply between instances comes later. It must not import web,
// worker or domain packages.
package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
)

// Heartbeat timing. A process is presumed dead once its heartbeat is StaleAfter old; 45 s is the
// most a dead instance's sessions may wait for a new holder, so both stay well inside it.
const (
	HeartbeatEvery = 5 * time.Second
	StaleAfter     = 20 * time.Second
)

// Instance is this process's entry in the instances table.
type Instance struct {
	ID      uuid.UUID
	Roles   []string
	Version string

	db  store.DB
	log *slog.Logger
}

// Register records this process as a live instance.
func Register(ctx context.Context, db store.DB, log *slog.Logger, version string, roles []string) (*Instance, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("instance id: %w", err)
	}
	in := &Instance{ID: id, Roles: roles, Version: version, db: db, log: log.With("instance_id", id)}
	if err := in.insert(ctx); err != nil {
		return nil, err
	}
	return in, nil
}

func (in *Instance) insert(ctx context.Context) error {
	host, _ := os.Hostname()
	err := store.New(in.db).InstanceRegister(ctx, store.InstanceRegisterParams{
		ID: in.ID, Hostname: host, Pid: int32(os.Getpid()), Version: in.Version, Roles: in.Roles,
	})
	if err != nil {
		return fmt.Errorf("register instance: %w", err)
	}
	return nil
}

// Run renews the heartbeat until ctx ends, and removes instances whose heartbeat went stale. A
// failed renewal is logged and retried on the next tick; the row is recreated if someone removed it.
func (in *Instance) Run(ctx context.Context) {
	t := time.NewTicker(HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		q := store.New(in.db)
		n, err := q.InstanceHeartbeat(ctx, in.ID)
		if err == nil && n == 0 {
			in.log.WarnContext(ctx, "instance row was gone, registering again")
			err = in.insert(ctx)
		}
		if err != nil && ctx.Err() == nil {
			in.log.ErrorContext(ctx, "instance heartbeat failed", "err", err)
			continue
		}
		if gone, err := q.InstanceDeleteStale(ctx, StaleAfter.Seconds()); err != nil && ctx.Err() == nil {
			in.log.ErrorContext(ctx, "remove stale instances", "err", err)
		} else if gone > 0 {
			in.log.InfoContext(ctx, "removed stale instances", "count", gone)
		}
	}
}

// Deregister removes this instance's row, at graceful shutdown.
func (in *Instance) Deregister(ctx context.Context) error {
	if err := store.New(in.db).InstanceDelete(ctx, in.ID); err != nil {
		return fmt.Errorf("deregister instance: %w", err)
	}
	return nil
}

// Peer is a registered instance as any process sees it.
type Peer struct {
	ID          uuid.UUID
	Hostname    string
	PID         int32
	Version     string
	Roles       []string
	StartedAt   time.Time
	HeartbeatAt time.Time
	Draining    bool // its session host hands its sessions over before it stops
}

// Live lists the instances whose heartbeat is fresh.
func Live(ctx context.Context, db store.DB) ([]Peer, error) {
	list, err := store.New(db).InstanceListLive(ctx, StaleAfter.Seconds())
	if err != nil {
		return nil, fmt.Errorf("list live instances: %w", err)
	}
	out := make([]Peer, len(list))
	for i, r := range list {
		out[i] = Peer{ID: r.ID, Hostname: r.Hostname, PID: r.Pid, Version: r.Version, Roles: r.Roles,
			StartedAt: r.StartedAt, HeartbeatAt: r.HeartbeatAt, Draining: r.Draining}
	}
	return out, nil
}

// Directory answers who is alive, for the operator console.
type Directory struct {
	db store.DB
}

// NewDirectory returns the directory of the instances registered in db.
func NewDirectory(db store.DB) *Directory { return &Directory{db: db} }

// Live lists the instances whose heartbeat is fresh.
func (d *Directory) Live(ctx context.Context) ([]Peer, error) { return Live(ctx, d.db) }
