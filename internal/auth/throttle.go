package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Login throttling. Failures are counted in Redis per account and per client address, so every
// instance sees the same counts. After a few free failures each further attempt must wait a delay
// that doubles with every failure, up to a cap: a guesser is slowed to a crawl, while the owner,
// even under attack, can still log in once the delay has passed (no lock-out anyone could trigger).
const (
	accountFreeFailures = 5
	addressFreeFailures = 20
	maxThrottleDelay    = 15 * time.Minute
	throttleMemory      = 24 * time.Hour // failures are forgotten after a quiet day
)

// Throttle decides whether a login attempt may be checked now.
type Throttle struct {
	rdb *redis.Client
}

// NewThrottle returns a throttle on rdb.
func NewThrottle(rdb *redis.Client) *Throttle { return &Throttle{rdb: rdb} }

// ThrottledError says how long to wait before the next attempt.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed attempts; retry after %s", e.RetryAfter.Round(time.Second))
}

// throttleScript reads the failure count and the time of the last failure of each key and answers the
// longest wait still owed, in milliseconds (0: go ahead). Counting from the last failure (or the last
// attempt let through), never from the first, is what makes the delay grow. KEYS: the hashes; ARGV: now in ms, then the
// free failures of each key in order.
var throttleScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'n', 'last')
  local n = tonumber(v[1]) or 0
  local last = tonumber(v[2]) or 0
  local free = tonumber(ARGV[i + 1])
  if n >= free then
    local d = math.min(1000 * 2 ^ math.min(n - free, 20), ` + fmt.Sprint(maxThrottleDelay.Milliseconds()) + `)
    local w = last + d - now
    if w > wait then wait = w end
  end
end
if wait <= 0 then
  -- The attempt goes ahead: restart the clock now, so a concurrent attempt on another instance
  -- waits for this one's outcome instead of slipping through in the same instant.
  for i, key in ipairs(KEYS) do
    local n = tonumber(redis.call('HGET', key, 'n')) or 0
    if n >= tonumber(ARGV[i + 1]) then redis.call('HSET', key, 'last', ARGV[1]) end
  end
end
return math.floor(wait)
`)

// failScript counts one failure on every key. KEYS: the hashes; ARGV: now in ms, memory in s.
var failScript = redis.NewScript(`
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'n', 1)
  redis.call('HSET', key, 'last', ARGV[1])
  redis.call('EXPIRE', key, ARGV[2])
end
return 1
`)

func accountKey(scope, email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "wagate:login:" + scope + ":acct:" + hex.EncodeToString(sum[:16])
}

func addressKey(scope, ip string) string { return "wagate:login:" + scope + ":ip:" + ip }

// Check returns a *ThrottledError when an attempt for email from ip must wait. scope separates
// tenant users from operators.
func (t *Throttle) Check(ctx context.Context, scope, email, ip string) error {
	ms, err := throttleScript.Run(ctx, t.rdb, []string{accountKey(scope, email), addressKey(scope, ip)},
		time.Now().UnixMilli(), accountFreeFailures, addressFreeFailures).Int64()
	if err != nil {
		return fmt.Errorf("login throttle: %w", err)
	}
	if ms > 0 {
		return &ThrottledError{RetryAfter: time.Duration(ms) * time.Millisecond}
	}
	return nil
}

// Fail counts a failed attempt against the account and the address.
func (t *Throttle) Fail(ctx context.Context, scope, email, ip string) error {
	err := failScript.Run(ctx, t.rdb, []string{accountKey(scope, email), addressKey(scope, ip)},
		time.Now().UnixMilli(), int(throttleMemory.Seconds())).Err()
	if err != nil {
		return fmt.Errorf("login throttle: %w", err)
	}
	return nil
}

// Succeed forgets the account's failures (the address keeps its count: one right password does not
// excuse a thousand wrong ones for other accounts).
func (t *Throttle) Succeed(ctx context.Context, scope, email string) error {
	if err := t.rdb.Del(ctx, accountKey(scope, email)).Err(); err != nil {
		return fmt.Errorf("login throttle: %w", err)
	}
	return nil
}

// Limit allows n actions per window for key (a fixed window in Redis, shared by every instance) and
// answers *ThrottledError beyond. It guards what anyone may do without an account: sign-ups, reset
// mails, invitation acceptances (each runs argon2id or sends mail).
func (t *Throttle) Limit(ctx context.Context, key string, n int, window time.Duration) error {
	k := "wagate:limit:" + key
	pipe := t.rdb.TxPipeline()
	incr := pipe.Incr(ctx, k)
	pipe.ExpireNX(ctx, k, window)
	ttl := pipe.PTTL(ctx, k)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("limit %s: %w", key, err)
	}
	if incr.Val() > int64(n) {
		return &ThrottledError{RetryAfter: max(ttl.Val(), time.Second)}
	}
	return nil
}
