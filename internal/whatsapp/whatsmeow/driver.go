package whatsmeow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/wagate/wagate/internal/whatsapp"
)

const (
	// loginTimeout bounds Connect's wait for WhatsApp's answer to a login once the socket is open,
	// whatever the caller's context says.
	loginTimeout = 75 * time.Second
	// retryLookupTimeout bounds Options.RetryMessage and the re-upload it may need.
	retryLookupTimeout = 30 * time.Second
)

// Driver is one session's whatsmeow client. Its methods are safe for concurrent use.
type Driver struct {
	c     *Connector
	ref   whatsapp.SessionRef
	on    whatsapp.Handler
	log   *slog.Logger
	level *slog.LevelVar

	connectMu sync.Mutex // one Connect or Pair at a time

	mu      sync.Mutex
	device  *store.Device
	cli     *whatsmeow.Client
	stop    context.CancelFunc // ends the current socket's context
	pairing *pairing           // the pairing socket's QR channel, pending (Connect) or forwarded (Pair)
	login   chan error         // set while Connect waits for the outcome of a login

	// everPaired: the device had keys (opened paired, or paired since). Once they are gone
	// (logged out, deleted) Connect says so instead of treating the session as new.
	everPaired   atomic.Bool
	lastActivity atomic.Int64 // unix nanoseconds of the last event or successful send
}

func newDriver(c *Connector, ref whatsapp.SessionRef, on whatsapp.Handler, device *store.Device) *Driver {
	d := &Driver{
		c: c, ref: ref, on: on, device: device,
		log:   c.log.With("session_id", ref.ID, "tenant_id", ref.TenantID),
		level: new(slog.LevelVar),
	}
	d.level.Set(c.opts.LogLevel.Level())
	d.everPaired.Store(!ref.Device.IsEmpty())
	d.cli = d.newClient(device)
	return d
}

// newClient makes a whatsmeow client on device with the gateway's settings.
func (d *Driver) newClient(device *store.Device) *whatsmeow.Client {
	cli := whatsmeow.NewClient(device, newWALogger(d.log, d.level, "Client"))
	// The session host owns reconnecting, with bounded backoff; whatsmeow's own retries every
	// 2 s × n without a cap and would fight it (DESIGN.md traps).
	cli.EnableAutoReconnect = false
	cli.InitialAutoReconnect = false
	// Ack a message only once our handler stored it (STYLE.md §9), and keep decrypted events in
	// the store so a failed handler gets them again on redelivery: the Signal counter has moved.
	cli.SynchronousAck = true
	cli.EnableDecryptedEventBuffer = true
	cli.ManualHistorySyncDownload = !d.c.opts.HistorySync
	if dial := d.c.opts.Dial; dial != nil {
		cli.SetPreLoginHTTPClient(httpClient(dial))
		cli.SetWebsocketHTTPClient(httpClient(dial))
		cli.SetMediaHTTPClient(httpClient(dial))
	}
	if d.c.opts.RetryMessage != nil {
		cli.GetMessageForRetry = func(_, to types.JID, id types.MessageID) *waE2E.Message {
			return d.messageForRetry(cli, to, id)
		}
	}
	cli.AddEventHandlerWithSuccessStatus(func(evt any) bool {
		if d.client() != cli {
			return true // a client replaced after a failed pairing: its stragglers are not ours
		}
		return d.onEvent(evt)
	})
	return cli
}

func (d *Driver) client() *whatsmeow.Client {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cli
}

func (d *Driver) dev() *store.Device {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.device
}

// resetClient replaces the client old with a fresh one on the driver's device, unless it was
// replaced already, and closes old's socket. After a pairing that did not succeed, old still
// carries whatsmeow's QR-channel handler, which would otherwise fire alongside the next attempt's.
func (d *Driver) resetClient(old *whatsmeow.Client) {
	d.mu.Lock()
	if d.cli != old {
		d.mu.Unlock()
		return
	}
	d.cli = d.newClient(d.device)
	stop := d.stop
	d.stop = nil
	d.mu.Unlock()
	old.Disconnect()
	if stop != nil {
		stop()
	}
}

// SetLogLevel changes the level of this session's whatsmeow logging (DEBUG to investigate one
// session; WARN is the default).
func (d *Driver) SetLogLevel(l slog.Level) { d.level.Set(l) }

// --- Connecting ---

// Connect opens the socket and, for a paired session, logs in: it returns once WhatsApp accepted
// the login, or with an error wrapping whatsapp.ErrConnect (ErrLoggedOut when WhatsApp unlinked the
// device, ErrNotPaired when its keys are gone). For an unpaired session it opens the pairing socket
// and returns; Pair then yields its codes. It never retries by itself, and is a no-op when the socket
// is already up.
func (d *Driver) Connect(ctx context.Context) error {
	d.connectMu.Lock()
	defer d.connectMu.Unlock()
	if d.dev().ID == nil {
		if d.everPaired.Load() {
			return fmt.Errorf("%w: %w for session %s (logged out or deleted); pair it again", whatsapp.ErrNotPaired, errNoDevice, d.ref.ID)
		}
		return d.connectUnpaired(ctx)
	}
	cli := d.client()
	if cli.IsLoggedIn() {
		return nil
	}
	login := make(chan error, 1)
	d.mu.Lock()
	d.login = login
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.login = nil
		d.mu.Unlock()
	}()

	if err := d.openSocket(ctx, cli); err != nil {
		return err
	}
	timer := time.NewTimer(loginTimeout)
	defer timer.Stop()
	select {
	case err := <-login:
		if err != nil {
			d.Disconnect()
		}
		return err
	case <-ctx.Done():
		d.Disconnect()
		return fmt.Errorf("%w: no answer to the login: %w", whatsapp.ErrConnect, ctx.Err())
	case <-timer.C:
		d.Disconnect()
		return fmt.Errorf("%w: no answer to the login within %s", whatsapp.ErrConnect, loginTimeout)
	}
}

// openSocket dials WhatsApp Web and does the noise handshake. The socket outlives ctx (whatsmeow
// runs its read loop, keep-alives and the post-pairing reconnect on the context it connected with),
// but ctx ending during the dial aborts it.
func (d *Driver) openSocket(ctx context.Context, cli *whatsmeow.Client) error {
	sockCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopAbort := context.AfterFunc(ctx, cancel)
	err := cli.ConnectContext(sockCtx)
	if !stopAbort() {
		// ctx ended while dialling: sockCtx is cancelled already.
		if err == nil {
			cli.Disconnect()
		}
		return connectError(errors.Join(ctx.Err(), err))
	}
	if err != nil {
		cancel()
		if errors.Is(err, whatsmeow.ErrAlreadyConnected) {
			return nil
		}
		return connectError(err)
	}
	d.mu.Lock()
	prev := d.stop
	d.stop = cancel
	d.mu.Unlock()
	if prev != nil {
		prev()
	}
	return nil
}

// Disconnect closes the socket and ends a pairing in progress. The session stays paired.
func (d *Driver) Disconnect() {
	d.mu.Lock()
	cli, stop, p := d.cli, d.stop, d.pairing
	d.stop, d.pairing = nil, nil
	d.mu.Unlock()
	if p != nil {
		p.end()
	}
	cli.Disconnect()
	if stop != nil {
		stop()
	}
}

// signalLogin hands the outcome of a login to a waiting Connect, if any.
func (d *Driver) signalLogin(err error) {
	d.mu.Lock()
	ch := d.login
	d.mu.Unlock()
	if ch != nil {
		select {
		case ch <- err:
		default:
		}
	}
}

// State is the client's own view of its link.
func (d *Driver) State() whatsapp.LinkState {
	cli := d.client()
	s := whatsapp.LinkState{Connected: cli.IsConnected(), LoggedIn: cli.IsLoggedIn()}
	if ns := d.lastActivity.Load(); ns > 0 {
		s.LastActivity = time.Unix(0, ns)
	}
	return s
}

func (d *Driver) touch() { d.lastActivity.Store(time.Now().UnixNano()) }

// Logout unlinks the device on WhatsApp, disconnects and wipes its keys. It needs a logged-in
// connection; offline, Connector.Delete wipes the keys without telling WhatsApp.
func (d *Driver) Logout(ctx context.Context) error {
	cli := d.client()
	if !cli.IsLoggedIn() {
		return fmt.Errorf("%w: log in before unlinking the device on WhatsApp", whatsapp.ErrNotConnected)
	}
	if err := cli.Logout(ctx); err != nil {
		return fmt.Errorf("whatsmeow: log out: %w", mapError(err))
	}
	d.Disconnect()
	return nil
}

// --- Events ---

// onEvent receives every whatsmeow event, one at a time per client, and dispatches it. The result
// is whatsmeow's success status: false withholds the ack of a message or receipt so WhatsApp
// redelivers it (SynchronousAck). whatsmeow stops offering an event to later handlers after a false,
// and its own QR-channel handler is one of them, so events without an ack always report true.
func (d *Driver) onEvent(raw any) bool {
	d.touch()
	switch evt := raw.(type) {
	case *events.Message:
		return d.handleMessage(evt)
	case *events.Receipt:
		return d.handleReceipt(evt)
	case *events.Connected:
		d.handleConnected(evt)
	case *events.Disconnected:
		d.handleDisconnected(evt)
	case *events.LoggedOut, *events.StreamReplaced, *events.TemporaryBan, *events.ClientOutdated, *events.ConnectFailure:
		d.handlePermanent(evt)
	case *events.PairSuccess:
		d.everPaired.Store(true)
		d.handleLifecycle(evt)
	case *events.KeepAliveTimeout, *events.KeepAliveRestored, *events.PushNameSetting, *events.HistorySync:
		d.handleLifecycle(evt)
	}
	return true
}

func (d *Driver) handleMessage(evt *events.Message) bool {
	e, ok := messageEvent(evt)
	if !ok {
		return true // skipped (status broadcast, protocol-only…): ack it
	}
	return d.deliver(e)
}

func (d *Driver) handleReceipt(evt *events.Receipt) bool {
	e, ok := receiptEvent(evt)
	if !ok {
		return true
	}
	return d.deliver(e)
}

func (d *Driver) handleConnected(evt *events.Connected) {
	d.handleLifecycle(evt)
	d.signalLogin(nil)
}

func (d *Driver) handleDisconnected(evt *events.Disconnected) {
	d.handleLifecycle(evt)
	d.signalLogin(fmt.Errorf("%w: the connection closed before WhatsApp answered the login", whatsapp.ErrConnect))
}

// handlePermanent passes on an event after which whatsmeow does not reconnect, and fails a waiting
// Connect with its reason.
func (d *Driver) handlePermanent(raw any) {
	e, ok := convertEvent(raw)
	if !ok {
		return
	}
	d.deliverLifecycle(e)
	d.signalLogin(loginError(e))
}

// loginError is what Connect returns when the login ends with e.
func loginError(e whatsapp.Event) error {
	switch e := e.(type) {
	case whatsapp.LoggedOut:
		return fmt.Errorf("%w (%s)", whatsapp.ErrLoggedOut, e.Reason)
	case whatsapp.StreamReplaced:
		return fmt.Errorf("%w: another connection with the same keys replaced this one", whatsapp.ErrConnect)
	case whatsapp.TemporaryBan:
		if e.Expire > 0 {
			return fmt.Errorf("%w: the account is temporarily banned (%s); the ban ends in %s", whatsapp.ErrConnect, e.Reason, e.Expire)
		}
		return fmt.Errorf("%w: the account is temporarily banned (%s)", whatsapp.ErrConnect, e.Reason)
	case whatsapp.ClientOutdated:
		return errClientOutdated
	case whatsapp.ConnectFailure:
		return fmt.Errorf("%w: WhatsApp refused the login (%d: %s)", whatsapp.ErrConnect, e.Code, e.Message)
	}
	return fmt.Errorf("%w: login failed", whatsapp.ErrConnect)
}

func (d *Driver) handleLifecycle(raw any) {
	if e, ok := convertEvent(raw); ok {
		d.deliverLifecycle(e)
	}
}

// deliver hands an acked event to the handler and reports whether it may be acked.
func (d *Driver) deliver(e whatsapp.Event) bool {
	if err := d.on(context.Background(), e); err != nil {
		d.log.Warn("event handler failed; whatsapp will redeliver", "event", fmt.Sprintf("%T", e), "err", err)
		return false
	}
	return true
}

// deliverLifecycle hands an event without an ack to the handler; a failure is logged only.
func (d *Driver) deliverLifecycle(e whatsapp.Event) {
	if err := d.on(context.Background(), e); err != nil {
		d.log.Error("event handler failed", "event", fmt.Sprintf("%T", e), "err", err)
	}
}

// --- Sending ---

// Send sends m with m.ID as its WhatsApp id, to m.To without a device part, and returns when
// WhatsApp acknowledged it. Media is streamed from m.Media and uploaded first.
func (d *Driver) Send(ctx context.Context, m whatsapp.Outgoing) (whatsapp.Sent, error) {
	if m.ID == "" {
		return whatsapp.Sent{}, errors.New("whatsmeow: send: the message has no id (set it when the row is created)")
	}
	if m.To.IsEmpty() {
		return whatsapp.Sent{}, fmt.Errorf("%w: no recipient", whatsapp.ErrInvalidRecipient)
	}
	cli := d.client()
	if !cli.IsLoggedIn() {
		return whatsapp.Sent{}, whatsapp.ErrNotConnected
	}
	msg, err := d.prepare(ctx, cli, m)
	if err != nil {
		return whatsapp.Sent{}, err
	}
	resp, err := cli.SendMessage(ctx, jidToWA(m.To.NonAD()), msg, whatsmeow.SendRequestExtra{ID: types.MessageID(m.ID)})
	if err != nil {
		return whatsapp.Sent{}, fmt.Errorf("whatsmeow: send %s: %w", m.ID, mapError(err))
	}
	d.touch()
	return whatsapp.Sent{ID: whatsapp.MessageID(resp.ID), Timestamp: resp.Timestamp}, nil
}

// prepare uploads m's file, if it has one, and builds the waE2E message.
func (d *Driver) prepare(ctx context.Context, cli *whatsmeow.Client, m whatsapp.Outgoing) (*waE2E.Message, error) {
	mediaType := uploadTypeFor(m.Kind)
	if mediaType == "" {
		return buildMessage(m, nil)
	}
	if m.Media == nil || m.Media.Open == nil {
		return nil, fmt.Errorf("%w: a %s message needs its file", whatsapp.ErrMediaRejected, m.Kind)
	}
	rc, err := m.Media.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("whatsmeow: open media: %w", err)
	}
	defer rc.Close()
	// UploadReader encrypts through a temporary file instead of holding the file in memory.
	up, err := cli.UploadReader(ctx, rc, nil, mediaType)
	if err != nil {
		return nil, fmt.Errorf("whatsmeow: upload media: %w", mapError(err))
	}
	return buildMessage(m, &up)
}

// messageForRetry answers a retry receipt from Options.RetryMessage.
func (d *Driver) messageForRetry(cli *whatsmeow.Client, to types.JID, id types.MessageID) *waE2E.Message {
	ctx, cancel := context.WithTimeout(context.Background(), retryLookupTimeout)
	defer cancel()
	out, err := d.c.opts.RetryMessage(ctx, d.ref, jidFromWA(to), whatsapp.MessageID(id))
	if err != nil {
		d.log.WarnContext(ctx, "look up message for retry receipt", "message_id", id, "err", err)
		return nil
	}
	if out == nil {
		return nil
	}
	msg, err := d.prepare(ctx, cli, *out)
	if err != nil {
		d.log.WarnContext(ctx, "rebuild message for retry receipt", "message_id", id, "err", err)
		return nil
	}
	return msg
}

// --- Queries ---

// CheckNumbers asks WhatsApp which numbers have an account. Each is sent as "+digits"; the JID to
// send to is WhatsApp's answer, which may differ from the number asked.
func (d *Driver) CheckNumbers(ctx context.Context, phones []string) ([]whatsapp.NumberStatus, error) {
	out := make([]whatsapp.NumberStatus, len(phones))
	if len(phones) == 0 {
		return out, nil
	}
	cli := d.client()
	if !cli.IsLoggedIn() {
		return nil, whatsapp.ErrNotConnected
	}
	queries := make([]string, len(phones))
	for i, p := range phones {
		queries[i] = "+" + digitsOf(p)
	}
	resp, err := cli.IsOnWhatsApp(ctx, queries)
	if err != nil {
		return nil, fmt.Errorf("whatsmeow: check numbers: %w", mapError(err))
	}
	return numberStatuses(phones, resp), nil
}

// numberStatuses matches IsOnWhatsApp's answers to the numbers asked, by digits.
func numberStatuses(phones []string, resp []types.IsOnWhatsAppResponse) []whatsapp.NumberStatus {
	byDigits := make(map[string]types.IsOnWhatsAppResponse, len(resp))
	for _, r := range resp {
		byDigits[digitsOf(r.Query)] = r
	}
	out := make([]whatsapp.NumberStatus, len(phones))
	for i, p := range phones {
		out[i] = whatsapp.NumberStatus{Query: p}
		r, ok := byDigits[digitsOf(p)]
		if !ok || !r.IsIn {
			continue
		}
		out[i].OnWhatsApp = true
		out[i].JID = jidFromWA(r.JID.ToNonAD())
		if r.VerifiedName != nil {
			out[i].VerifiedName = r.VerifiedName.Details.GetVerifiedName()
		}
	}
	return out
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Groups lists the groups the account is in.
func (d *Driver) Groups(ctx context.Context) ([]whatsapp.Group, error) {
	cli := d.client()
	if !cli.IsLoggedIn() {
		return nil, whatsapp.ErrNotConnected
	}
	groups, err := cli.GetJoinedGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("whatsmeow: list groups: %w", mapError(err))
	}
	out := make([]whatsapp.Group, 0, len(groups))
	for _, g := range groups {
		n := g.ParticipantCount
		if n == 0 {
			n = len(g.Participants)
		}
		out = append(out, whatsapp.Group{JID: jidFromWA(g.JID), Name: g.Name, Participants: n, AnnounceOnly: g.IsAnnounce})
	}
	return out, nil
}

// Download fetches and decrypts inbound media by the handle its IncomingMedia carried. Media that
// fails its length or hash check is an error, not data.
func (d *Driver) Download(ctx context.Context, h whatsapp.MediaHandle) (io.ReadCloser, error) {
	mh, mediaType, err := decodeMediaHandle(h)
	if err != nil {
		return nil, err
	}
	cli := d.client()
	if !cli.IsLoggedIn() {
		return nil, whatsapp.ErrNotConnected
	}
	data, err := cli.DownloadMediaWithPath(ctx, mh.DirectPath, mh.FileEncSHA256, mh.FileSHA256, mh.MediaKey,
		int(mh.FileLength), mediaType, "")
	if err != nil {
		if errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith404) || errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith410) {
			return nil, fmt.Errorf("whatsmeow: download media: no longer on WhatsApp's servers: %w", err)
		}
		return nil, fmt.Errorf("whatsmeow: download media: %w", mapError(err))
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}
