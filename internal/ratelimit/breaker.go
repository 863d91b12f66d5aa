package ratelimit

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrUnavailable: Redis failed recently, so the call was not tried (the breaker is open).
var ErrUnavailable = errors.New("redis unavailable (recent failures); not tried")

// Breaker keeps request paths from waiting on a Redis that does not answer: each call gets a short
// deadline, and after a failure calls are refused at once for OpenFor, then tried again. Accepting a
// message must not depend on Redis (its task is re-enqueued by the sweeper), so the accept path
// gives up quickly instead of hanging on dial and read timeouts.
type Breaker struct {
	timeout   time.Duration
	openFor   time.Duration
	openUntil atomic.Int64 // unix nanoseconds; 0: closed
}

// NewBreaker returns a breaker giving each call timeout, and refusing calls for openFor after a failure.
func NewBreaker(timeout, openFor time.Duration) *Breaker {
	return &Breaker{timeout: timeout, openFor: openFor}
}

// Do runs f with the breaker's deadline, unless a recent failure opened it (ErrUnavailable). An
// error of f that is not the caller's own cancellation opens it.
func (b *Breaker) Do(ctx context.Context, f func(ctx context.Context) error) error {
	if until := b.openUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return ErrUnavailable
	}
	cctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	err := f(cctx)
	switch {
	case err == nil:
		b.openUntil.Store(0)
	case ctx.Err() == nil: // Redis's failure or our deadline, not the caller giving up
		b.openUntil.Store(time.Now().Add(b.openFor).UnixNano())
	}
	return err
}
