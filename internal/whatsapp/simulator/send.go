package simulator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// maxTextBytes is the longest text the simulator accepts (WhatsApp's limit is not documented).
const maxTextBytes = 65536

// Send sends m on the live link and returns once WhatsApp "acknowledged" it: the send is recorded in
// sim_sent with its connection, and its delivered and read receipts are queued after
// Options.DeliveredAfter and Options.ReadAfter. Sending the same m.ID twice records it twice. A
// planned failure (FailNext) is returned first; then numbers not on WhatsApp fail with
// ErrNotOnWhatsApp, unknown groups with ErrNotInGroup, empty or oversized media with
// ErrMediaRejected. On a frozen link it hangs until ctx ends or Options.SendTimeout passes.
func (d *Driver) Send(ctx context.Context, m whatsapp.Outgoing) (whatsapp.Sent, error) {
	d.mu.Lock()
	l, ref := d.link, d.ref
	d.mu.Unlock()
	if l == nil {
		return whatsapp.Sent{}, whatsapp.ErrNotConnected
	}
	if l.frozen.Load() {
		return whatsapp.Sent{}, d.hang(ctx, l)
	}
	if err := d.c.plannedFailure(ctx, ref.ID); err != nil {
		return whatsapp.Sent{}, err
	}
	if m.ID == "" {
		m.ID = whatsapp.NewMessageID()
	}
	receipts, err := d.c.checkRecipient(ctx, ref.ID, m.To)
	if err != nil {
		return whatsapp.Sent{}, err
	}
	rec, err := d.c.content(ctx, m)
	if err != nil {
		return whatsapp.Sent{}, err
	}
	rec.SessionID, rec.ConnectionID, rec.Fence = ref.ID, l.id, ref.Fence
	rec.MessageID, rec.ToJid = string(m.ID), m.To.String()

	now := time.Now()
	err = store.WithTx(ctx, d.c.db, func(q *store.Queries) error {
		if _, err := q.SimConnectionLockLive(ctx, l.id); err != nil {
			return err
		}
		if err := q.SimSentInsert(ctx, rec); err != nil {
			return err
		}
		if !receipts {
			return nil
		}
		return d.c.queueReceipts(ctx, q, ref.ID, m, now)
	})
	if store.IsNotFound(err) {
		return whatsapp.Sent{}, whatsapp.ErrNotConnected // the connection ended under us
	} else if err != nil {
		return whatsapp.Sent{}, fmt.Errorf("simulator: send: %w", err)
	}
	d.touch()
	return whatsapp.Sent{ID: m.ID, Timestamp: now}, nil
}

// checkRecipient says whether WhatsApp takes a message for to, and whether receipts will come back.
func (c *Connector) checkRecipient(ctx context.Context, sessionID uuid.UUID, to whatsapp.JID) (bool, error) {
	if to.IsEmpty() || to.Device != 0 || to.User == "" {
		return false, whatsapp.ErrInvalidRecipient // whatsmeow refuses device JIDs (ErrRecipientADJID)
	}
	switch to.Server {
	case whatsapp.ServerUser:
		st, err := c.numbers(ctx, []string{to.User})
		if err != nil {
			return false, err
		}
		if !st[0].OnWhatsApp {
			return false, whatsapp.ErrNotOnWhatsApp
		}
		// A number WhatsApp knows under another canonical form takes the message, which reaches
		// nobody: no receipts (send to the JID CheckNumbers answers).
		return st[0].JID.User == to.User, nil
	case whatsapp.ServerLID:
		return true, nil
	case whatsapp.ServerGroup:
		_, err := c.q.SimGroupGet(ctx, store.SimGroupGetParams{SessionID: sessionID, Jid: to.String()})
		if store.IsNotFound(err) {
			return false, whatsapp.ErrNotInGroup
		} else if err != nil {
			return false, fmt.Errorf("simulator: send: %w", err)
		}
		return true, nil
	}
	return false, whatsapp.ErrInvalidRecipient
}

// content checks m against its kind and describes it for sim_sent; media is read in full.
func (c *Connector) content(ctx context.Context, m whatsapp.Outgoing) (store.SimSentInsertParams, error) {
	kind := m.Kind
	if kind == "" && m.Media == nil {
		kind = whatsapp.KindText
	}
	rec := store.SimSentInsertParams{Kind: string(kind)}
	if m.ReplyTo != nil {
		rec.ReplyTo = string(m.ReplyTo.ID)
	}
	switch kind {
	case whatsapp.KindText:
		if len(m.Text) > maxTextBytes {
			return rec, whatsapp.ErrMessageTooLarge
		}
		rec.Body = m.Text
	case whatsapp.KindImage, whatsapp.KindVideo, whatsapp.KindAudio, whatsapp.KindDocument, whatsapp.KindSticker:
		if m.Media == nil || m.Media.Open == nil {
			return rec, fmt.Errorf("%w: %s message without media", whatsapp.ErrMediaRejected, kind)
		}
		size, sum, err := c.readMedia(ctx, m.Media)
		if err != nil {
			return rec, err
		}
		rec.Body, rec.FileName, rec.VoiceNote = m.Caption, m.FileName, m.VoiceNote
		rec.MediaMime, rec.MediaSize, rec.MediaSha256 = m.Media.MIME, size, sum
	case whatsapp.KindLocation:
		if m.Location == nil {
			return rec, errors.New("simulator: location message without a location")
		}
		b, _ := json.Marshal(m.Location)
		rec.Detail = b
	case whatsapp.KindContact:
		if m.Contact == nil {
			return rec, errors.New("simulator: contact message without a contact")
		}
		b, _ := json.Marshal(m.Contact)
		rec.Detail, rec.Body = b, m.Contact.DisplayName
	default:
		return rec, fmt.Errorf("simulator: cannot send a message of kind %q", kind)
	}
	return rec, nil
}

// readMedia "uploads" media: reads it to the end, up to Options.MaxMediaBytes.
func (c *Connector) readMedia(ctx context.Context, m *whatsapp.Media) (int64, []byte, error) {
	rc, err := m.Open(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("simulator: open media: %w", err) // our storage's trouble: retryable
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, c.opts.MaxMediaBytes+1))
	if err != nil {
		return 0, nil, fmt.Errorf("simulator: read media: %w", err)
	}
	if n == 0 {
		return 0, nil, fmt.Errorf("%w: empty file", whatsapp.ErrMediaRejected)
	}
	if n > c.opts.MaxMediaBytes {
		return 0, nil, fmt.Errorf("%w: larger than %d bytes", whatsapp.ErrMediaRejected, c.opts.MaxMediaBytes)
	}
	return n, h.Sum(nil), nil
}

// queueReceipts schedules the delivered and read receipts of a send in the session's inbox.
func (c *Connector) queueReceipts(ctx context.Context, q *store.Queries, sessionID uuid.UUID, m whatsapp.Outgoing, at time.Time) error {
	reader := m.To
	if m.To.IsGroup() {
		reader = whatsapp.JID{User: "4915100000001", Server: whatsapp.ServerUser} // a member of the group
	}
	read := c.opts.ReadAfter
	if read > 0 && c.opts.DeliveredAfter > 0 && read <= c.opts.DeliveredAfter {
		read = c.opts.DeliveredAfter + time.Millisecond // read never overtakes delivered
	}
	for _, r := range []struct {
		typ   whatsapp.ReceiptType
		after time.Duration
	}{{whatsapp.ReceiptDelivered, c.opts.DeliveredAfter}, {whatsapp.ReceiptRead, read}} {
		if r.after <= 0 {
			continue
		}
		kind, payload, err := encodeEvent(whatsapp.Receipt{
			MessageIDs: []whatsapp.MessageID{m.ID}, Chat: m.To, Sender: reader, Type: r.typ, Timestamp: at.Add(r.after),
		})
		if err != nil {
			return err
		}
		if err := q.SimInboxInsert(ctx, store.SimInboxInsertParams{
			SessionID: sessionID, Kind: kind, Payload: payload, DelaySeconds: r.after.Seconds(),
		}); err != nil {
			return err
		}
	}
	return nil
}

// plannedFailure pops the session's next FailNext error, if any.
func (c *Connector) plannedFailure(ctx context.Context, sessionID uuid.UUID) error {
	f, err := c.q.SimFailureTake(ctx, sessionID)
	if store.IsNotFound(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("simulator: send: %w", err)
	}
	switch f.Kind {
	case "sentinel":
		if e, ok := sentinels[f.Name]; ok {
			return e
		}
	case "server":
		return &whatsapp.ServerError{Code: int(f.Code), Text: f.Message}
	case "rate_limited":
		return &whatsapp.RateLimitedError{RetryAfter: time.Duration(f.RetryAfterMs) * time.Millisecond}
	}
	return errors.New(f.Message)
}

// CheckNumbers answers which numbers are on WhatsApp: by default all but those ending in 0000;
// SetNumber overrides a number (not on WhatsApp, another canonical form, a business name).
func (d *Driver) CheckNumbers(ctx context.Context, phones []string) ([]whatsapp.NumberStatus, error) {
	d.mu.Lock()
	l := d.link
	d.mu.Unlock()
	if l == nil {
		return nil, whatsapp.ErrNotConnected
	}
	if l.frozen.Load() {
		return nil, d.hang(ctx, l)
	}
	digits := make([]string, len(phones))
	for i, p := range phones {
		digits[i], _ = normalizePhone(p) // "" for an invalid number: not on WhatsApp
	}
	st, err := d.c.numbers(ctx, digits)
	if err != nil {
		return nil, err
	}
	for i := range st {
		st[i].Query = phones[i]
	}
	d.touch()
	return st, nil
}

// numbers applies the rule and the overrides to numbers given as digits ("" = invalid).
func (c *Connector) numbers(ctx context.Context, digits []string) ([]whatsapp.NumberStatus, error) {
	rows, err := c.q.SimNumberList(ctx, digits)
	if err != nil {
		return nil, fmt.Errorf("simulator: look up numbers: %w", err)
	}
	over := make(map[string]store.SimNumber, len(rows))
	for _, r := range rows {
		over[r.Phone] = r
	}
	out := make([]whatsapp.NumberStatus, len(digits))
	for i, d := range digits {
		out[i].Query = d
		if d == "" {
			continue
		}
		on, canonical, name := !strings.HasSuffix(d, "0000"), d, ""
		if r, ok := over[d]; ok {
			on, name = r.OnWhatsapp, r.VerifiedName
			if r.Canonical != "" {
				canonical = r.Canonical
			}
		}
		if on {
			out[i].OnWhatsApp, out[i].JID, out[i].VerifiedName = true, whatsapp.UserJID(canonical), name
		}
	}
	return out, nil
}

// Groups lists the groups the account is in (CreateGroup adds them).
func (d *Driver) Groups(ctx context.Context) ([]whatsapp.Group, error) {
	d.mu.Lock()
	l, ref := d.link, d.ref
	d.mu.Unlock()
	if l == nil {
		return nil, whatsapp.ErrNotConnected
	}
	if l.frozen.Load() {
		return nil, d.hang(ctx, l)
	}
	rows, err := d.c.q.SimGroupListBySession(ctx, ref.ID)
	if err != nil {
		return nil, fmt.Errorf("simulator: groups: %w", err)
	}
	out := make([]whatsapp.Group, 0, len(rows))
	for _, r := range rows {
		j, err := whatsapp.ParseJID(r.Jid)
		if err != nil {
			return nil, fmt.Errorf("simulator: groups: %w", err)
		}
		out = append(out, whatsapp.Group{JID: j, Name: r.Name, Participants: int(r.Participants), AnnounceOnly: r.AnnounceOnly})
	}
	return out, nil
}

// Download returns inbound media by the handle its message carried (StoreMedia made it). Like
// whatsmeow's media download it needs no live link.
func (d *Driver) Download(ctx context.Context, h whatsapp.MediaHandle) (io.ReadCloser, error) {
	id, err := uuid.ParseBytes(h)
	if err != nil {
		return nil, fmt.Errorf("%w: bad handle", ErrMediaNotFound)
	}
	m, err := d.c.q.SimMediaGet(ctx, id)
	if store.IsNotFound(err) || (err == nil && m.SessionID != d.Ref().ID) {
		return nil, ErrMediaNotFound
	} else if err != nil {
		return nil, fmt.Errorf("simulator: download: %w", err)
	}
	return io.NopCloser(bytes.NewReader(m.Data)), nil
}
