package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/message"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// Router hands a send (or a question) to the session's holder: in-process when that is this
// instance, else by a Redis request/reply to the holder's instance.
type Router struct {
	self  uuid.UUID
	local *Executor
	rpc   *cluster.RPC
	db    store.DB // the session's lease, watched while another instance is asked to send
}

// ErrHolderGone: while the holder was asked to send, the session's lease moved to a new fence (or was
// released). Fencing is by time, so the old holder's client is stopped: whatever it had taken may go
// again at once, with the same WhatsApp id, instead of after the request's timeout.
var ErrHolderGone = errors.New("the session's holder changed while it was asked to send")

// leaseWatchEvery is how often a pending send request checks the session's lease.
const leaseWatchEvery = time.Second

// RPC method names.
const (
	rpcSend         = "message.send"
	rpcGroups       = "session.groups"
	rpcCheckNumbers = "session.check_numbers"
)

// NewRouter returns the router of instance self, which answers requests to other instances over
// rpc. local is this instance's Executor, or nil when the process runs no session host (then every
// session is held elsewhere).
func NewRouter(self uuid.UUID, local *Executor, rpc *cluster.RPC, db store.DB) *Router {
	return &Router{self: self, local: local, rpc: rpc, db: db}
}

func (r *Router) isLocal(instance uuid.UUID) bool { return instance == r.self && r.local != nil }

// Send asks the holder on instance to send a claimed message, waiting at most timeout for another
// instance's answer.
func (r *Router) Send(ctx context.Context, instance uuid.UUID, req ExecRequest, timeout time.Duration) (ExecResult, error) {
	if r.isLocal(instance) {
		return r.local.Execute(ctx, req)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var res ExecResult
	done := make(chan error, 1)
	go func() { done <- r.rpc.Call(cctx, instance, rpcSend, req, &res, timeout) }()
	t := time.NewTicker(leaseWatchEvery)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			return res, err
		case <-t.C:
			// A holder killed mid-request never answers: rather than wait out the timeout, notice
			// that its lease moved on.
			lease, err := store.New(r.db).SessionLeaseGet(ctx, req.SessionID)
			if store.IsNotFound(err) || (err == nil && lease.Fence != req.Fence) {
				cancel()
				<-done
				return ExecResult{}, ErrHolderGone
			}
		}
	}
}

type numbersRequest struct {
	message.Target
	Phones []string `json:"phones"`
}

// Groups asks the holder on instance for the session's groups.
func (r *Router) Groups(ctx context.Context, instance uuid.UUID, t message.Target) ([]whatsapp.Group, error) {
	if r.isLocal(instance) {
		return r.local.Groups(ctx, t)
	}
	var gs []whatsapp.Group
	return gs, r.call(ctx, instance, rpcGroups, t, &gs)
}

// CheckNumbers asks the holder on instance which phones are on WhatsApp.
func (r *Router) CheckNumbers(ctx context.Context, instance uuid.UUID, t message.Target, phones []string) ([]whatsapp.NumberStatus, error) {
	if r.isLocal(instance) {
		return r.local.CheckNumbers(ctx, t, phones)
	}
	var res []whatsapp.NumberStatus
	return res, r.call(ctx, instance, rpcCheckNumbers, numbersRequest{Target: t, Phones: phones}, &res)
}

func (r *Router) call(ctx context.Context, instance uuid.UUID, method string, req, resp any) error {
	err := r.rpc.Call(ctx, instance, method, req, resp, 20*time.Second)
	var re *cluster.RemoteError
	if errors.As(err, &re) && re.Code == codeUnavailable || errors.Is(err, cluster.ErrRPCTimeout) {
		return message.ErrSessionUnavailable
	}
	return err
}

const codeUnavailable = "session_unavailable"

// Serve answers other instances' requests for the sessions this instance holds, until ctx ends.
func (r *Router) Serve(ctx context.Context, workers int) {
	if r.local == nil {
		return
	}
	r.rpc.Serve(ctx, workers, func(ctx context.Context, method string, payload json.RawMessage) (any, error) {
		switch method {
		case rpcSend:
			var req ExecRequest
			if err := json.Unmarshal(payload, &req); err != nil {
				return nil, err
			}
			return r.local.Execute(ctx, req)
		case rpcGroups:
			var t message.Target
			if err := json.Unmarshal(payload, &t); err != nil {
				return nil, err
			}
			gs, err := r.local.Groups(ctx, t)
			return gs, rpcErr(err)
		case rpcCheckNumbers:
			var req numbersRequest
			if err := json.Unmarshal(payload, &req); err != nil {
				return nil, err
			}
			res, err := r.local.CheckNumbers(ctx, req.Target, req.Phones)
			return res, rpcErr(err)
		}
		return nil, fmt.Errorf("unknown method %q", method)
	})
}

type codedError struct {
	code string
	err  error
}

func (e codedError) Error() string   { return e.err.Error() }
func (e codedError) RPCCode() string { return e.code }

func rpcErr(err error) error {
	if errors.Is(err, message.ErrSessionUnavailable) {
		return codedError{code: codeUnavailable, err: err}
	}
	return err
}
