package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Errors of RPC calls.
var (
	// ErrRPCTimeout: no reply came before the call's timeout. The request may still have run (the
	// holder took it and was slow): callers treat the outcome as unknown, unless
	// errors.Is(err, ErrRPCNotDelivered) also holds.
	ErrRPCTimeout = errors.New("rpc: no reply before the timeout")
	// ErrRPCNotDelivered: the call gave up (timeout or ctx) while its request was still waiting in the
	// target's list, and took it back: it never ran and never will. Comes with ErrRPCTimeout or ctx's error.
	ErrRPCNotDelivered = errors.New("rpc: the request was not delivered")
)

// RemoteError is a handler's error as the caller receives it: a code the handler chose (its error's
// RPCCode method) or "internal", and the error's text.
type RemoteError struct {
	Code    string
	Message string
}

func (e *RemoteError) Error() string { return "rpc " + e.Code + ": " + e.Message }

// CodeInternal is the code of a handler error that names no code of its own (and of a panic).
const CodeInternal = "internal"

// replyTTL is how long an unread reply stays: past its request's deadline nobody waits for it.
const replyTTL = 10 * time.Second

// listTTL is added to a call's timeout for the expiry of the target's request list, so the list of
// an instance that died goes away (every push renews it; a live instance drains it anyway).
const listTTL = time.Minute

// RPC is request/reply between instances through Redis (DESIGN.md "Sending across instances"): a
// caller pushes a request onto the target instance's list wagate:rpc:<instance> and blocks on a reply
// key of its own, wagate:rpc:reply:<request id>; the target's Serve workers pop requests, run the
// handler until the request's deadline and push the reply. Requests past their deadline are dropped
// unread, so a caller that timed out is not answered late. Payloads are JSON.
//
// Deadlines are wall-clock times, compared on the serving instance: the instances' clocks must agree
// to well within call timeouts (NTP), as lease expiry already requires.
type RPC struct {
	rdb  redis.UniversalClient
	self uuid.UUID
	log  *slog.Logger
}

// NewRPC returns the RPC endpoint of instance self.
func NewRPC(rdb redis.UniversalClient, self uuid.UUID, log *slog.Logger) *RPC {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RPC{rdb: rdb, self: self, log: log.With("instance_id", self)}
}

func requestList(instance uuid.UUID) string { return Prefix + "rpc:" + instance.String() }
func replyKey(id string) string             { return Prefix + "rpc:reply:" + id }

type rpcRequest struct {
	ID       string          `json:"id"`
	Method   string          `json:"method"`
	Payload  json.RawMessage `json:"payload"`
	ReplyTo  string          `json:"reply_to"`
	Deadline int64           `json:"deadline"` // Unix milliseconds
}

type rpcReply struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  *rpcError       `json:"error,omitempty"`
}

type rpcError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Call runs method on instance to with req (marshalled to JSON) and decodes the result into resp
// (nil: ignored). It returns a *RemoteError when the handler failed, an error matching
// ErrRPCTimeout when no reply came within timeout, or ctx's error when ctx ended first.
func (r *RPC) Call(ctx context.Context, to uuid.UUID, method string, req, resp any, timeout time.Duration) error {
	payload, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("rpc %s: encode request: %w", method, err)
	}
	id := uuid.NewString()
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	msg, err := json.Marshal(rpcRequest{ID: id, Method: method, Payload: payload, ReplyTo: replyKey(id), Deadline: deadline.UnixMilli()})
	if err != nil {
		return fmt.Errorf("rpc %s: encode request: %w", method, err)
	}
	list := requestList(to)
	if _, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, list, msg)
		p.Expire(ctx, list, max(timeout, 0)+listTTL)
		return nil
	}); err != nil {
		return fmt.Errorf("rpc %s: send request: %w", method, err)
	}

	raw, err := r.await(ctx, replyKey(id), deadline)
	if err != nil {
		// Take the request back if nobody has taken it yet, so it cannot run after we gave up.
		// A fresh context: ctx may be the reason we stopped.
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if n, lerr := r.rdb.LRem(bg, list, 1, msg).Result(); lerr == nil && n > 0 {
			err = fmt.Errorf("%w: %w", err, ErrRPCNotDelivered)
		}
		return fmt.Errorf("rpc %s to %s: %w", method, to, err)
	}
	var rep rpcReply
	if err := json.Unmarshal([]byte(raw), &rep); err != nil {
		return fmt.Errorf("rpc %s: decode reply: %w", method, err)
	}
	if rep.Error != nil {
		return &RemoteError{Code: rep.Error.Code, Message: rep.Error.Message}
	}
	if resp != nil && len(rep.Result) > 0 {
		if err := json.Unmarshal(rep.Result, resp); err != nil {
			return fmt.Errorf("rpc %s: decode result: %w", method, err)
		}
	}
	return nil
}

// await pops the reply at key, waiting until deadline. Blocking pops take whole seconds, so it blocks
// a second at a time (which also notices ctx ending) and polls for the last fraction of a second.
func (r *RPC) await(ctx context.Context, key string, deadline time.Time) (string, error) {
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return "", ErrRPCTimeout
		}
		var v string
		var err error
		if left >= time.Second {
			var kv []string
			kv, err = r.rdb.BRPop(ctx, time.Second, key).Result()
			if err == nil {
				v = kv[1]
			}
		} else {
			v, err = r.rdb.RPop(ctx, key).Result()
			if errors.Is(err, redis.Nil) {
				err = sleepCtx(ctx, min(left, 10*time.Millisecond))
				if err == nil {
					continue
				}
			}
		}
		switch {
		case err == nil:
			return v, nil
		case errors.Is(err, redis.Nil):
			continue
		default:
			return "", err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Handler serves one request: method and its JSON payload in, a result to marshal (or an error) out.
// ctx ends at the request's deadline. An error with a method `RPCCode() string` crosses with that
// code; any other error as "internal".
type Handler func(ctx context.Context, method string, payload json.RawMessage) (any, error)

// Serve drains this instance's request list with workers goroutines until ctx ends, then returns once
// they have stopped (within about a second: each waits on Redis for a second at a time). Each worker
// holds one connection while it waits, so the client's pool must be larger than workers.
func (r *RPC) Serve(ctx context.Context, workers int, h Handler) {
	var wg sync.WaitGroup
	for i := 0; i < max(workers, 1); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx, h)
		}()
	}
	wg.Wait()
}

func (r *RPC) work(ctx context.Context, h Handler) {
	list := requestList(r.self)
	for ctx.Err() == nil {
		kv, err := r.rdb.BRPop(ctx, time.Second, list).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if ctx.Err() == nil {
				r.log.ErrorContext(ctx, "rpc receive failed", "err", err)
				_ = sleepCtx(ctx, time.Second) // Redis is down: do not spin
			}
			continue
		}
		r.handle(ctx, []byte(kv[1]), h)
	}
}

func (r *RPC) handle(ctx context.Context, raw []byte, h Handler) {
	var req rpcRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		r.log.ErrorContext(ctx, "rpc request unreadable, dropped", "err", err)
		return
	}
	// A reply only ever goes to a reply key: a malformed request must not make us write elsewhere.
	if req.ReplyTo != replyKey(req.ID) {
		r.log.ErrorContext(ctx, "rpc request with a foreign reply key, dropped", "method", req.Method)
		return
	}
	deadline := time.UnixMilli(req.Deadline)
	if !time.Now().Before(deadline) {
		r.log.WarnContext(ctx, "rpc request past its deadline, dropped", "method", req.Method, "request_id", req.ID)
		return
	}
	hctx, cancel := context.WithDeadline(ctx, deadline)
	res, err := r.run(hctx, h, req)
	cancel()

	var rep rpcReply
	if err == nil {
		rep.Result, err = json.Marshal(res)
		if err != nil {
			err = fmt.Errorf("encode result: %w", err)
		}
	}
	if err != nil {
		rep.Result = nil
		rep.Error = &rpcError{Code: CodeInternal, Message: err.Error()}
		var coded interface{ RPCCode() string }
		if errors.As(err, &coded) {
			rep.Error.Code = coded.RPCCode()
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		r.log.ErrorContext(ctx, "rpc reply unencodable", "method", req.Method, "err", err)
		return
	}
	// The reply goes out even when ctx is ending: the work is done, the caller should learn of it.
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer wcancel()
	if _, err := r.rdb.TxPipelined(wctx, func(p redis.Pipeliner) error {
		p.LPush(wctx, req.ReplyTo, b)
		p.Expire(wctx, req.ReplyTo, replyTTL)
		return nil
	}); err != nil {
		r.log.ErrorContext(ctx, "rpc reply failed", "method", req.Method, "err", err)
	}
}

// run calls h, turning a panic into an internal error so one bad request cannot kill the worker.
func (r *RPC) run(ctx context.Context, h Handler, req rpcRequest) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.ErrorContext(ctx, "rpc handler panicked", "method", req.Method, "panic", p)
			res, err = nil, errors.New("handler panicked")
		}
	}()
	return h(ctx, req.Method, req.Payload)
}

// RPCFactory makes the RPC of an instance on a Redis client of its own: each serving worker blocks
// one connection in BRPOP, which would starve every other user of a shared pool (the API's key
// cache and limits waited a second per request when they shared it). workers is how many requests
// an instance serves at once.
func RPCFactory(rdb redis.UniversalClient, workers int, log *slog.Logger) func(self uuid.UUID) *RPC {
	client := rdb
	if c, ok := rdb.(*redis.Client); ok {
		// The connection settings only: copying the whole Options would share the original client's
		// internal hooks.
		o := c.Options()
		client = redis.NewClient(&redis.Options{Network: o.Network, Addr: o.Addr, Dialer: o.Dialer,
			Username: o.Username, Password: o.Password, CredentialsProvider: o.CredentialsProvider, DB: o.DB,
			TLSConfig: o.TLSConfig, DialTimeout: o.DialTimeout,
			PoolSize: workers + 4*runtime.GOMAXPROCS(0) + 16}) // the servers' blocking reads, plus callers
	}
	return func(self uuid.UUID) *RPC { return NewRPC(client, self, log) }
}
