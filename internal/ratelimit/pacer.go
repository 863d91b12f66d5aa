package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pace is how fast one session may send: at most PerMinute sends in any 60 s window (<= 0: no cap),
// and a random delay drawn from [DelayMin, DelayMax] between one send and the next (DelayMax 0: none).
type Pace struct {
	PerMinute          int
	DelayMin, DelayMax time.Duration
}

// PlanPace is the pace of a plan's columns: sends per minute and the random delay range in
// milliseconds.
func PlanPace(perMinute, delayMinMs, delayMaxMs int32) Pace {
	return Pace{PerMinute: int(perMinute), DelayMin: time.Duration(delayMinMs) * time.Millisecond,
		DelayMax: time.Duration(delayMaxMs) * time.Millisecond}
}

// unlimited reports whether p constrains nothing, so no Redis round trip is needed.
func (p Pace) unlimited() bool { return p.PerMinute <= 0 && p.DelayMax <= 0 }

// drawDelay picks the gap after the previous slot, in whole milliseconds, uniformly in
// [DelayMin, DelayMax]. It is drawn here rather than in Lua because a script must be deterministic
// for replication only up to Redis 5, and because Go's generator is better than math.random.
func (p Pace) drawDelay() int64 {
	if p.DelayMax <= 0 {
		return 0
	}
	hi := p.DelayMax.Milliseconds()
	// Round the minimum up, so a drawn gap is never shorter than DelayMin.
	lo := (p.DelayMin + time.Millisecond - 1).Milliseconds()
	if lo < 0 {
		lo = 0
	}
	if lo >= hi {
		return lo
	}
	return lo + mrand.Int64N(hi-lo+1)
}

// staleTicket is how far in the past a ticket's slot may lie and still be used: a task that ran
// later than that gets a new slot, so a backlog of late tasks does not go out in one burst.
const staleTicket = 5 * time.Second

// window is the span of the per-minute cap.
const window = time.Minute

// Pacer hands out send slots per session, cluster-wide: every instance asks the same Redis, and one
// script decides each slot atomically. A slot may lie in the future; the caller re-schedules its
// task to that time instead of holding a worker while it waits, so a long queue of one session gets
// distinct, properly spaced future slots rather than waking all at once.
//
// Per key, a sorted set wagate:pace:<key> holds the times of the latest slots (as many as the
// per-minute cap, at least one), in milliseconds of Redis's clock (so instances with skewed clocks
// agree). A new slot is the latest of: now, the previous slot plus the drawn delay, and the
// PerMinute-th latest slot plus 60 s; so any PerMinute+1 consecutive slots span at least 60 s, and
// no 60 s window [t, t+60s) holds more than PerMinute of them. Keys expire once idle.
//
// Ticket state (wagate:pace:ticket:<id>) lives apart from the session's set, so on Redis Cluster the
// two keys of one call would need to share a hash slot, which this layout does not give: the pacer
// assumes one Redis (or Sentinel), as the rest of wagate: keys do.
type Pacer struct {
	rdb redis.UniversalClient
}

// NewPacer returns a pacer on rdb.
func NewPacer(rdb redis.UniversalClient) *Pacer { return &Pacer{rdb: rdb} }

// paceSlot reserves a slot. KEYS[1]: the session's slot set; KEYS[2] (tickets only): the ticket.
// ARGV: delay ms, per-minute cap (<= 0: none), member prefix, max wait ms (< 0: any), stale ms,
// idle ms (how long the set matters after its latest slot). Returns {reserved, wait_ms}; wait_ms
// may be negative for a ticket whose slot has just passed.
var paceSlot = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stale = tonumber(ARGV[5])
if #KEYS > 1 then
  local held = tonumber(redis.call('GET', KEYS[2]))
  if held and held >= now - stale then
    return {1, held - now}
  end
end
local delay = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local slot = now
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then slot = math.max(slot, tonumber(last[2]) + delay) end
if per > 0 then
  local kth = redis.call('ZRANGE', KEYS[1], -per, -per, 'WITHSCORES')
  if kth[2] then slot = math.max(slot, tonumber(kth[2]) + 60000) end
end
local wait = slot - now
local maxWait = tonumber(ARGV[4])
if maxWait >= 0 and wait > maxWait then
  return {0, wait}
end
redis.call('ZADD', KEYS[1], slot, ARGV[3] .. ':' .. slot)
local keep = per
if keep < 1 then keep = 1 end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(keep + 1))
redis.call('PEXPIRE', KEYS[1], wait + tonumber(ARGV[6]))
if #KEYS > 1 then
  redis.call('SET', KEYS[2], slot, 'PX', wait + stale + 60000)
end
return {1, wait}
`)

func slotsKey(key string) string       { return "wagate:pace:" + key }
func ticketKey(ticketID string) string { return "wagate:pace:ticket:" + ticketID }

// idleMs is how long after its latest slot a key still constrains the next one.
func (p Pace) idleMs() int64 {
	idle := window
	if p.DelayMax > idle {
		idle = p.DelayMax
	}
	return (idle + time.Second).Milliseconds()
}

func (p *Pacer) run(ctx context.Context, keys []string, pace Pace, member string, maxWait time.Duration) (bool, time.Duration, error) {
	mw := int64(-1)
	if maxWait >= 0 {
		mw = maxWait.Milliseconds()
	}
	v, err := paceSlot.Run(ctx, p.rdb, keys, pace.drawDelay(), pace.PerMinute, member, mw,
		staleTicket.Milliseconds(), pace.idleMs()).Int64Slice()
	if err != nil {
		return false, 0, err
	}
	return v[0] == 1, time.Duration(v[1]) * time.Millisecond, nil
}

// Ticket reserves, once per ticketID, a send slot for key (a session id) and returns how long until
// it; <= 0 means send now. Calling again with the same ticketID returns the remaining wait of the
// same slot, so a task re-scheduled to its slot finds it waiting, unless that slot is more than 5 s
// in the past: then a new slot is reserved, because a task that ran very late must not burst.
func (p *Pacer) Ticket(ctx context.Context, key, ticketID string, pace Pace) (time.Duration, error) {
	if pace.unlimited() {
		return 0, nil
	}
	_, wait, err := p.run(ctx, []string{slotsKey(key), ticketKey(ticketID)}, pace, "t:"+ticketID, -1)
	if err != nil {
		return 0, fmt.Errorf("pace ticket %s: %w", ticketID, err)
	}
	return wait, nil
}

// Release forgets a ticket once its message was sent or canceled. Its slot stays in the session's
// history: it was spent (or, if canceled, costs at most one gap), which keeps the limits safe.
func (p *Pacer) Release(ctx context.Context, ticketID string) error {
	if err := p.rdb.Del(ctx, ticketKey(ticketID)).Err(); err != nil {
		return fmt.Errorf("release pace ticket %s: %w", ticketID, err)
	}
	return nil
}

// Reserve takes a one-off slot for key (number checks, which are paced like sends): only when its
// wait is at most maxWait. Otherwise nothing is reserved and ok is false, with the wait the caller
// would have had (for a Retry-After).
func (p *Pacer) Reserve(ctx context.Context, key string, pace Pace, maxWait time.Duration) (wait time.Duration, ok bool, err error) {
	if pace.unlimited() {
		return 0, true, nil
	}
	if maxWait < 0 {
		maxWait = 0
	}
	ok, wait, err = p.run(ctx, []string{slotsKey(key)}, pace, "r:"+randomID(), maxWait)
	if err != nil {
		return 0, false, fmt.Errorf("pace reserve %s: %w", key, err)
	}
	return wait, ok, nil
}

// randomID names a one-off slot in the sorted set (members must be distinct).
func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
