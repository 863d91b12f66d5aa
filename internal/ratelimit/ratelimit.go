// Package ratelimit holds cluster-wide rate limits in Redis: GCRA buckets decided atomically by one
// Redis script, so every instance shares each limit (never per process). Keys are prefixed wagate:
// (go-redis/redis_rate implements the same algorithm but hard-codes a "rate:" key prefix, which
// would break the Redis layout contract; the script below is its algorithm on our keys). It must not
// import web, worker or domain packages.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limiter decides whether a keyed action may happen now. It sits on request paths, so a Redis that
// does not answer costs at most a short deadline, and nothing while its breaker is open.
type Limiter struct {
	rdb     *redis.Client
	breaker *Breaker
}

// New returns a limiter on rdb.
func New(rdb *redis.Client) *Limiter {
	return &Limiter{rdb: rdb, breaker: NewBreaker(150*time.Millisecond, 2*time.Second)}
}

// Result is the outcome of one request against a limit.
type Result struct {
	Allowed    bool
	Limit      int
	Remaining  int
	RetryAfter time.Duration // when refused: how long until one more is allowed
	ResetAfter time.Duration // how long until the bucket is full again
}

// gcra keeps, per key, the theoretical arrival time (TAT) of the next request in milliseconds of
// Redis's own clock (so instances with skewed clocks agree). KEYS[1]: the bucket; ARGV: emission
// interval in ms (period / rate), burst, cost. Returns allowed, remaining, retry_after_ms, reset_after_ms.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local emission = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + emission * cost
local diff = now - (new_tat - burst * emission)
if diff < 0 then
  return {0, 0, math.ceil(-diff), math.ceil(tat - now)}
end
local ttl = math.ceil(new_tat - now)
if ttl > 0 then redis.call('SET', KEYS[1], tostring(new_tat), 'PX', ttl) end
return {1, math.floor(diff / emission), 0, ttl}
`)

// Allow spends one request from a bucket that refills rate per period and holds burst at most.
func (l *Limiter) Allow(ctx context.Context, key string, rate int, period time.Duration, burst int) (Result, error) {
	if rate <= 0 || burst <= 0 {
		return Result{}, fmt.Errorf("rate limit %s: rate and burst must be positive", key)
	}
	emission := float64(period.Milliseconds()) / float64(rate)
	var v []int64
	err := l.breaker.Do(ctx, func(ctx context.Context) error {
		var err error
		v, err = gcra.Run(ctx, l.rdb, []string{"wagate:rl:" + key}, emission, burst, 1).Int64Slice()
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("rate limit %s: %w", key, err)
	}
	return Result{Allowed: v[0] == 1, Limit: rate, Remaining: int(v[1]),
		RetryAfter: time.Duration(v[2]) * time.Millisecond, ResetAfter: time.Duration(v[3]) * time.Millisecond}, nil
}

// PerMinute allows n requests a minute for key, refilled continuously. The burst is n: a client that
// was idle may spend its minute's worth at once, as a plan's "n per minute" promises. (Send pacing,
// which must never exceed n in any 60 s window, uses burst 1 instead.)
func (l *Limiter) PerMinute(ctx context.Context, key string, n int) (Result, error) {
	return l.Allow(ctx, key, n, time.Minute, n)
}
