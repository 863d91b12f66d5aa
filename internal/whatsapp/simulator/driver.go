package simulator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// Account states and connection end reasons, as stored.
const (
	statePaired    = "paired"
	stateLoggedOut = "logged_out"
	stateDeleted   = "deleted"

	logoutOwn    = "own"
	logoutRemote = "remote"

	reasonClosed        = "closed"
	reasonReplaced      = "replaced"
	reasonHeartbeatLost = "heartbeat_lost"
	reasonLoggedOut     = "logged_out"
	reasonBanned        = "banned"
	reasonDropped       = "dropped"
)

// Driver is one session's simulated link. Its methods are safe for concurrent use.
//
// Goroutines: while logged in, a link goroutine heartbeats and polls the connection's row (ended by
// WhatsApp? frozen? inbox due?); a dispatcher goroutine hands events to the handler one at a time, in
// order; a pairing goroutine runs while Pair's channel is open. Disconnect stops them all and waits,
// except for a handler call in progress (a handler may itself call Disconnect).
type Driver struct {
	c  *Connector
	on whatsapp.Handler

	cmu sync.Mutex // serialises Connect and Logout
	hmu sync.Mutex // held around each handler call: one at a time, even across Disconnect/Connect

	mu           sync.Mutex
	ref          whatsapp.SessionRef
	gen          uint64 // bumped by Disconnect: work of an older generation stops
	link         *link  // the live logged-in connection; nil when not logged in
	preLogin     bool   // Connect of an unpaired session: the socket is open, waiting to pair
	pairing      *pairing
	loggedOut    bool // Logout, or a LoggedOut while linked: Connect fails with ErrLoggedOut
	lastActivity time.Time
	queue        []whatsapp.Event // local events waiting for the handler
	inboxDue     bool             // the link saw due inbox rows
	dispatchDone chan struct{}    // the dispatcher of this generation, nil when none runs
	inHandler    bool
	wake         chan struct{}
	hctx         context.Context // handed to the handler; canceled by Disconnect
	hcancel      context.CancelFunc
}

var _ whatsapp.Driver = (*Driver)(nil)

// link is one logged-in connection (a sim_connections row) and its goroutine.
type link struct {
	id     int64
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	frozen atomic.Bool // the row was frozen: the link is silently dead
	netCut atomic.Bool // the network went down under it: WhatsApp never heard it close
}

func newDriver(c *Connector, ref whatsapp.SessionRef, on whatsapp.Handler) *Driver {
	d := &Driver{c: c, on: on, ref: ref, wake: make(chan struct{}, 1)}
	d.hctx, d.hcancel = context.WithCancel(context.Background())
	return d
}

// Ref returns the session as the driver knows it now (Device is set once pairing succeeded).
func (d *Driver) Ref() whatsapp.SessionRef {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ref
}

// Connect logs a paired session in, recording a new connection under ref.Fence; a live connection of
// the same session (from any process) ends as replaced, or as heartbeat_lost when its holder had
// stopped heartbeating. For an unpaired session it only opens the pre-login socket (Pair follows). It
// is a no-op while already logged in. A refused login sends its event (LoggedOut, TemporaryBan,
// ClientOutdated, ConnectFailure) to the handler and returns ErrLoggedOut or a *RefusedError.
func (d *Driver) Connect(ctx context.Context) error {
	d.cmu.Lock()
	defer d.cmu.Unlock()
	if err := d.c.dialErr(); err != nil {
		return err
	}
	d.mu.Lock()
	if d.link != nil {
		d.mu.Unlock()
		return nil
	}
	ref, gen, loggedOut := d.ref, d.gen, d.loggedOut
	if ref.Device.IsEmpty() {
		defer d.mu.Unlock()
		if loggedOut {
			return whatsapp.ErrLoggedOut
		}
		d.preLogin = true
		d.lastActivity = time.Now()
		return nil
	}
	d.mu.Unlock()

	conn, refused, err := d.c.login(ctx, ref)
	if err != nil {
		return fmt.Errorf("simulator: connect session %s: %w", ref.ID, err)
	}
	if refused != nil {
		d.mu.Lock()
		if errors.Is(refused.err, whatsapp.ErrLoggedOut) {
			d.loggedOut = true
		}
		if refused.event != nil {
			d.enqueueLocked(refused.event)
		}
		d.mu.Unlock()
		return refused.err
	}
	d.mu.Lock()
	if d.gen != gen {
		d.mu.Unlock()
		d.c.endConnection(conn.ID, reasonClosed, "disconnected while connecting")
		return fmt.Errorf("simulator: connect session %s: disconnected meanwhile: %w", ref.ID, whatsapp.ErrNotConnected)
	}
	d.startLinkLocked(conn.ID)
	d.enqueueLocked(whatsapp.Connected{})
	d.mu.Unlock()
	return nil
}

// Disconnect closes the link (its connection ends as closed), stops pairing and drops events not yet
// handed to the handler. The session stays paired. A frozen link or one whose network is down ends
// without WhatsApp hearing it: its connection is left to end as heartbeat_lost.
func (d *Driver) Disconnect() {
	d.mu.Lock()
	l, p := d.link, d.pairing
	d.link, d.pairing = nil, nil
	d.preLogin = false
	d.gen++
	d.queue = nil
	d.inboxDue = false
	wait := d.dispatchDone
	if d.inHandler {
		wait = nil // the handler may be the caller; the dispatcher exits when it returns
	}
	d.dispatchDone = nil
	d.hcancel()
	d.hctx, d.hcancel = context.WithCancel(context.Background())
	d.mu.Unlock()
	d.poke()

	if l != nil {
		l.cancel()
		<-l.done
		if !l.frozen.Load() && !l.netCut.Load() && !d.c.isDown() {
			d.c.endConnection(l.id, reasonClosed, "disconnected by its holder")
		}
	}
	if p != nil {
		p.cancel(errDisconnected)
		<-p.done
	}
	if wait != nil {
		<-wait
	}
}

var errDisconnected = fmt.Errorf("simulator: disconnected: %w", whatsapp.ErrNotConnected)

// State is the driver's own view: a frozen link still claims to be connected, but its LastActivity
// stops moving.
func (d *Driver) State() whatsapp.LinkState {
	d.mu.Lock()
	defer d.mu.Unlock()
	return whatsapp.LinkState{
		Connected:    d.link != nil || d.preLogin || d.pairing != nil,
		LoggedIn:     d.link != nil,
		LastActivity: d.lastActivity,
	}
}

// Logout unlinks the device on WhatsApp: the account is logged out (its keys void), the connection
// ends as logged_out, and WhatsApp drops what it queued for the session. Like whatsmeow, no LoggedOut
// event follows one's own logout. It needs a live link; offline, use Connector.Delete.
func (d *Driver) Logout(ctx context.Context) error {
	d.cmu.Lock()
	defer d.cmu.Unlock()
	d.mu.Lock()
	l, ref := d.link, d.ref
	d.mu.Unlock()
	if l == nil {
		return whatsapp.ErrNotConnected
	}
	if l.frozen.Load() {
		return d.hang(ctx, l)
	}
	// Stop the link first so it cannot report our own logout as a LoggedOut event.
	d.mu.Lock()
	if d.link == l {
		d.link = nil
	}
	d.mu.Unlock()
	l.cancel()
	<-l.done
	err := store.WithTx(ctx, d.c.db, func(q *store.Queries) error {
		if _, err := q.SimAccountGetForUpdate(ctx, ref.ID); err != nil {
			return err
		}
		if _, err := q.SimAccountSetState(ctx, store.SimAccountSetStateParams{
			SessionID: ref.ID, State: stateLoggedOut, LogoutReason: logoutOwn,
		}); err != nil {
			return err
		}
		if _, err := q.SimConnectionEnd(ctx, store.SimConnectionEndParams{
			ID: l.id, EndReason: ptr(reasonLoggedOut), EndDetail: "logged out by its holder",
		}); err != nil {
			return err
		}
		return q.SimInboxDeleteBySession(ctx, ref.ID)
	})
	if err != nil {
		d.c.endConnection(l.id, reasonClosed, "logout failed")
		return fmt.Errorf("simulator: logout session %s: %w", ref.ID, err)
	}
	d.mu.Lock()
	d.loggedOut = true
	d.ref.Device = whatsapp.JID{}
	d.mu.Unlock()
	return nil
}

// startLinkLocked starts the goroutine of a new logged-in connection. d.mu is held.
func (d *Driver) startLinkLocked(connID int64) {
	ctx, cancel := context.WithCancel(context.Background())
	l := &link{id: connID, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	d.link = l
	d.preLogin = false
	d.loggedOut = false
	d.inboxDue = true // WhatsApp delivers what queued while the session was away
	d.lastActivity = time.Now()
	go d.runLink(l, d.c.netWatch())
}

// runLink heartbeats the connection and polls its row until the link ends.
func (d *Driver) runLink(l *link, netDown <-chan struct{}) {
	defer close(l.done)
	defer l.cancel()
	poll := time.NewTicker(d.c.opts.PollInterval)
	defer poll.Stop()
	beat := time.NewTicker(d.c.opts.HeartbeatInterval)
	defer beat.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-netDown:
			l.netCut.Store(true)
			d.linkLost(l, whatsapp.Disconnected{Reason: "network down"})
			return
		case <-beat.C:
			if l.frozen.Load() {
				continue
			}
			n, err := d.c.q.SimConnectionHeartbeat(l.ctx, l.id)
			if err != nil {
				d.logErr(l.ctx, "heartbeat", err)
			} else if n == 1 {
				d.touch()
			}
		case <-poll.C:
			if l.frozen.Load() {
				continue // silently dead: it hears nothing more
			}
			row, err := d.c.q.SimConnectionPoll(l.ctx, l.id)
			if err != nil {
				d.logErr(l.ctx, "poll connection", err)
				continue
			}
			if row.EndedAt != nil {
				d.linkLost(l, d.endEvent(l.ctx, row))
				return
			}
			if row.Frozen {
				l.frozen.Store(true)
				continue
			}
			if row.InboxDue {
				d.mu.Lock()
				d.inboxDue = true
				d.mu.Unlock()
				d.poke()
			}
		}
	}
}

// endEvent is what the holder of a connection that WhatsApp ended hears.
func (d *Driver) endEvent(ctx context.Context, row store.SimConnectionPollRow) whatsapp.Event {
	reason := ""
	if row.EndReason != nil {
		reason = *row.EndReason
	}
	switch reason {
	case reasonReplaced, reasonHeartbeatLost:
		return whatsapp.StreamReplaced{}
	case reasonLoggedOut:
		code := int(row.EndCode)
		if code == 0 {
			code = 401
		}
		return whatsapp.LoggedOut{Code: code, Reason: row.EndDetail}
	case reasonBanned:
		d.mu.Lock()
		id := d.ref.ID
		d.mu.Unlock()
		return d.c.banEvent(ctx, id)
	default:
		detail := row.EndDetail
		if detail == "" {
			detail = reason
		}
		return whatsapp.Disconnected{Reason: detail}
	}
}

// linkLost records that the link ended without Disconnect, and queues the event saying why.
func (d *Driver) linkLost(l *link, e whatsapp.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.link != l {
		return
	}
	d.link = nil
	if _, ok := e.(whatsapp.LoggedOut); ok {
		d.loggedOut = true
	}
	d.enqueueLocked(e)
}

func (d *Driver) touch() {
	d.mu.Lock()
	d.lastActivity = time.Now()
	d.mu.Unlock()
}

func (d *Driver) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// enqueueLocked queues local events for the handler and makes sure a dispatcher runs. d.mu is held.
func (d *Driver) enqueueLocked(evs ...whatsapp.Event) {
	d.queue = append(d.queue, evs...)
	if d.dispatchDone == nil {
		done := make(chan struct{})
		d.dispatchDone = done
		go d.dispatch(d.gen, d.hctx, done)
	}
	d.poke()
}

// errStale means the event belongs to a generation Disconnect ended.
var errStale = errors.New("simulator: stale generation")

// dispatch hands local events, then due inbox rows, to the handler, one at a time. It exits when its
// generation ends, or when there is no link and nothing queued.
func (d *Driver) dispatch(gen uint64, ctx context.Context, done chan struct{}) {
	defer close(done)
	for {
		d.mu.Lock()
		if d.gen != gen {
			d.mu.Unlock()
			return
		}
		if len(d.queue) > 0 {
			e := d.queue[0]
			d.queue = d.queue[1:]
			d.mu.Unlock()
			_ = d.deliver(ctx, gen, e) // link events are not redelivered, as with whatsmeow
			continue
		}
		l := d.link
		if l == nil {
			d.dispatchDone = nil
			d.mu.Unlock()
			return
		}
		if d.inboxDue && !l.frozen.Load() {
			d.inboxDue = false
			d.mu.Unlock()
			d.drainInbox(ctx, gen, l)
			continue
		}
		d.mu.Unlock()
		select {
		case <-d.wake:
		case <-ctx.Done():
		}
	}
}

// deliver calls the handler for e unless e's generation ended.
func (d *Driver) deliver(ctx context.Context, gen uint64, e whatsapp.Event) error {
	d.hmu.Lock()
	defer d.hmu.Unlock()
	d.mu.Lock()
	if d.gen != gen {
		d.mu.Unlock()
		return errStale
	}
	d.inHandler = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.inHandler = false
		d.mu.Unlock()
	}()
	return d.on(ctx, e)
}

const inboxBatch = 64

// drainInbox delivers the session's due inbox rows in order and deletes each once its handler
// returned nil; a failed one waits RedeliverAfter and comes again (at-least-once).
func (d *Driver) drainInbox(ctx context.Context, gen uint64, l *link) {
	sessionID := d.Ref().ID
	rows, err := d.c.q.SimInboxDue(ctx, store.SimInboxDueParams{SessionID: sessionID, MaxRows: inboxBatch})
	if err != nil {
		d.logErr(ctx, "read inbox", err)
		return
	}
	for _, r := range rows {
		d.mu.Lock()
		ok := d.gen == gen && d.link == l && !l.frozen.Load() && len(d.queue) == 0
		d.mu.Unlock()
		if !ok {
			d.mu.Lock()
			d.inboxDue = true // come back for the rest
			d.mu.Unlock()
			return
		}
		e, err := decodeEvent(r.Kind, r.Payload)
		if err != nil {
			d.logErr(ctx, "undecodable inbox row dropped", err)
			_, _ = d.c.q.SimInboxAck(ctx, r.ID)
			continue
		}
		herr := d.deliver(ctx, gen, e)
		if errors.Is(herr, errStale) {
			return
		}
		if herr != nil {
			if err := d.c.q.SimInboxRetry(ctx, store.SimInboxRetryParams{
				ID: r.ID, DelaySeconds: d.c.opts.RedeliverAfter.Seconds(),
			}); err != nil {
				d.logErr(ctx, "postpone inbox row", err)
			}
			continue
		}
		if _, err := d.c.q.SimInboxAck(ctx, r.ID); err != nil {
			d.logErr(ctx, "ack inbox row", err) // it comes again: at-least-once
		}
		d.touch()
	}
	if len(rows) == inboxBatch {
		d.mu.Lock()
		d.inboxDue = true
		d.mu.Unlock()
	}
}

// hang is a request on a silently dead link: no answer until ctx ends, SendTimeout passes or the
// link is closed.
func (d *Driver) hang(ctx context.Context, l *link) error {
	t := time.NewTimer(d.c.opts.SendTimeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("simulator: no answer from WhatsApp: %w", ctx.Err())
	case <-t.C:
		return fmt.Errorf("simulator: no answer from WhatsApp within %s: %w", d.c.opts.SendTimeout, context.DeadlineExceeded)
	case <-l.ctx.Done():
		return whatsapp.ErrNotConnected
	}
}

func (d *Driver) logErr(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return // shutting down
	}
	d.c.opts.Logger.WarnContext(ctx, "simulator: "+what, "session_id", d.Ref().ID, "error", err)
}

// refusal is a login WhatsApp refused: the error Connect returns and the event the handler gets.
type refusal struct {
	event whatsapp.Event
	err   error
}

// login checks the account and records a new connection for ref, ending the live one.
func (c *Connector) login(ctx context.Context, ref whatsapp.SessionRef) (store.SimConnection, *refusal, error) {
	var (
		conn    store.SimConnection
		refused *refusal
	)
	err := store.WithTx(ctx, c.db, func(q *store.Queries) error {
		acc, err := q.SimAccountGetForUpdate(ctx, ref.ID)
		if store.IsNotFound(err) {
			refused = &refusal{err: whatsapp.ErrNotPaired}
			return nil
		} else if err != nil {
			return err
		}
		if acc.Device != ref.Device.String() || acc.State == stateDeleted {
			refused = &refusal{err: whatsapp.ErrNotPaired}
			return nil
		}
		if acc.State == stateLoggedOut {
			refused = &refusal{err: whatsapp.ErrLoggedOut}
			if acc.LogoutReason == logoutRemote && !acc.LogoutReported {
				refused.event = whatsapp.LoggedOut{OnConnect: true, Code: 401, Reason: "the device was unlinked"}
				return q.SimAccountLogoutReported(ctx, ref.ID)
			}
			return nil
		}
		ban, err := q.SimAccountBanRemaining(ctx, ref.ID)
		if err != nil {
			return err
		}
		if ban.Banned {
			e := banEventOf(acc, ban)
			refused = &refusal{event: e, err: &RefusedError{Event: e}}
			return nil
		}
		if acc.RefuseCode != 0 {
			var e whatsapp.Event = whatsapp.ConnectFailure{Code: int(acc.RefuseCode), Message: acc.RefuseMessage}
			if acc.RefuseCode == 405 {
				e = whatsapp.ClientOutdated{}
			}
			refused = &refusal{event: e, err: &RefusedError{Event: e}}
			_, err := q.SimAccountSetRefusal(ctx, store.SimAccountSetRefusalParams{SessionID: ref.ID})
			return err
		}
		conn, err = c.openConnection(ctx, q, ref)
		return err
	})
	return conn, refused, err
}

// openConnection ends the session's live connection and records a new one, in q's transaction.
func (c *Connector) openConnection(ctx context.Context, q *store.Queries, ref whatsapp.SessionRef) (store.SimConnection, error) {
	live, err := q.SimConnectionLiveForUpdate(ctx, store.SimConnectionLiveForUpdateParams{
		SessionID: ref.ID, StaleSeconds: c.opts.HeartbeatTimeout.Seconds(),
	})
	if err != nil {
		return store.SimConnection{}, err
	}
	for _, old := range live {
		reason, detail := reasonReplaced, "another connection logged in"
		switch {
		case !old.HeartbeatFresh:
			reason, detail = reasonHeartbeatLost, "its last heartbeat was at "+old.HeartbeatAt.UTC().Format(time.RFC3339Nano)
		case old.Process == c.process && old.Fence == ref.Fence:
			// The same holder logging in again after its own link died (network drop): nothing was
			// replaced behind anyone's back.
			reason, detail = reasonClosed, "its holder reconnected"
		}
		if _, err := q.SimConnectionEnd(ctx, store.SimConnectionEndParams{
			ID: old.ID, EndReason: &reason, EndDetail: detail,
		}); err != nil {
			return store.SimConnection{}, err
		}
	}
	conn, err := q.SimConnectionInsert(ctx, store.SimConnectionInsertParams{
		SessionID: ref.ID, Device: ref.Device.String(), Fence: ref.Fence, Instance: c.opts.Instance, Process: c.process,
	})
	if err != nil {
		return store.SimConnection{}, err
	}
	for _, old := range live {
		if err := q.SimConnectionSetReplacedBy(ctx, store.SimConnectionSetReplacedByParams{
			ID: old.ID, ReplacedBy: &conn.ID,
		}); err != nil {
			return store.SimConnection{}, err
		}
	}
	return conn, nil
}

// endConnection ends a connection from its holder's side, best effort (the holder is going away).
func (c *Connector) endConnection(id int64, reason, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.q.SimConnectionEnd(ctx, store.SimConnectionEndParams{ID: id, EndReason: &reason, EndDetail: detail}); err != nil {
		c.opts.Logger.WarnContext(ctx, "simulator: end connection", "connection_id", id, "error", err)
	}
}

// banEvent reads the account's ban as the TemporaryBan event its holder gets.
func (c *Connector) banEvent(ctx context.Context, sessionID uuid.UUID) whatsapp.Event {
	acc, err := c.q.SimAccountGet(ctx, sessionID)
	if err != nil {
		return whatsapp.TemporaryBan{}
	}
	ban, err := c.q.SimAccountBanRemaining(ctx, sessionID)
	if err != nil {
		return whatsapp.TemporaryBan{Code: int(acc.BanCode), Reason: banReason(int(acc.BanCode))}
	}
	return banEventOf(acc, ban)
}

func banEventOf(acc store.SimAccount, ban store.SimAccountBanRemainingRow) whatsapp.TemporaryBan {
	return whatsapp.TemporaryBan{
		Code:   int(acc.BanCode),
		Reason: banReason(int(acc.BanCode)),
		Expire: time.Duration(ban.Remaining * float64(time.Second)).Round(time.Millisecond),
	}
}

// banReason words WhatsApp's temporary ban codes (whatsmeow's TempBanReason).
func banReason(code int) string {
	switch code {
	case 101:
		return "sent too many messages to people who don't have you in their address book"
	case 102:
		return "blocked by too many people"
	case 103:
		return "created too many groups with people who don't have you in their address book"
	case 104:
		return "sent the same message to too many people"
	case 106:
		return "sent too many messages to a broadcast list"
	}
	return "temporarily banned"
}
