package simulator

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// pairing is a Pair in progress and its goroutine.
type pairing struct {
	token  uuid.UUID
	cancel context.CancelCauseFunc
	done   chan struct{}
}

var errPairSuperseded = errors.New("simulator: a newer pairing of this session replaced this one")

// Pair starts pairing an unpaired session. With phone == "" the channel yields QR codes, the first
// valid Options.QRFirst and each later one Options.QRNext, Options.QRCodes in all, then PairTimeout;
// Scan (or ScanQR) confirms. With a phone number it yields one pairing code valid
// Options.PairCodeWindow; EnterCode confirms. On confirmation the channel yields PairSuccess, and the
// handler gets PairSucceeded, Connected and PushNameChanged, as after whatsmeow's pairing reconnect.
// The channel closes after PairSuccess, PairTimeout or PairFailed (also when ctx ends, Disconnect is
// called, or a newer Pair of the session starts, in any process).
func (d *Driver) Pair(ctx context.Context, phone string) (<-chan whatsapp.PairEvent, error) {
	method, digits, code := "qr", "", ""
	if phone != "" {
		var err error
		if digits, err = normalizePhone(phone); err != nil {
			return nil, err
		}
		method, code = "code", newPairCode()
	}
	if err := d.c.dialErr(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	ref, gen, linked := d.ref, d.gen, d.link != nil
	d.mu.Unlock()
	if linked {
		return nil, whatsapp.ErrAlreadyPaired
	}
	acc, err := d.c.q.SimAccountGet(ctx, ref.ID)
	if err == nil && acc.State == statePaired {
		return nil, whatsapp.ErrAlreadyPaired
	} else if err != nil && !store.IsNotFound(err) {
		return nil, fmt.Errorf("simulator: pair session %s: %w", ref.ID, err)
	}
	window := d.c.opts.QRWindow()
	if method == "code" {
		window = d.c.opts.PairCodeWindow
	}
	token := uuid.New()
	if err := d.c.q.SimPairingStart(ctx, store.SimPairingStartParams{
		SessionID: ref.ID, Token: token, Method: method, Phone: digits, Code: code, WindowSeconds: window.Seconds(),
	}); err != nil {
		return nil, fmt.Errorf("simulator: pair session %s: %w", ref.ID, err)
	}

	pctx, cancel := context.WithCancelCause(context.Background())
	p := &pairing{token: token, cancel: cancel, done: make(chan struct{})}
	// Every event fits the buffer, so the pairing goroutine never blocks on a reader that went away.
	ch := make(chan whatsapp.PairEvent, d.c.opts.QRCodes+2)
	d.mu.Lock()
	if d.gen != gen {
		d.mu.Unlock()
		cancel(errDisconnected)
		return nil, errDisconnected
	}
	old := d.pairing
	d.pairing = p
	d.mu.Unlock()
	if old != nil {
		old.cancel(errPairSuperseded)
		<-old.done
	}
	go d.runPairing(ctx, pctx, p, gen, method, code, window, ch)
	return ch, nil
}

func (d *Driver) runPairing(ctx, pctx context.Context, p *pairing, gen uint64, method, code string,
	window time.Duration, ch chan<- whatsapp.PairEvent) {
	defer close(p.done)
	defer close(ch)
	success := false
	defer func() {
		if success {
			return
		}
		d.mu.Lock()
		if d.pairing == p {
			d.pairing = nil
			d.preLogin = false // like whatsmeow, the pre-login socket closes with the pairing
		}
		d.mu.Unlock()
		cleanup, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = d.c.q.SimPairingDelete(cleanup, store.SimPairingDeleteParams{SessionID: d.Ref().ID, Token: p.token})
	}()
	emit := func(e whatsapp.PairEvent) {
		select {
		case ch <- e:
		default: // cannot happen: the buffer holds every event
		}
	}
	sessionID := d.Ref().ID
	netDown := d.c.netWatch()

	var rotate <-chan time.Time
	shown := 0
	showQR := func() {
		valid := d.c.opts.QRNext
		if shown == 0 {
			valid = d.c.opts.QRFirst
		}
		qr := newQR()
		if _, err := d.c.q.SimPairingSetQR(pctx, store.SimPairingSetQRParams{SessionID: sessionID, Token: p.token, Qr: qr}); err != nil {
			d.logErr(pctx, "store QR code", err)
		}
		shown++
		emit(whatsapp.PairEvent{Kind: whatsapp.PairQR, QR: qr, ValidFor: valid})
		rotate = time.After(valid)
	}
	if method == "qr" {
		showQR()
	} else {
		emit(whatsapp.PairEvent{Kind: whatsapp.PairCode, Code: code[:4] + "-" + code[4:], ValidFor: window})
		rotate = time.After(window)
	}

	poll := time.NewTicker(d.c.opts.PollInterval)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			emit(whatsapp.PairEvent{Kind: whatsapp.PairFailed, Err: ctx.Err()})
			return
		case <-pctx.Done():
			emit(whatsapp.PairEvent{Kind: whatsapp.PairFailed, Err: context.Cause(pctx)})
			return
		case <-netDown:
			emit(whatsapp.PairEvent{Kind: whatsapp.PairFailed, Err: fmt.Errorf("simulator: network is down: %w", whatsapp.ErrConnect)})
			return
		case <-rotate:
			if method == "qr" && shown < d.c.opts.QRCodes {
				showQR()
				continue
			}
			emit(whatsapp.PairEvent{Kind: whatsapp.PairTimeout, Err: whatsapp.ErrPairTimeout})
			return
		case <-poll.C:
			pr, err := d.c.q.SimPairingGet(pctx, sessionID)
			if store.IsNotFound(err) || (err == nil && pr.Token != p.token) {
				emit(whatsapp.PairEvent{Kind: whatsapp.PairFailed, Err: errPairSuperseded})
				return
			} else if err != nil {
				d.logErr(pctx, "poll pairing", err)
				continue
			}
			if pr.ConfirmedAt == nil {
				continue
			}
			if err := d.completePairing(pctx, p, gen, pr.ConfirmedPhone, emit); err != nil {
				emit(whatsapp.PairEvent{Kind: whatsapp.PairFailed, Err: err})
				return
			}
			success = true
			return
		}
	}
}

// completePairing links the device WhatsApp-side and logs it in, as whatsmeow does after PairSuccess.
func (d *Driver) completePairing(ctx context.Context, p *pairing, gen uint64, phone string, emit func(whatsapp.PairEvent)) error {
	ref := d.Ref()
	var (
		acc  store.SimAccount
		conn store.SimConnection
	)
	err := store.WithTx(ctx, d.c.db, func(q *store.Queries) error {
		n, err := q.SimPairingDelete(ctx, store.SimPairingDeleteParams{SessionID: ref.ID, Token: p.token})
		if err != nil {
			return err
		}
		if n == 0 {
			return errPairSuperseded
		}
		if acc, err = d.c.linkAccount(ctx, q, ref.ID, phone); err != nil {
			return err
		}
		device, err := whatsapp.ParseJID(acc.Device)
		if err != nil {
			return err
		}
		ref.Device = device
		conn, err = d.c.openConnection(ctx, q, ref)
		return err
	})
	if err != nil {
		return fmt.Errorf("simulator: complete pairing of session %s: %w", ref.ID, err)
	}
	lid, _ := whatsapp.ParseJID(acc.Lid)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gen != gen || d.pairing != p {
		d.c.endConnection(conn.ID, reasonClosed, "disconnected while pairing")
		return errDisconnected
	}
	d.pairing = nil
	d.ref.Device = ref.Device
	d.startLinkLocked(conn.ID)
	emit(whatsapp.PairEvent{Kind: whatsapp.PairSuccess, Device: ref.Device})
	d.enqueueLocked(
		whatsapp.PairSucceeded{Device: ref.Device, LID: lid, Platform: "android"},
		whatsapp.Connected{},
		whatsapp.PushNameChanged{Name: acc.PushName},
	)
	return nil
}

// linkAccount records a new linked device for the session: the next device number of the phone, a
// LID and a push name.
func (c *Connector) linkAccount(ctx context.Context, q *store.Queries, sessionID uuid.UUID, phone string) (store.SimAccount, error) {
	no, err := q.SimAccountNextDeviceNo(ctx, phone)
	if err != nil {
		return store.SimAccount{}, err
	}
	return q.SimAccountPair(ctx, store.SimAccountPairParams{
		SessionID: sessionID,
		Phone:     phone,
		Device:    whatsapp.JID{User: phone, Device: uint16(no), Server: whatsapp.ServerUser}.String(),
		DeviceNo:  no,
		Lid:       whatsapp.JID{User: randomDigits(15), Server: whatsapp.ServerLID}.String(),
		PushName:  "Sim " + phone[len(phone)-4:],
	})
}

// Scan is the phone scanning the session's QR code: it confirms the QR pairing in progress, and the
// driver that shows the codes (in any process) completes it within a poll interval. phone becomes the
// account's number; ErrNoPairing when no QR pairing is waiting (none started, timed out, or scanned).
func (c *Connector) Scan(ctx context.Context, sessionID uuid.UUID, phone string) error {
	digits, err := normalizePhone(phone)
	if err != nil {
		return err
	}
	pr, err := c.q.SimPairingGet(ctx, sessionID)
	if store.IsNotFound(err) {
		return ErrNoPairing
	} else if err != nil {
		return fmt.Errorf("simulator: scan: %w", err)
	}
	if pr.Method != "qr" {
		return ErrNoPairing
	}
	return c.confirm(ctx, pr, digits)
}

// ScanQR is Scan by the QR string a screen shows; only the code shown right now is valid.
func (c *Connector) ScanQR(ctx context.Context, qr, phone string) error {
	digits, err := normalizePhone(phone)
	if err != nil {
		return err
	}
	pr, err := c.q.SimPairingFindByQR(ctx, qr)
	if store.IsNotFound(err) {
		return ErrNoPairing
	} else if err != nil {
		return fmt.Errorf("simulator: scan: %w", err)
	}
	return c.confirm(ctx, pr, digits)
}

// EnterCode is the user typing the pairing code on the phone that asked for it (dash and case do not
// matter). ErrWrongCode for another code; ErrNoPairing when no code pairing is waiting.
func (c *Connector) EnterCode(ctx context.Context, sessionID uuid.UUID, code string) error {
	pr, err := c.q.SimPairingGet(ctx, sessionID)
	if store.IsNotFound(err) {
		return ErrNoPairing
	} else if err != nil {
		return fmt.Errorf("simulator: enter code: %w", err)
	}
	if pr.Method != "code" {
		return ErrNoPairing
	}
	norm := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	if norm != pr.Code {
		return ErrWrongCode
	}
	return c.confirm(ctx, pr, pr.Phone)
}

func (c *Connector) confirm(ctx context.Context, pr store.SimPairing, phone string) error {
	n, err := c.q.SimPairingConfirm(ctx, store.SimPairingConfirmParams{SessionID: pr.SessionID, Token: pr.Token, Phone: phone})
	if err != nil {
		return fmt.Errorf("simulator: confirm pairing: %w", err)
	}
	if n == 0 {
		return ErrNoPairing // expired, replaced or confirmed already
	}
	return nil
}

// Pending is a pairing waiting for its scan or code.
type Pending struct {
	Method    string // "qr" or "code"
	QR        string // the QR code shown right now
	Code      string // the pairing code, XXXX-XXXX
	Phone     string // the number that asked for the code
	ExpiresAt time.Time
}

// PendingPairing reads the pairing waiting for the session, as a screen would show it: for a web
// "scan" button, or a test in another process. ErrNoPairing when none is.
func (c *Connector) PendingPairing(ctx context.Context, sessionID uuid.UUID) (Pending, error) {
	pr, err := c.q.SimPairingGet(ctx, sessionID)
	if store.IsNotFound(err) {
		return Pending{}, ErrNoPairing
	} else if err != nil {
		return Pending{}, fmt.Errorf("simulator: pending pairing: %w", err)
	}
	p := Pending{Method: pr.Method, QR: pr.Qr, Phone: pr.Phone, ExpiresAt: pr.ExpiresAt}
	if pr.Code != "" {
		p.Code = pr.Code[:4] + "-" + pr.Code[4:]
	}
	return p, nil
}

// normalizePhone accepts an international number with the usual punctuation and returns its digits:
// 7 to 15 of them, not starting with 0 (whatsmeow refuses a leading 0 and 6 digits or fewer).
func normalizePhone(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", whatsapp.ErrInvalidPhone
		}
	}
	d := b.String()
	if len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return "", whatsapp.ErrInvalidPhone
	}
	return d, nil
}

// pairCodeAlphabet is whatsmeow's: digits and capitals without 0, I, O and U.
const pairCodeAlphabet = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"

func newPairCode() string {
	b := make([]byte, 8)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(pairCodeAlphabet))))
		b[i] = pairCodeAlphabet[n.Int64()]
	}
	return string(b)
}

// newQR makes a string shaped like whatsmeow's: ref,noise key,identity key,adv secret.
func newQR() string {
	part := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	return "2@" + part(24) + "," + part(32) + "," + part(32) + "," + part(32)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		v, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + v.Int64())
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}
