package whatsmeow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/wagate/wagate/internal/whatsapp"
)

// pairClientName is what the phone is told the linking client is when pairing by code; WhatsApp
// accepts only "Browser (OS)" names it knows.
const pairClientName = "Chrome (Linux)"

// pairing is an open pairing socket and whatsmeow's QR channel for it.
type pairing struct {
	cli   *whatsmeow.Client
	qr    <-chan whatsmeow.QRChannelItem
	start time.Time       // when the socket opened: the pairing window runs from here
	ctx   context.Context // the QR channel's; done once end is called
	end   context.CancelFunc
	// forwarded: a Pair call reads qr (set under connectMu). A later Pair ends it and starts over.
	forwarded bool
}

// startPairing gets whatsmeow's QR channel and then opens the socket (the channel must exist
// before the socket: whatsmeow emits the codes on connect). ctx bounds the dial only.
func (d *Driver) startPairing(ctx context.Context, cli *whatsmeow.Client) (*pairing, error) {
	qctx, end := context.WithCancel(context.Background())
	qr, err := cli.GetQRChannel(qctx)
	if err != nil {
		end()
		return nil, fmt.Errorf("whatsmeow: start pairing: %w", err)
	}
	if err := d.openSocket(ctx, cli); err != nil {
		end()
		d.resetClient(cli)
		return nil, err
	}
	return &pairing{cli: cli, qr: qr, start: time.Now(), ctx: qctx, end: end}, nil
}

// setPairing makes p the driver's pairing and ends the one before, unless it is p.
func (d *Driver) setPairing(p *pairing) {
	d.mu.Lock()
	prev := d.pairing
	d.pairing = p
	d.mu.Unlock()
	if prev != nil && prev != p {
		prev.end()
	}
}

// connectUnpaired opens the pairing socket for Pair to use. The QR codes whatsmeow emits wait in
// the channel's buffer; after the pairing window (about 160 s) without Pair, whatsmeow closes it.
func (d *Driver) connectUnpaired(ctx context.Context) error {
	cli := d.client()
	if cli.IsConnected() {
		return nil
	}
	d.mu.Lock()
	prev := d.pairing
	d.pairing = nil
	d.mu.Unlock()
	if prev != nil {
		d.discardPairing(prev)
		cli = d.client()
	}
	p, err := d.startPairing(ctx, cli)
	if err != nil {
		return err
	}
	d.setPairing(p)
	return nil
}

// discardPairing ends p and replaces its client, whose QR-channel handler may still be registered.
func (d *Driver) discardPairing(p *pairing) {
	p.end()
	d.resetClient(p.cli)
}

// Pair links an unpaired session: it yields QR codes as WhatsApp rotates them (phone == "") or one
// pairing code for phone (international digits; spaces, dashes, dots, brackets and a leading +
// allowed). It uses the pairing socket Connect opened, or opens one. ctx bounds the whole pairing:
// when it ends, the socket closes and the channel ends with PairFailed. A socket that cannot be
// opened is an error wrapping whatsapp.ErrConnect; an unusable phone number is
// whatsapp.ErrInvalidPhone, before anything is dialled. A session whose keys are gone (logged out)
// pairs as a new device, with new keys.
func (d *Driver) Pair(ctx context.Context, phone string) (<-chan whatsapp.PairEvent, error) {
	if phone != "" {
		digits, err := pairPhoneDigits(phone)
		if err != nil {
			return nil, err
		}
		phone = digits
	}
	d.connectMu.Lock()
	defer d.connectMu.Unlock()
	if d.dev().ID != nil {
		return nil, whatsapp.ErrAlreadyPaired
	}
	if d.everPaired.Load() {
		// The old device's keys were deleted: never link new ones under the old identity keys.
		d.mu.Lock()
		d.device = d.c.container.NewDevice()
		old := d.cli
		d.mu.Unlock()
		d.resetClient(old)
		d.everPaired.Store(false)
	}

	d.mu.Lock()
	p := d.pairing
	d.pairing = nil
	d.mu.Unlock()
	cli := d.client()
	var buffered []whatsmeow.QRChannelItem
	if p != nil {
		// Take over the pairing socket Connect opened, if it is still good.
		stale := p.forwarded || p.cli != cli || !cli.IsConnected()
		if !stale {
			buffered, stale = drainCodes(p.qr)
		}
		if stale {
			d.discardPairing(p)
			p = nil
		}
	}
	if p == nil {
		cli = d.client()
		if cli.IsConnected() {
			d.resetClient(cli) // a socket of an earlier attempt: start over, QR channel and all
			cli = d.client()
		}
		var err error
		if p, err = d.startPairing(ctx, cli); err != nil {
			return nil, err
		}
	}
	p.forwarded = true
	d.setPairing(p)
	out := make(chan whatsapp.PairEvent, 8)
	go func() {
		defer func() {
			d.mu.Lock()
			if d.pairing == p {
				d.pairing = nil
			}
			d.mu.Unlock()
			p.end()
		}()
		d.forwardPairing(ctx, p, buffered, phone, out)
	}()
	return out, nil
}

// drainCodes takes the codes waiting in a pairing Connect opened. stale is true when the channel
// ended already (the window ran out): the pairing must start over.
func drainCodes(qr <-chan whatsmeow.QRChannelItem) (codes []whatsmeow.QRChannelItem, stale bool) {
	for {
		select {
		case item, open := <-qr:
			switch {
			case !open:
				return codes, true
			case item.Event == whatsmeow.QRChannelEventCode:
				codes = append(codes, item)
			default:
				if _, final, _ := pairEventFromQR(item); final {
					return codes, true
				}
			}
		default:
			return codes, false
		}
	}
}

// forwardPairing turns whatsmeow's QR channel into PairEvents. Codes that waited in the buffer are
// summed up: only the newest is passed on, valid for what is left of it. With a phone number, the
// first code (the socket is ready) triggers PairPhone, and codes are not passed on.
func (d *Driver) forwardPairing(ctx context.Context, p *pairing, buffered []whatsmeow.QRChannelItem, phone string, out chan<- whatsapp.PairEvent) {
	defer close(out)
	emit := func(e whatsapp.PairEvent) {
		select { // room in the buffer: deliver even when ctx has ended
		case out <- e:
			return
		default:
		}
		select {
		case out <- e:
		case <-ctx.Done():
		}
	}
	fail := func(err error) {
		d.resetClient(p.cli)
		emit(whatsapp.PairEvent{Kind: whatsapp.PairFailed, Err: err})
	}
	codeSent := false
	// handle passes one item on; it reports whether the pairing ended.
	handle := func(item whatsmeow.QRChannelItem) bool {
		if phone != "" && item.Event == whatsmeow.QRChannelEventCode {
			if codeSent {
				return false
			}
			code, err := p.cli.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, pairClientName)
			if err != nil {
				fail(pairPhoneError(err))
				return true
			}
			codeSent = true
			emit(whatsapp.PairEvent{Kind: whatsapp.PairCode, Code: code, ValidFor: time.Until(p.start.Add(pairingWindow)).Round(time.Second)})
			return false
		}
		e, final, ok := pairEventFromQR(item)
		if !ok {
			d.log.WarnContext(ctx, "pairing qr scanned by a phone without linked-device support")
			return false
		}
		if e.Kind == whatsapp.PairSuccess {
			if id := d.dev().ID; id != nil {
				e.Device = jidFromWA(*id)
			}
		} else if final {
			d.resetClient(p.cli)
		}
		emit(e)
		return final
	}

	if n := len(buffered); n > 0 {
		var shown time.Duration // how long the waiting codes were shown, back to back
		for _, it := range buffered {
			shown += it.Timeout
		}
		latest := buffered[n-1]
		latest.Timeout = max(time.Until(p.start.Add(shown)).Round(time.Second), time.Second)
		if handle(latest) {
			return
		}
	}
	for {
		select {
		case <-ctx.Done():
			fail(fmt.Errorf("whatsmeow: pairing abandoned: %w", ctx.Err()))
			return
		case <-p.ctx.Done():
			fail(errors.New("whatsmeow: pairing ended: the session was disconnected"))
			return
		case item, open := <-p.qr:
			if !open {
				fail(errors.New("whatsmeow: pairing ended: the pairing socket closed"))
				return
			}
			if handle(item) {
				return
			}
		}
	}
}

// pairPhoneDigits checks a phone number for PairPhone: international digits with optional
// formatting (a leading +, spaces, dashes, dots, brackets), more than six digits, no leading 0.
// whatsmeow would silently drop letters; a number with letters is a typo, so it is refused.
func pairPhoneDigits(phone string) (string, error) {
	if strings.IndexFunc(phone, func(r rune) bool {
		return (r < '0' || r > '9') && !strings.ContainsRune("+ -.()", r)
	}) >= 0 {
		return "", fmt.Errorf("%w: %q has characters that are not digits", whatsapp.ErrInvalidPhone, phone)
	}
	digits := digitsOf(phone)
	switch {
	case len(digits) <= 6:
		return "", fmt.Errorf("%w: %w", whatsapp.ErrInvalidPhone, whatsmeow.ErrPhoneNumberTooShort)
	case strings.HasPrefix(digits, "0"):
		return "", fmt.Errorf("%w: %w", whatsapp.ErrInvalidPhone, whatsmeow.ErrPhoneNumberIsNotInternational)
	}
	return digits, nil
}

func pairPhoneError(err error) error {
	if errors.Is(err, whatsmeow.ErrPhoneNumberTooShort) || errors.Is(err, whatsmeow.ErrPhoneNumberIsNotInternational) {
		return fmt.Errorf("%w: %w", whatsapp.ErrInvalidPhone, err)
	}
	if errors.Is(err, whatsmeow.ErrIQBadRequest) {
		return fmt.Errorf("whatsmeow: WhatsApp refused the pairing code request (is the number on WhatsApp?): %w", err)
	}
	return fmt.Errorf("whatsmeow: request pairing code: %w", mapError(err))
}
