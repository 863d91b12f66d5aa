package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/dbtest"
)

type codedError struct{ code string }

func (e codedError) Error() string   { return "session is held elsewhere" }
func (e codedError) RPCCode() string { return e.code }

type echoReq struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

type echoResp struct {
	N      int    `json:"n"`
	Method string `json:"method"`
}

type rpcBundle struct {
	rdb       *redis.Client
	newClient func() *redis.Client // another client on the same Redis, as another instance has
	server    *cluster.RPC
	client    *cluster.RPC
	id        uuid.UUID
	calls     atomic.Int32 // handler invocations
}

// setupRPC starts an instance serving h with workers goroutines until the test ends, and a second
// instance (with a client of its own) to call it from.
func setupRPC(t *testing.T, workers int, h cluster.Handler) *rpcBundle {
	t.Helper()
	url := dbtest.RedisURL(t)
	newClient := func() *redis.Client {
		opt, err := redis.ParseURL(url)
		require.NoError(t, err)
		c := redis.NewClient(opt)
		t.Cleanup(func() { c.Close() })
		return c
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := &rpcBundle{rdb: newClient(), newClient: newClient, id: uuid.New()}
	b.server = cluster.NewRPC(b.rdb, b.id, log)
	b.client = cluster.NewRPC(newClient(), uuid.New(), log)
	if h != nil {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			b.server.Serve(ctx, workers, func(ctx context.Context, method string, payload json.RawMessage) (any, error) {
				b.calls.Add(1)
				return h(ctx, method, payload)
			})
		}()
		t.Cleanup(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Error("Serve did not return after its context ended")
			}
		})
	}
	return b
}

func echo(ctx context.Context, method string, payload json.RawMessage) (any, error) {
	var req echoReq
	if err := json.Unmarshal(payload, &req); err != nil {
		return nil, err
	}
	switch req.Text {
	case "coded":
		return nil, codedError{code: "not_holder"}
	case "plain":
		return nil, errors.New("driver exploded")
	case "panic":
		panic("boom")
	case "slow":
		<-ctx.Done() // runs until the request's deadline
		return nil, ctx.Err()
	case "nap":
		time.Sleep(20 * time.Millisecond)
	}
	return echoResp{N: req.N * 2, Method: method}, nil
}

func TestRPC_RoundTrip(t *testing.T) {
	t.Parallel()
	b := setupRPC(t, 2, echo)
	var resp echoResp
	err := b.client.Call(t.Context(), b.id, "message.send", echoReq{N: 21}, &resp, 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, echoResp{N: 42, Method: "message.send"}, resp)

	// A nil resp ignores the result.
	require.NoError(t, b.client.Call(t.Context(), b.id, "message.send", echoReq{N: 1}, nil, 5*time.Second))

	keys, err := b.rdb.Keys(t.Context(), "*").Result()
	require.NoError(t, err)
	for _, k := range keys {
		require.Regexp(t, `^wagate:rpc:`, k)
		ttl, err := b.rdb.TTL(t.Context(), k).Result()
		require.NoError(t, err)
		require.Positive(t, ttl, "%s expires", k)
	}
}

func TestRPC_RemoteErrors(t *testing.T) {
	t.Parallel()
	b := setupRPC(t, 2, echo)
	for _, tc := range []struct {
		text, code, message string
	}{
		{"coded", "not_holder", "session is held elsewhere"},
		{"plain", "internal", "driver exploded"},
		{"panic", "internal", "handler panicked"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			err := b.client.Call(t.Context(), b.id, "m", echoReq{Text: tc.text}, nil, 5*time.Second)
			var re *cluster.RemoteError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tc.code, re.Code)
			require.Equal(t, tc.message, re.Message)
			require.NotErrorIs(t, err, cluster.ErrRPCTimeout)
		})
	}
	// The worker survived the panic.
	require.NoError(t, b.client.Call(t.Context(), b.id, "m", echoReq{N: 1}, nil, 5*time.Second))
}

func TestRPC_Timeout(t *testing.T) {
	t.Parallel()

	t.Run("NobodyServes", func(t *testing.T) {
		t.Parallel()
		b := setupRPC(t, 0, nil)
		start := time.Now()
		err := b.client.Call(t.Context(), b.id, "m", echoReq{}, nil, 300*time.Millisecond)
		took := time.Since(start)
		require.ErrorIs(t, err, cluster.ErrRPCTimeout)
		require.ErrorIs(t, err, cluster.ErrRPCNotDelivered, "the request was taken back")
		require.GreaterOrEqual(t, took, 300*time.Millisecond)
		require.Less(t, took, 2*time.Second)
		n, err := b.rdb.LLen(t.Context(), "wagate:rpc:"+b.id.String()).Result()
		require.NoError(t, err)
		require.Zero(t, n, "nothing is left for the instance to run later")
	})

	t.Run("HandlerTooSlow", func(t *testing.T) {
		t.Parallel()
		b := setupRPC(t, 1, echo)
		start := time.Now()
		err := b.client.Call(t.Context(), b.id, "m", echoReq{Text: "slow"}, nil, 1200*time.Millisecond)
		require.ErrorIs(t, err, cluster.ErrRPCTimeout)
		require.NotErrorIs(t, err, cluster.ErrRPCNotDelivered, "it was taken: the outcome is unknown")
		require.Less(t, time.Since(start), 3*time.Second)
		// The handler's context ended at the deadline, so the worker is free again.
		require.NoError(t, b.client.Call(t.Context(), b.id, "m", echoReq{N: 1}, nil, 5*time.Second))
	})

	t.Run("ContextEnds", func(t *testing.T) {
		t.Parallel()
		b := setupRPC(t, 0, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		err := b.client.Call(ctx, b.id, "m", echoReq{}, nil, time.Minute)
		require.Error(t, err)
		require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, cluster.ErrRPCTimeout), "got %v", err)
		require.ErrorIs(t, err, cluster.ErrRPCNotDelivered)
	})
}

func TestRPC_ExpiredRequestSkipped(t *testing.T) {
	t.Parallel()
	b := setupRPC(t, 0, nil)
	ctx := t.Context()
	// A request whose caller gave up long ago, queued before a live one.
	old, err := json.Marshal(map[string]any{
		"id": "old", "method": "m", "payload": echoReq{N: 1}, "reply_to": "wagate:rpc:reply:old",
		"deadline": time.Now().Add(-time.Second).UnixMilli(),
	})
	require.NoError(t, err)
	require.NoError(t, b.rdb.LPush(ctx, "wagate:rpc:"+b.id.String(), old).Err())

	var calls atomic.Int32
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.server.Serve(sctx, 1, func(ctx context.Context, method string, payload json.RawMessage) (any, error) {
			calls.Add(1)
			return echo(ctx, method, payload)
		})
	}()
	defer func() { cancel(); <-done }()

	var resp echoResp
	require.NoError(t, b.client.Call(ctx, b.id, "m", echoReq{N: 2}, &resp, 5*time.Second))
	require.Equal(t, 4, resp.N)
	// One worker pops in order, so the old request was handled (skipped) before the live one.
	require.EqualValues(t, 1, calls.Load(), "the expired request never reached the handler")
	n, err := b.rdb.Exists(ctx, "wagate:rpc:reply:old").Result()
	require.NoError(t, err)
	require.Zero(t, n, "and got no reply")
}

func TestRPC_Concurrent(t *testing.T) {
	t.Parallel()
	var inFlight, most atomic.Int32
	b := setupRPC(t, 4, func(ctx context.Context, method string, payload json.RawMessage) (any, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		return echo(ctx, method, payload)
	})
	other := cluster.NewRPC(b.newClient(), uuid.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := b.client
			if i%2 == 1 {
				c = other
			}
			var resp echoResp
			if err := c.Call(context.Background(), b.id, "m", echoReq{N: i, Text: "nap"}, &resp, 10*time.Second); err != nil {
				errs <- err
				return
			}
			if resp.N != 2*i {
				errs <- errors.New("a reply went to the wrong caller")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, 100, b.calls.Load())
	require.Greater(t, most.Load(), int32(1), "workers ran requests side by side")
	require.LessOrEqual(t, most.Load(), int32(4))
}
