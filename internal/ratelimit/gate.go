package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ErrGateBusy: the send cannot start within the caller's maximum wait. Returned as *WaitError.
var ErrGateBusy = errors.New("session send gate: the send must wait")

// WaitError says how long the caller should wait before trying the gate again.
// errors.Is(err, ErrGateBusy) holds.
type WaitError struct{ Wait time.Duration }

func (e *WaitError) Error() string {
	return fmt.Sprintf("session send gate: wait %s", e.Wait.Round(time.Millisecond))
}

// Is makes errors.Is(err, ErrGateBusy) true.
func (e *WaitError) Is(target error) bool { return target == ErrGateBusy }

// busyRetry is the wait suggested when the key is held past the caller's maximum wait: how long the
// holder's send will still take is unknown.
const busyRetry = 250 * time.Millisecond

// maxCompletions bounds one key's history whatever the pace (a Seed of a long list, a pace raised
// later); only the latest PerMinute completions are ever consulted.
const maxCompletions = 4096

// Gate is the last, in-process check before a session's driver sends: the Pacer's slots are decided
// in Redis, and a task may still reach the holder early or late after a network hop, so the holder
// keeps its own record of when each send of a session completed and makes the next one wait for
// DelayMin after the previous completion and for the per-minute cap over completions. It also makes
// the sends of one session serial. It is per process on purpose: only the holder of a session sends
// for it (a new holder taking a session over calls Seed). Idle keys are forgotten, so memory stays
// bounded by the sessions active in the last minute or so.
type Gate struct {
	mu        sync.Mutex
	keys      map[string]*gateKey
	lastSweep time.Time
}

type gateKey struct {
	held      bool
	freed     chan struct{} // closed when the current holder releases
	waiters   int           // callers inside Acquire: the key must not be forgotten under them
	done      []time.Time   // completion times, ascending: the last minute's, and always the latest
	keepUntil time.Time     // after this an idle key constrains nothing and may be forgotten
}

// NewGate returns an empty gate.
func NewGate() *Gate { return &Gate{keys: make(map[string]*gateKey)} }

// Acquire blocks until a send on key keeps at least pace.DelayMin after the previous send's
// completion and at most pace.PerMinute completions in any 60 s, then holds key exclusively until
// release is called: release(true) records now as a completion, release(false) (nothing was sent)
// records nothing. Calling release more than once is harmless. When the wait would exceed maxWait,
// Acquire returns a *WaitError with the wait instead, holding nothing.
func (g *Gate) Acquire(ctx context.Context, key string, pace Pace, maxWait time.Duration) (release func(sent bool), err error) {
	deadline := time.Now().Add(maxWait)
	g.mu.Lock()
	k := g.key(key)
	k.waiters++
	defer func() {
		k.waiters--
		g.mu.Unlock()
	}()
	for {
		now := time.Now()
		wait := k.wait(now, pace)
		if k.held {
			if !now.Before(deadline) {
				return nil, &WaitError{Wait: max(wait, pace.DelayMin, busyRetry)}
			}
			if err := g.sleep(ctx, k.freed, deadline.Sub(now)); err != nil {
				return nil, err
			}
			continue
		}
		if wait <= 0 {
			k.held = true
			k.freed = make(chan struct{})
			return g.releaser(k, pace), nil
		}
		if now.Add(wait).After(deadline) {
			return nil, &WaitError{Wait: wait}
		}
		// Another caller may take the key meanwhile: the loop checks again.
		if err := g.sleep(ctx, nil, wait); err != nil {
			return nil, err
		}
	}
}

// sleep waits, with g.mu released, for d, for freed to close, or for ctx to end.
func (g *Gate) sleep(ctx context.Context, freed <-chan struct{}, d time.Duration) error {
	g.mu.Unlock()
	defer g.mu.Lock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-freed:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func (g *Gate) releaser(k *gateKey, pace Pace) func(sent bool) {
	var once sync.Once
	return func(sent bool) {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			now := time.Now()
			if sent {
				k.done = append(k.done, now)
				k.prune(now)
			}
			k.held = false
			close(k.freed)
			k.keepUntil = later(k.keepUntil, now.Add(max(window, pace.DelayMin)))
		})
	}
}

// Seed gives a new holder of a session the completions its previous holder recorded (their times,
// in any order), so taking a session over does not reset its pacing.
func (g *Gate) Seed(key string, completions []time.Time) {
	if len(completions) == 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	k := g.key(key)
	k.done = append(k.done, completions...)
	slices.SortFunc(k.done, func(a, b time.Time) int { return a.Compare(b) })
	k.done = slices.CompactFunc(k.done, func(a, b time.Time) bool { return a.Equal(b) })
	k.prune(time.Now())
	k.keepUntil = later(k.keepUntil, k.done[len(k.done)-1].Add(window))
}

// key returns key's state, creating it, and now and then forgets idle keys. Callers hold g.mu.
func (g *Gate) key(key string) *gateKey {
	now := time.Now()
	if now.Sub(g.lastSweep) > window {
		g.lastSweep = now
		for name, k := range g.keys {
			if !k.held && k.waiters == 0 && now.After(k.keepUntil) {
				delete(g.keys, name)
			}
		}
	}
	k, ok := g.keys[key]
	if !ok {
		k = &gateKey{}
		g.keys[key] = k
	}
	return k
}

// wait is how long until a send may start under pace (<= 0: now). Callers hold g.mu.
func (k *gateKey) wait(now time.Time, pace Pace) time.Duration {
	k.prune(now)
	var w time.Duration
	if n := len(k.done); n > 0 && pace.DelayMin > 0 {
		w = k.done[n-1].Add(pace.DelayMin).Sub(now)
	}
	// The send completes after it starts, so starting only once the PerMinute-th latest completion
	// is 60 s old keeps every 60 s window of completions at PerMinute or fewer.
	if n := len(k.done); pace.PerMinute > 0 && n >= pace.PerMinute {
		w = max(w, k.done[n-pace.PerMinute].Add(window).Sub(now))
	}
	return w
}

// prune drops completions older than the window, keeping the latest (for DelayMin, which may be
// longer than the window), and caps the history.
func (k *gateKey) prune(now time.Time) {
	i := 0
	for i < len(k.done)-1 && !k.done[i].After(now.Add(-window)) {
		i++
	}
	if n := len(k.done) - i; n > maxCompletions {
		i += n - maxCompletions
	}
	if i > 0 {
		k.done = slices.Delete(k.done, 0, i)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
