package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/cluster"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// What a runner is trying to do with its session.
type want int

const (
	wantIdle    want = iota // nothing until a user asks (new, parked, logged out, banned, failed)
	wantConnect             // be logged in
	wantPair                // show pairing codes
	wantDelete              // finish a deletion
)

const (
	connectTimeout = 60 * time.Second
	logoutTimeout  = 15 * time.Second
	// refusalWait is how long a failed Connect waits for the refusal's event (ban, outdated …), which
	// drivers deliver through the handler, before it counts as a plain failure.
	refusalWait = 300 * time.Millisecond
)

type genEvent struct {
	gen int
	e   whatsapp.Event
}

// runner owns one held session: its Driver and its state machine. Only its own goroutine (run)
// touches the loop state; stop, poke and the lease fields are safe from any goroutine.
type runner struct {
	h        *Host
	id       uuid.UUID
	tenantID uuid.UUID
	fence    int64
	log      *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	events chan genEvent
	exited chan struct{} // closed by the host once run returned and the lease was released

	stopping  atomic.Bool
	release   atomic.Bool // give the lease up after stopping (graceful), rather than letting it expire
	abandoned atomic.Bool // crash simulation: leave the driver as it is
	seenSeq   atomic.Int64
	// valid is how long after base the client may run (lease expiry − StopMargin). Kept as an offset
	// from a time.Time taken at start, so comparisons use the monotonic clock: a wall clock stepped
	// back must not let the client outlive its lease.
	valid atomic.Int64
	base  time.Time

	mu  sync.Mutex
	drv whatsapp.Driver
	gen int

	// loop state
	row            store.WaSession
	device         whatsapp.JID
	lid            whatsapp.JID
	want           want
	linked         bool // believed logged in (status connected)
	connectedSince time.Time
	attempt        int
	failures       []time.Time
	retry          *time.Timer
	retryC         <-chan time.Time
	pairCh         <-chan whatsapp.PairEvent
	pairCancel     context.CancelFunc
	finished       bool
}

func newRunner(h *Host, tenantID uuid.UUID, lease cluster.Lease, validUntil time.Time) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{h: h, id: lease.SessionID, tenantID: tenantID, fence: lease.Fence,
		log: h.log.With("session_id", lease.SessionID, "fence", lease.Fence), ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), events: make(chan genEvent, 64), exited: make(chan struct{}), base: time.Now()}
	r.valid.Store(int64(validUntil.Sub(r.base)))
	return r
}

func (r *runner) setValidUntil(t time.Time) {
	off := int64(t.Sub(r.base))
	for {
		old := r.valid.Load()
		if off <= old || r.valid.CompareAndSwap(old, off) {
			return
		}
	}
}

func (r *runner) validUntil() time.Time { return r.base.Add(time.Duration(r.valid.Load())) }

func (r *runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *runner) driver() whatsapp.Driver {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.drv
}

// stop ends the runner. Without release the lease is left to expire: the lease is lost or in doubt,
// so the client is stopped at once, from the caller's goroutine, whatever the runner is doing.
func (r *runner) stop(why string, release bool) {
	if r.stopping.Swap(true) {
		return
	}
	r.release.Store(release)
	r.log.Info("stopping session", "why", why)
	r.cancel()
	if !release {
		if d := r.driver(); d != nil {
			go d.Disconnect()
		}
	}
}

func (r *runner) abandon() {
	r.abandoned.Store(true)
	r.stopping.Store(true)
	r.cancel()
}

func (r *runner) handler(gen int) whatsapp.Handler {
	return func(ctx context.Context, e whatsapp.Event) error {
		switch e.(type) {
		case whatsapp.MessageReceived, whatsapp.Receipt, whatsapp.Reaction, whatsapp.Edited, whatsapp.Revoked, whatsapp.HistorySynced:
			return r.h.inbound.Handle(ctx, Held{SessionID: r.id, TenantID: r.tenantID, Fence: r.fence}, e)
		}
		select {
		case r.events <- genEvent{gen: gen, e: e}:
		case <-r.ctx.Done():
		}
		return nil
	}
}

// reopen replaces the Driver with a fresh one for device (empty: unpaired); events of the old one are
// ignored from now on.
func (r *runner) reopen(device whatsapp.JID) error {
	r.mu.Lock()
	old := r.drv
	r.drv = nil
	r.gen++
	gen := r.gen
	r.mu.Unlock()
	if old != nil {
		old.Disconnect()
	}
	ref := whatsapp.SessionRef{ID: r.id, TenantID: r.tenantID, Device: device, Fence: r.fence}
	d, err := r.h.conn.Open(r.ctx, ref, r.handler(gen))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.drv = d
	r.mu.Unlock()
	r.device = device
	return nil
}

func (r *runner) run() {
	defer func() {
		r.cancelPair()
		r.stopRetry()
		if !r.abandoned.Load() {
			if d := r.driver(); d != nil {
				d.Disconnect()
			}
		}
	}()
	row, err := store.New(r.h.db).SessionHostGet(r.ctx, store.SessionHostGetParams{TenantID: r.tenantID, ID: r.id})
	if err != nil {
		if !store.IsNotFound(err) {
			r.log.Warn("load held session", "err", err)
			r.release.Store(true)
		}
		return
	}
	r.row = row
	if row.DeviceJid != "" {
		if jid, err := whatsapp.ParseJID(row.DeviceJid); err == nil {
			r.device = jid
		}
	}
	if err := r.reopen(r.device); err != nil {
		r.log.Warn("open driver", "err", err)
		r.release.Store(true) // let another attempt (here or elsewhere) try again
		return
	}
	r.resume()
	watchdog := time.NewTicker(r.h.cfg.WatchdogEvery)
	defer watchdog.Stop()
	for !r.finished {
		select {
		case <-r.ctx.Done():
			return
		case <-r.wake:
			r.refresh()
		case ge := <-r.events:
			r.mu.Lock()
			cur := r.gen
			r.mu.Unlock()
			if ge.gen == cur {
				r.onEvent(ge.e)
			}
		case pe, ok := <-r.pairCh:
			if !ok {
				r.pairCh = nil
				continue
			}
			r.onPair(pe)
		case <-r.retryC:
			r.retryC = nil
			r.act()
		case <-watchdog.C:
			r.watch()
		}
	}
}

// resume picks up a newly held session where its row says it is.
func (r *runner) resume() {
	row := r.row
	if row.DeletedAt != nil {
		r.seenSeq.Store(row.IntentSeq)
		r.startDelete()
		return
	}
	if row.IntentSeq > row.IntentDoneSeq {
		r.seenSeq.Store(row.IntentSeq)
		r.handleIntent(row.Intent)
		return
	}
	r.seenSeq.Store(row.IntentSeq)
	switch {
	case row.DeviceJid != "" && (row.Status == StatusConnected || row.Status == StatusConnecting || row.Status == StatusDisconnected):
		r.want = wantConnect
		r.act()
	case row.Status == StatusPairing:
		if row.PairRequestedAt != nil && time.Since(*row.PairRequestedAt) < r.h.cfg.PairWindow {
			r.want = wantPair
			r.act()
		} else {
			r.save(StatusNew, reasonPairInterrupted, clearPairing)
		}
	}
}

// refresh rereads the row after a wake-up and carries out a request it has not seen.
func (r *runner) refresh() {
	row, err := store.New(r.h.db).SessionHostGet(r.ctx, store.SessionHostGetParams{TenantID: r.tenantID, ID: r.id})
	if store.IsNotFound(err) {
		r.finished = true
		return
	} else if err != nil {
		r.log.Warn("reload session", "err", err)
		return
	}
	r.row = row
	if row.DeviceJid != r.device.String() && !r.linked && r.pairCh == nil {
		// The device changed behind this holder (linked elsewhere, or wiped): drive the new one.
		var jid whatsapp.JID
		if row.DeviceJid != "" {
			jid, _ = whatsapp.ParseJID(row.DeviceJid)
		}
		if err := r.reopen(jid); err != nil {
			r.log.Warn("open driver", "err", err)
		}
	}
	if row.IntentSeq <= r.seenSeq.Load() {
		return
	}
	r.seenSeq.Store(row.IntentSeq)
	if row.DeletedAt != nil {
		r.startDelete()
		return
	}
	r.handleIntent(row.Intent)
}

func (r *runner) handleIntent(intent string) {
	r.log.Info("carrying out request", "intent", intent)
	switch intent {
	case "delete":
		r.startDelete()
	case "logout":
		r.logout()
	case "pair":
		if r.row.DeviceJid != "" && r.row.Status != StatusLoggedOut {
			r.save(r.row.Status, r.row.StatusReason, nil) // nothing to do; record it as done
			return
		}
		r.failures, r.attempt = nil, 0
		r.want = wantPair
		r.act()
	case "park": // an operator's force disconnect: stay down until someone reconnects
		r.failures, r.attempt = nil, 0
		r.halt(StatusParked, r.row.StatusReason, nil)
	case "reconnect":
		if r.device.IsEmpty() {
			return
		}
		r.failures, r.attempt = nil, 0
		if r.linked {
			r.linked = false
			if d := r.driver(); d != nil {
				d.Disconnect()
			}
		}
		r.want = wantConnect
		r.act()
	}
}

// act makes the next attempt at what the runner wants.
func (r *runner) act() {
	r.stopRetry()
	if r.ctx.Err() != nil {
		return
	}
	switch r.want {
	case wantConnect:
		r.connect()
	case wantPair:
		r.pair()
	case wantDelete:
		r.finishDelete()
	}
}

func (r *runner) connect() {
	if time.Now().After(r.validUntil()) {
		return // the guard is about to stop this runner: never connect on a lease in doubt
	}
	if r.device.IsEmpty() {
		r.want = wantIdle
		return
	}
	if !r.save(StatusConnecting, reasonConnecting, nil) {
		return
	}
	d := r.driver()
	if d == nil { // a reopen failed (e.g. the device store did not answer): try again, then retry later
		if err := r.reopen(r.device); err != nil {
			r.fail("Could not open the session's keys (" + err.Error() + ")")
			return
		}
		d = r.driver()
	}
	cctx, cancel := context.WithTimeout(r.ctx, connectTimeout)
	err := d.Connect(cctx)
	cancel()
	if r.ctx.Err() != nil {
		return
	}
	if err == nil {
		return // Connected follows through the handler
	}
	if errors.Is(err, whatsapp.ErrLoggedOut) || errors.Is(err, whatsapp.ErrNotPaired) {
		r.awaitRefusal()
		if r.want == wantConnect {
			r.loggedOut(reasonNotPaired(err))
		}
		return
	}
	if r.awaitRefusal(); r.want != wantConnect {
		return // a ban, an outdated client … stopped it
	}
	r.fail("Could not connect to WhatsApp (" + err.Error() + ")")
}

// awaitRefusal handles the events a refused Connect sends through the handler, briefly.
func (r *runner) awaitRefusal() {
	t := time.NewTimer(refusalWait)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return
		case <-r.ctx.Done():
			return
		case ge := <-r.events:
			r.mu.Lock()
			cur := r.gen
			r.mu.Unlock()
			if ge.gen == cur {
				r.onEvent(ge.e)
			}
			if r.want != wantConnect {
				return
			}
		}
	}
}

func (r *runner) pair() {
	r.cancelPair()
	r.linked = false
	if err := r.reopen(whatsapp.JID{}); err != nil {
		r.fail("Could not prepare pairing (" + err.Error() + ")")
		return
	}
	d := r.driver()
	cctx, cancel := context.WithTimeout(r.ctx, connectTimeout)
	err := d.Connect(cctx)
	cancel()
	if r.ctx.Err() != nil {
		return
	}
	if err != nil {
		r.fail("Could not reach WhatsApp to start pairing (" + err.Error() + ")")
		return
	}
	phone := ""
	if r.row.PairMethod == "code" {
		phone = r.row.PairPhone
	}
	pctx, pcancel := context.WithCancel(r.ctx)
	ch, err := d.Pair(pctx, phone)
	if err != nil {
		pcancel()
		if errors.Is(err, whatsapp.ErrInvalidPhone) {
			r.want = wantIdle
			r.save(StatusNew, "WhatsApp refused the phone number +"+phone+" for a pairing code. Check it and start pairing again.", clearPairing)
			return
		}
		r.fail("Could not start pairing (" + err.Error() + ")")
		return
	}
	r.pairCh, r.pairCancel = ch, pcancel
}

func (r *runner) onPair(pe whatsapp.PairEvent) {
	now := time.Now()
	switch pe.Kind {
	case whatsapp.PairQR:
		exp := now.Add(pe.ValidFor)
		r.save(StatusPairing, reasonScanQR, func(s *store.WaSession) {
			s.Qr, s.QrExpiresAt, s.PairCode, s.PairCodeExpiresAt = pe.QR, &exp, "", nil
		})
	case whatsapp.PairCode:
		exp := now.Add(pe.ValidFor)
		r.save(StatusPairing, reasonEnterCode, func(s *store.WaSession) {
			s.PairCode, s.PairCodeExpiresAt, s.Qr, s.QrExpiresAt = pe.Code, &exp, "", nil
		})
	case whatsapp.PairSuccess:
		r.paired(pe.Device, whatsapp.JID{})
	case whatsapp.PairTimeout:
		r.halt(StatusNew, reasonPairTimeout, clearPairing)
	case whatsapp.PairFailed:
		why := "unknown error"
		if pe.Err != nil {
			why = pe.Err.Error()
		}
		r.halt(StatusFailed, "Pairing failed ("+why+"). Start pairing again.", clearPairing)
	}
}

// paired records the new device; Connected follows (it may also have come first).
func (r *runner) paired(device, lid whatsapp.JID) {
	r.want = wantConnect
	r.failures, r.attempt = nil, 0
	r.device = device
	if !lid.IsEmpty() {
		r.lid = lid
	}
	status, reason := StatusConnecting, reasonPaired
	if r.linked {
		status, reason = r.row.Status, r.row.StatusReason
	}
	r.save(status, reason, func(s *store.WaSession) {
		clearPairing(s)
		s.DeviceJid, s.Phone = device.String(), device.User
		if !lid.IsEmpty() {
			s.Lid = lid.String()
		}
	})
}

func (r *runner) onEvent(e whatsapp.Event) {
	switch ev := e.(type) {
	case whatsapp.Connected:
		if r.want == wantIdle || r.want == wantDelete {
			return
		}
		r.want = wantConnect
		r.linked = true
		r.connectedSince = time.Now()
		r.stopRetry()
		now := time.Now()
		r.save(StatusConnected, reasonConnected, func(s *store.WaSession) {
			clearPairing(s)
			s.ConnectedAt = &now
			if !r.device.IsEmpty() {
				s.DeviceJid, s.Phone = r.device.String(), r.device.User
			}
		})
	case whatsapp.PairSucceeded:
		r.paired(ev.Device, ev.LID)
	case whatsapp.PushNameChanged:
		r.save(r.row.Status, r.row.StatusReason, func(s *store.WaSession) { s.PushName = ev.Name })
	case whatsapp.Disconnected:
		if !r.linked && r.want != wantConnect {
			return
		}
		r.linked = false
		why := ev.Reason
		if why == "" {
			why = "closed"
		}
		r.fail("The connection to WhatsApp was lost (" + why + ")")
	case whatsapp.LoggedOut:
		r.loggedOut(reasonLoggedOut(ev))
	case whatsapp.TemporaryBan:
		r.halt(StatusBanned, reasonBanned(ev, time.Now()), nil)
	case whatsapp.StreamReplaced:
		r.halt(StatusFailed, reasonReplaced, nil)
	case whatsapp.ClientOutdated:
		r.halt(StatusFailed, reasonOutdated, nil)
	case whatsapp.ConnectFailure:
		r.halt(StatusFailed, reasonConnectFailure(ev), nil)
	case whatsapp.KeepAliveTimeout:
		stale := r.h.cfg.StaleAfter > 0 && !ev.LastSuccess.IsZero() && time.Since(ev.LastSuccess) > r.h.cfg.StaleAfter
		if r.linked && (stale || ev.ErrorCount >= 3) {
			r.relink(fmt.Sprintf("WhatsApp stopped answering keep-alive pings (%d missed)", ev.ErrorCount))
		}
	}
}

// watch is the watchdog: a session we believe connected whose Driver says otherwise, or whose link has
// been silent too long, is reconnected.
func (r *runner) watch() {
	if !r.linked {
		return
	}
	d := r.driver()
	if d == nil {
		return
	}
	st := d.State()
	switch {
	case !st.LoggedIn:
		r.relink("The link had dropped without notice")
	case r.h.cfg.StaleAfter > 0 && time.Since(st.LastActivity) > r.h.cfg.StaleAfter:
		r.relink(fmt.Sprintf("No sign of life from WhatsApp for %s", time.Since(st.LastActivity).Round(time.Second)))
	}
}

func (r *runner) relink(what string) {
	r.log.Warn("watchdog: reconnecting", "why", what)
	r.linked = false
	if d := r.driver(); d != nil {
		d.Disconnect()
	}
	r.fail(what)
}

// fail counts a failure: park the session after ParkAfter within ParkWindow, else retry with backoff.
func (r *runner) fail(what string) {
	now := time.Now()
	if !r.connectedSince.IsZero() && now.Sub(r.connectedSince) >= r.h.cfg.StableAfter {
		r.failures, r.attempt = nil, 0
	}
	r.connectedSince = time.Time{}
	kept := r.failures[:0]
	for _, f := range r.failures {
		if now.Sub(f) < r.h.cfg.ParkWindow {
			kept = append(kept, f)
		}
	}
	r.failures = append(kept, now)
	if len(r.failures) >= r.h.cfg.ParkAfter {
		n := len(r.failures)
		r.failures, r.attempt = nil, 0
		r.halt(StatusParked, reasonParked(n, r.h.cfg.ParkWindow, what, r.want == wantPair), nil)
		return
	}
	r.attempt++
	d := backoff(r.attempt, r.h.cfg.BackoffMin, r.h.cfg.BackoffMax)
	status := StatusDisconnected
	if r.want == wantPair {
		status = StatusPairing
	}
	r.write(status, reasonRetry(what, d), nil, true)
	r.schedule(d)
}

// halt stops trying until a user acts.
func (r *runner) halt(status, reason string, f func(*store.WaSession)) {
	r.want = wantIdle
	r.linked = false
	r.stopRetry()
	r.cancelPair()
	if d := r.driver(); d != nil {
		d.Disconnect()
	}
	r.save(status, reason, f)
}

func (r *runner) loggedOut(reason string) {
	r.halt(StatusLoggedOut, reason, func(s *store.WaSession) {
		clearPairing(s)
		s.DeviceJid, s.Lid = "", ""
	})
	r.device = whatsapp.JID{}
}

// logout carries out a user's Logout: unlink on WhatsApp when connected, and wipe the keys anyway.
func (r *runner) logout() {
	d := r.driver()
	ref := whatsapp.SessionRef{ID: r.id, TenantID: r.tenantID, Device: r.device, Fence: r.fence}
	var err error
	if d != nil && d.State().LoggedIn {
		lctx, cancel := context.WithTimeout(r.ctx, logoutTimeout)
		err = d.Logout(lctx)
		cancel()
	}
	if d != nil {
		d.Disconnect()
	}
	if derr := r.h.conn.Delete(r.ctx, ref); derr != nil {
		r.log.Warn("wipe keys at logout", "err", errors.Join(err, derr))
		r.halt(StatusFailed, "Could not log out ("+derr.Error()+"). Try again.", nil)
		return
	} else if err != nil {
		r.log.Warn("logout on WhatsApp failed; keys wiped anyway", "err", err)
	}
	r.loggedOut(reasonLoggedOutByUser)
}

func (r *runner) startDelete() {
	r.want = wantDelete
	r.linked = false
	r.stopRetry()
	r.cancelPair()
	r.finishDelete()
}

// finishDelete logs out (when connected), wipes the keys, and removes the row under the lease.
func (r *runner) finishDelete() {
	d := r.driver()
	ref := whatsapp.SessionRef{ID: r.id, TenantID: r.tenantID, Device: r.device, Fence: r.fence}
	if d != nil {
		if d.State().LoggedIn {
			lctx, cancel := context.WithTimeout(r.ctx, logoutTimeout)
			if err := d.Logout(lctx); err != nil {
				r.log.Warn("logout of deleted session", "err", err)
			}
			cancel()
		}
		d.Disconnect()
	}
	if err := r.h.conn.Delete(r.ctx, ref); err != nil {
		r.log.Warn("wipe keys of deleted session; retrying", "err", err)
		r.schedule(backoff(2, r.h.cfg.BackoffMin, r.h.cfg.BackoffMax))
		return
	}
	n, err := store.New(r.h.db).SessionHostDelete(r.ctx, store.SessionHostDeleteParams{
		TenantID: r.tenantID, ID: r.id, InstanceID: r.h.cfg.Instance, Fence: r.fence,
	})
	if err != nil {
		r.log.Warn("remove deleted session; retrying", "err", err)
		r.schedule(backoff(2, r.h.cfg.BackoffMin, r.h.cfg.BackoffMax))
		return
	}
	if n == 1 {
		r.publish(Update{TenantID: r.tenantID, SessionID: r.id, Status: StatusDeleted, Reason: "Deleted.", At: time.Now().UTC()})
	}
	r.finished = true
}

// save writes the status and what f changes, under the lease, with a history row when the status
// changed, then publishes the update. False when nothing was written; a lost lease stops the runner.
func (r *runner) save(status, reason string, f func(*store.WaSession)) bool {
	return r.write(status, reason, f, false)
}

// write is save; always records a history event even when the status stays (a failed attempt while
// pairing, so the history shows each retry).
func (r *runner) write(status, reason string, f func(*store.WaSession), always bool) bool {
	next := r.row
	next.Status, next.StatusReason = status, reason
	if f != nil {
		f(&next)
	}
	changed := always || next.Status != r.row.Status
	inst := r.h.cfg.Instance
	var out store.WaSession
	err := store.WithTx(r.ctx, r.h.db, func(q *store.Queries) error {
		var err error
		out, err = q.SessionHostSave(r.ctx, store.SessionHostSaveParams{
			Status: next.Status, StatusReason: next.StatusReason, Phone: next.Phone, PushName: next.PushName,
			DeviceJid: next.DeviceJid, Lid: next.Lid, Qr: next.Qr, QrExpiresAt: next.QrExpiresAt,
			PairCode: next.PairCode, PairCodeExpiresAt: next.PairCodeExpiresAt, ConnectedAt: next.ConnectedAt,
			IntentDoneSeq: r.seenSeq.Load(), TenantID: r.tenantID, ID: r.id, InstanceID: inst, Fence: r.fence,
		})
		if err != nil {
			return err
		}
		if changed {
			return insertEvent(r.ctx, q, out, &inst)
		}
		return nil
	})
	if store.IsNotFound(err) {
		r.log.Warn("write refused: the lease is lost or the session is gone")
		r.stop("fenced write refused", false)
		return false
	} else if err != nil {
		if r.ctx.Err() == nil {
			r.log.Warn("save session status", "status", status, "err", err)
		}
		return false
	}
	r.row = out
	r.publish(updateOf(out))
	return true
}

func (r *runner) publish(u Update) {
	if r.h.bus == nil {
		return
	}
	if err := r.h.bus.Publish(r.ctx, TenantChannel(u.TenantID), u); err != nil && r.ctx.Err() == nil {
		r.log.Warn("publish session update", "err", err)
	}
}

func (r *runner) schedule(d time.Duration) {
	r.stopRetry()
	r.retry = time.NewTimer(d)
	r.retryC = r.retry.C
}

func (r *runner) stopRetry() {
	if r.retry != nil {
		r.retry.Stop()
	}
	r.retry, r.retryC = nil, nil
}

func (r *runner) cancelPair() {
	if r.pairCancel != nil {
		r.pairCancel()
	}
	r.pairCh, r.pairCancel = nil, nil
}

func clearPairing(s *store.WaSession) {
	s.Qr, s.QrExpiresAt, s.PairCode, s.PairCodeExpiresAt = "", nil, "", nil
}

// backoff is the delay before attempt n (1, 2, …): min·2^(n−1) capped at max, with "equal jitter"
// (half fixed, half random) so that sessions dropped together do not retry in lockstep.
func backoff(n int, min, max time.Duration) time.Duration {
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}
