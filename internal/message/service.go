package message

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/ratelimit"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/validate"
	"github.com/wagate/wagate/internal/whatsapp"
)

// Limits on what a message may carry. WhatsApp documents no text limit; these are generous.
const (
	maxTextRunes     = 4096
	maxCaptionRunes  = 1024
	maxFileName      = 255
	maxScheduleAhead = 366 * 24 * time.Hour
	defaultPageSize  = 50
	maxPageSize      = 200
	// IdempotencyTTL is how long an Idempotency-Key's first response is kept (DESIGN.md Contracts).
	IdempotencyTTL = 24 * time.Hour
)

// MediaInfo is what a send needs to know about a stored file.
type MediaInfo struct {
	ID        uuid.UUID
	MIME      string
	Size      int64
	FileName  string
	Kind      whatsapp.Kind // image, video, audio or document
	VoiceNote bool          // OGG/Opus audio
}

// Media is the part of the media store messages use. Info of an unknown id (or another tenant's)
// returns an error for which IsNotFound-like checks are done by the caller: any error is "no such media".
type Media interface {
	Info(ctx context.Context, tenantID, id uuid.UUID) (MediaInfo, error)
	Open(ctx context.Context, tenantID, id uuid.UUID) (io.ReadCloser, error)
	// Upload stores a file sent with a request (size as declared, 0 when unknown) and Fetch one
	// downloaded from an http(s) URL. Their refusals are for the sender to see as they are (a
	// *validate.Errors on "file" or "media_url", a file too large or of a type WhatsApp does not
	// take, a full storage quota); on any error nothing is stored.
	Upload(ctx context.Context, tenantID uuid.UUID, name string, r io.Reader, size int64) (MediaInfo, error)
	Fetch(ctx context.Context, tenantID uuid.UUID, url string) (MediaInfo, error)
	// Delete removes a file stored for a send that was then refused.
	Delete(ctx context.Context, tenantID, id uuid.UUID) error
}

// Config tunes messaging. Zero values take the defaults.
type Config struct {
	// Expiry is how long an unsent message waits for its session (MESSAGE_EXPIRY, default 24 h).
	Expiry time.Duration
}

// Holders asks the instance holding a session about it (delivery.Router, which answers in-process
// when this instance holds it and over Redis otherwise).
type Holders interface {
	Groups(ctx context.Context, instance uuid.UUID, t Target) ([]whatsapp.Group, error)
	CheckNumbers(ctx context.Context, instance uuid.UUID, t Target, phones []string) ([]whatsapp.NumberStatus, error)
}

// Target names a session on its holder: the fence is the lease counter the caller saw, so a holder
// that has lost (or never had) that holding refuses.
type Target struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	SessionID uuid.UUID `json:"session_id"`
	Fence     int64     `json:"fence"`
}

// Deps are the message service's collaborators; every one is required (NoObserver observes nothing).
type Deps struct {
	// Enqueuer enqueues send tasks after commit (a lost enqueue is repaired by the sweeper).
	Enqueuer Enqueuer
	// Media looks up and opens stored files for media sends.
	Media Media
	// Holders answers group lists and number checks from the session's holder.
	Holders Holders
	// Pacer paces number checks like sends, across the cluster.
	Pacer *ratelimit.Pacer
	// Observer is told of every status a message reaches here (metrics).
	Observer Observer
}

// Service carries out tenants' requests on messages (HTTP, API).
type Service struct {
	db      store.DB
	enq     Enqueuer
	media   Media
	holders Holders
	pacer   *ratelimit.Pacer
	obs     Observer
	cfg     Config
	log     *slog.Logger
	now     func() time.Time

	ctxMu    sync.Mutex
	contexts map[[2]uuid.UUID]cachedContext
}

// cachedContext is a tenant's plan and one of its sessions as an accept needs them, kept for
// contextTTL: a burst of sends to one session reads them once a second, not once per message.
type cachedContext struct {
	row store.MessageSendContextRow
	at  time.Time
}

const (
	contextTTL = time.Second
	contextMax = 10_000
)

func (s *Service) sendContext(ctx context.Context, q *store.Queries, tenantID, sessionID uuid.UUID) (store.MessageSendContextRow, error) {
	key := [2]uuid.UUID{tenantID, sessionID}
	s.ctxMu.Lock()
	c, ok := s.contexts[key]
	s.ctxMu.Unlock()
	if ok && time.Since(c.at) < contextTTL {
		return c.row, nil
	}
	row, err := q.MessageSendContext(ctx, store.MessageSendContextParams{TenantID: tenantID, SessionID: sessionID})
	if err != nil {
		return row, err
	}
	// Only a session that can send is cached: errors (unknown, unpaired) are always read fresh.
	if row.SessionID != nil && row.SessionDeletedAt == nil && row.SessionDeviceJid != nil && *row.SessionDeviceJid != "" {
		s.ctxMu.Lock()
		if len(s.contexts) >= contextMax {
			clear(s.contexts)
		}
		s.contexts[key] = cachedContext{row: row, at: time.Now()}
		s.ctxMu.Unlock()
	}
	return row, nil
}

func (s *Service) forgetContext(tenantID, sessionID uuid.UUID) {
	s.ctxMu.Lock()
	delete(s.contexts, [2]uuid.UUID{tenantID, sessionID})
	s.ctxMu.Unlock()
}

// NewService returns the message service. A missing dependency is a wiring bug: it panics at start
// rather than failing a tenant's request later.
func NewService(db store.DB, d Deps, cfg Config, log *slog.Logger) *Service {
	if d.Enqueuer == nil || d.Media == nil || d.Holders == nil || d.Pacer == nil || d.Observer == nil {
		panic("message.NewService: Enqueuer, Media, Holders, Pacer and Observer are required")
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = 24 * time.Hour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, enq: d.Enqueuer, media: d.Media, holders: d.Holders, pacer: d.Pacer, obs: d.Observer, cfg: cfg,
		log: log.With("component", "messages"), now: time.Now, contexts: map[[2]uuid.UUID]cachedContext{}}
}

// unknownSession is worded the same for an id that does not exist and another tenant's (invariant 2).
const unknownSession = "No session with this id in your workspace."

// prepared is a validated SendRequest, ready to insert.
type prepared struct {
	to        Recipient
	kind      whatsapp.Kind
	body      string
	mediaID   *uuid.UUID
	file      *MediaInfo // the file MediaID names
	fileName  string
	voiceNote bool
	detail    []byte
	replyTo   string
	sendAt    *time.Time
	queue     string
}

// Send validates req and accepts it: in one transaction the message row (queued, or scheduled when
// SendAt is later), its first event, the idempotency record and its count against the tenant's daily
// quota; then, after commit, its task (a lost enqueue is repaired by the sweeper). A req.File is
// stored only once the rest of the request is right, and not kept when the send is refused after all
// (unless File.Keep). Errors: *validate.Errors (fields to, session_id, media_id, file, media_url,
// type, reply_to, send_at, text, file_name, location, contact, queue), *KindError, the media store's
// refusals of a File, *QuotaError, ErrSessionNotPaired, ErrIdempotencyRunning, ErrIdempotencyMismatch.
func (s *Service) Send(ctx context.Context, tenantID uuid.UUID, req SendRequest, idem *Idempotency) (Accepted, error) {
	if req.File != nil {
		return s.sendFile(ctx, tenantID, req, idem)
	}
	q := store.New(s.db)
	info, p, replay, err := s.check(ctx, q, tenantID, req, idem)
	if err != nil || replay != nil {
		return Accepted{File: p.file, Replay: replay}, err
	}
	acc, err := s.accept(ctx, q, tenantID, req.SessionID, info, p, idem)
	acc.File = p.file
	return acc, err
}

// check reads what req needs and validates it, storing nothing. A replay answers before validation:
// the first request with idem's key was valid, and the same body still is.
func (s *Service) check(ctx context.Context, q *store.Queries, tenantID uuid.UUID, req SendRequest, idem *Idempotency) (store.MessageSendContextRow, prepared, *Replay, error) {
	info, err := s.sendContext(ctx, q, tenantID, req.SessionID)
	if err != nil {
		return info, prepared{}, nil, fmt.Errorf("send: tenant: %w", err)
	}
	if idem != nil {
		if rec, err := q.IdempotencyGet(ctx, store.IdempotencyGetParams{TenantID: tenantID, Key: idem.Key}); err == nil {
			acc, err := replayOf(rec, idem)
			return info, prepared{}, acc.Replay, err
		} else if !store.IsNotFound(err) {
			return info, prepared{}, nil, fmt.Errorf("send: idempotency: %w", err)
		}
	}
	p, err := s.prepare(ctx, q, tenantID, info, req)
	return info, p, nil, err
}

// accept stores a checked request: one statement far from the day's quota, else the transaction
// that takes turns on the tenant's counter.
func (s *Service) accept(ctx context.Context, q *store.Queries, tenantID, sessionID uuid.UUID, info store.MessageSendContextRow, p prepared, idem *Idempotency) (Accepted, error) {
	now := s.now()
	loc, err := time.LoadLocation(info.Timezone)
	if err != nil {
		loc = time.UTC
	}
	day := tenantDay(now, loc)

	id, _ := uuid.NewV7()
	status := StatusQueued
	start := now
	if p.sendAt != nil {
		status, start = StatusScheduled, *p.sendAt
	}
	expires := start.Add(s.cfg.Expiry)
	var queuedAt *time.Time
	if status == StatusQueued {
		queuedAt = &now
	}
	var acc Accepted
	waID := string(whatsapp.NewMessageID())
	if idem == nil {
		// Far from the day's limit the whole accept is one statement; near it (no row back), the exact
		// path below takes turns on the tenant's counter.
		pl, _ := json.Marshal(eventPayload{Direction: string(DirectionOut), WAID: waID, Chat: p.to.JID.String(),
			Kind: string(p.kind), Status: string(status)})
		rows, err := q.MessageAcceptFast(ctx, store.MessageAcceptFastParams{TenantID: tenantID, QuotaDay: day,
			Margin: quotaMargin, Shard: int16(1 + rand.IntN(quotaShards-1)),
			ID: id, SessionID: sessionID, WaID: waID, ChatJid: p.to.JID.String(), Phone: p.to.Phone,
			Kind: string(p.kind), Body: p.body, MediaID: p.mediaID, FileName: p.fileName, VoiceNote: p.voiceNote,
			Detail: p.detail, ReplyTo: p.replyTo, Queue: p.queue, Status: string(status), SendAt: p.sendAt,
			ExpiresAt: &expires, QueuedAt: queuedAt, EventPayload: pl})
		if store.IsForeignKeyViolation(err) {
			// The session was deleted within the context cache's second.
			s.forgetContext(tenantID, sessionID)
			return Accepted{}, validate.Field("session_id", unknownSession)
		} else if err != nil {
			return Accepted{}, fmt.Errorf("send: %w", err)
		}
		if len(rows) == 1 {
			acc.Message = FromRow(store.Message(rows[0]))
			return s.accepted(ctx, acc, status, p.queue), nil
		}
	}
	err = store.WithTx(ctx, s.db, func(q *store.Queries) error {
		if idem != nil {
			got, err := q.IdempotencyTryLock(ctx, store.IdempotencyTryLockParams{TenantID: tenantID.String(), Key: idem.Key})
			if err != nil {
				return err
			}
			if !got {
				return ErrIdempotencyRunning
			}
			// Another request with this key may have committed between our first look and the lock.
			if rec, err := q.IdempotencyGet(ctx, store.IdempotencyGetParams{TenantID: tenantID, Key: idem.Key}); err == nil {
				acc, err = replayOf(rec, idem)
				return err
			} else if !store.IsNotFound(err) {
				return err
			}
		}
		row, err := q.MessageInsert(ctx, store.MessageInsertParams{
			ID: id, TenantID: tenantID, SessionID: sessionID, WaID: waID,
			ChatJid: p.to.JID.String(), Phone: p.to.Phone, Kind: string(p.kind), Body: p.body, MediaID: p.mediaID,
			FileName: p.fileName, VoiceNote: p.voiceNote, Detail: p.detail, ReplyTo: p.replyTo, Queue: p.queue,
			Status: string(status), SendAt: p.sendAt, ExpiresAt: &expires,
			QuotaDay: &day, QueuedAt: queuedAt,
		})
		if err != nil {
			return err
		}
		if err := RecordStatus(ctx, q, row, ""); err != nil {
			return err
		}
		acc.Message = FromRow(row)
		if idem != nil {
			code, body, err := idem.Render(acc.Message, p.file)
			if err != nil {
				return fmt.Errorf("render idempotent response: %w", err)
			}
			if err := q.IdempotencyPut(ctx, store.IdempotencyPutParams{TenantID: tenantID, Key: idem.Key,
				RequestHash: idem.Hash, StatusCode: int32(code), Response: body, ResourceID: &row.ID,
				ExpiresAt: now.Add(IdempotencyTTL)}); err != nil {
				return err
			}
		}
		// Last, so whatever the count locks is held as briefly as possible.
		// The plan's limit as it is now (the send context may be a second old).
		plan, err := q.MessageTenantSendInfo(ctx, tenantID)
		if err != nil {
			return err
		}
		ok, err := countQuota(ctx, q, tenantID, day, int(plan.MessagesPerDay))
		if err != nil {
			return err
		}
		if !ok {
			return &QuotaError{Limit: int(plan.MessagesPerDay), Used: int(plan.MessagesPerDay), RetryAfter: nextDay(now, loc).Sub(now)}
		}
		return nil
	})
	if err != nil {
		var qe *QuotaError
		if errors.As(err, &qe) || errors.Is(err, ErrIdempotencyRunning) || errors.Is(err, ErrIdempotencyMismatch) {
			return Accepted{}, err
		}
		return Accepted{}, fmt.Errorf("send: %w", err)
	}
	if acc.Replay != nil {
		return acc, nil
	}
	return s.accepted(ctx, acc, status, p.queue), nil
}

// accepted finishes an accept after commit: metrics, and the task of a message to send now.
func (s *Service) accepted(ctx context.Context, acc Accepted, status Status, queue string) Accepted {
	s.obs.Status(status, acc.Message)
	if status == StatusQueued {
		if err := s.enq.EnqueueSend(ctx, acc.Message.TenantID, acc.Message.ID, queue, time.Time{}); err != nil {
			// Accepted all the same: the row is in Postgres and the sweeper enqueues it (invariant 1).
			s.log.WarnContext(ctx, "enqueue failed; the sweeper will retry", "message_id", acc.Message.ID, "err", err)
		}
	}
	return acc
}

func replayOf(rec store.IdempotencyKey, idem *Idempotency) (Accepted, error) {
	if !bytes.Equal(rec.RequestHash, idem.Hash) {
		return Accepted{}, ErrIdempotencyMismatch
	}
	return Accepted{Replay: &Replay{Status: int(rec.StatusCode), Body: rec.Response}}, nil
}

// prepare checks req field by field and resolves what it names.
func (s *Service) prepare(ctx context.Context, q *store.Queries, tenantID uuid.UUID, info store.MessageSendContextRow, req SendRequest) (prepared, error) {
	var c validate.Checker
	var p prepared
	known := info.SessionID != nil && info.SessionDeletedAt == nil
	if !known {
		c.Add("session_id", unknownSession)
	}
	to, msg := ParseRecipient(req.To, info.DefaultCountry)
	if msg != "" {
		c.Add("to", msg)
	}
	p.to = to

	switch req.Queue {
	case "", QueueInteractive:
		p.queue = QueueInteractive
	case QueueBulk:
		p.queue = QueueBulk
	default:
		c.Add("queue", "Must be interactive or bulk.")
	}

	hasFile := req.MediaID != nil || req.File != nil
	set := 0
	for _, b := range []bool{hasFile, req.Location != nil, req.Contact != nil} {
		if b {
			set++
		}
	}
	if set > 1 {
		c.Add("media_id", "Send one of media, location or contact per message.")
	}
	c.Check(req.MediaID == nil || req.File == nil, "media_id", "Send either a stored file or a new one, not both.")
	text := strings.TrimRight(req.Text, " \t\r\n")
	switch {
	case !utf8.ValidString(text):
		c.Add("text", "Contains characters that are not valid text.")
	case hasFile:
		p.body = text
		c.Check(utf8.RuneCountInString(text) <= maxCaptionRunes, "text", fmt.Sprintf("A caption can be at most %d characters.", maxCaptionRunes))
		s.prepareMedia(ctx, tenantID, req, &p, &c)
	case req.Location != nil:
		p.kind = whatsapp.KindLocation
		l := req.Location
		c.Check(l.Latitude >= -90 && l.Latitude <= 90, "location.latitude", "Must be between -90 and 90.")
		c.Check(l.Longitude >= -180 && l.Longitude <= 180, "location.longitude", "Must be between -180 and 180.")
		c.Check(utf8.RuneCountInString(l.Name) <= 200, "location.name", "Must be at most 200 characters.")
		c.Check(utf8.RuneCountInString(l.Address) <= 500, "location.address", "Must be at most 500 characters.")
		p.detail, _ = json.Marshal(l)
	case req.Contact != nil:
		p.kind = whatsapp.KindContact
		ct := req.Contact
		c.Required("contact.display_name", ct.DisplayName, 200)
		v := strings.TrimSpace(ct.VCard)
		c.Check(strings.HasPrefix(strings.ToUpper(v), "BEGIN:VCARD") && len(v) <= 10000, "contact.vcard",
			"Must be a vCard (BEGIN:VCARD … END:VCARD), at most 10,000 characters.")
		p.detail, _ = json.Marshal(ct)
	default:
		p.kind = whatsapp.KindText
		p.body = text
		switch {
		case strings.TrimSpace(text) == "":
			c.Add("text", "Enter the message text.")
		case utf8.RuneCountInString(text) > maxTextRunes:
			c.Add("text", fmt.Sprintf("A message can be at most %d characters.", maxTextRunes))
		}
	}

	if req.ReplyTo != "" && known {
		orig, err := q.MessageFindForReply(ctx, store.MessageFindForReplyParams{TenantID: tenantID, SessionID: req.SessionID, Ref: req.ReplyTo})
		switch {
		case store.IsNotFound(err):
			c.Add("reply_to", "No message with this id in that session.")
		case err != nil:
			return p, fmt.Errorf("send: reply_to: %w", err)
		default:
			p.replyTo = orig.WaID
		}
	}
	if req.SendAt != nil {
		now := s.now()
		switch at := req.SendAt.UTC(); {
		case at.After(now.Add(maxScheduleAhead)):
			c.Add("send_at", "Can be at most a year ahead.")
		case at.After(now.Add(time.Second)):
			p.sendAt = &at
		}
		// A send_at in the past (or within a second) sends now.
	}
	// The type against what the request carries. Against a file, only once every other field is
	// right (below): that refusal comes alone, as a *KindError a form can word its own way.
	if req.Type != "" && !hasFile && p.kind != "" {
		if msg := typeProblem(req.Type, p.kind, false, ""); msg != "" {
			c.Add("type", msg)
		}
	}
	if err := c.Err(); err != nil {
		return p, err
	}
	if f := p.file; f != nil && req.Type != "" && typeProblem(req.Type, f.Kind, true, f.MIME) != "" {
		return p, &KindError{Type: req.Type, File: f.Kind, MIME: f.MIME}
	}
	if info.SessionDeviceJid == nil || *info.SessionDeviceJid == "" {
		return p, ErrSessionNotPaired
	}
	return p, nil
}

func (s *Service) prepareMedia(ctx context.Context, tenantID uuid.UUID, req SendRequest, p *prepared, c *validate.Checker) {
	name := strings.TrimSpace(req.FileName)
	switch {
	case len(name) > maxFileName:
		c.Add("file_name", "Must be at most 255 bytes.")
		name = ""
	case strings.ContainsAny(name, "/\\") || strings.Contains(name, "..") || strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		c.Add("file_name", "Must be a plain file name, without folders or control characters.")
		name = ""
	}
	if req.File != nil {
		return // stored once the rest of the request is right (sendFile)
	}
	m, err := s.media.Info(ctx, tenantID, *req.MediaID)
	if err != nil {
		c.Add("media_id", "No media with this id in your workspace.")
		return
	}
	p.file = &m
	p.mediaID = &m.ID
	p.kind = m.Kind
	p.fileName = m.FileName
	p.voiceNote = m.Kind == whatsapp.KindAudio && m.VoiceNote
	if req.AsDocument || req.Type == whatsapp.KindDocument {
		p.kind, p.voiceNote = whatsapp.KindDocument, false
	}
	if name != "" {
		p.fileName = name
	}
	if p.kind == whatsapp.KindDocument && p.fileName == "" {
		p.fileName = "file"
	}
}

// tenantDay is the date (at UTC midnight, as Postgres' date wants it) of t in the tenant's zone.
func tenantDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// nextDay is when the tenant's next day begins.
func nextDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// Get returns one of the tenant's messages (ErrNotFound otherwise, another tenant's id included).
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (Message, error) {
	row, err := store.New(s.db).MessageGet(ctx, store.MessageGetParams{TenantID: tenantID, ID: id})
	if store.IsNotFound(err) {
		return Message{}, ErrNotFound
	} else if err != nil {
		return Message{}, fmt.Errorf("get message: %w", err)
	}
	return FromRow(row), nil
}

// List returns a page of the tenant's messages, newest first. A bad cursor or filter is a
// *validate.Errors on that field.
func (s *Service) List(ctx context.Context, tenantID uuid.UUID, f Filter) (Page, error) {
	var c validate.Checker
	arg := store.MessageListParams{TenantID: tenantID, SessionID: f.SessionID, Since: f.Since, Until: f.Until}
	if f.Status != "" {
		ok := false
		for _, st := range Statuses {
			ok = ok || st == f.Status
		}
		c.Check(ok, "status", "Unknown status.")
		st := string(f.Status)
		arg.Status = &st
	}
	if f.Direction != "" {
		c.Check(f.Direction == DirectionIn || f.Direction == DirectionOut, "direction", "Must be in or out.")
		d := string(f.Direction)
		arg.Direction = &d
	}
	if strings.TrimSpace(f.Phone) != "" {
		info, err := store.New(s.db).MessageTenantSendInfo(ctx, tenantID)
		if err != nil {
			return Page{}, fmt.Errorf("list messages: %w", err)
		}
		p, msg := ParsePhone(f.Phone, info.DefaultCountry)
		if msg != "" {
			c.Add("phone", msg)
		}
		arg.Phone = &p
	}
	if f.Cursor != "" {
		id, err := uuid.Parse(f.Cursor)
		if err != nil {
			c.Add("cursor", "Not a cursor from this list; start again without one.")
		}
		arg.BeforeID = &id
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = defaultPageSize
	case limit > maxPageSize:
		c.Add("limit", fmt.Sprintf("Must be at most %d.", maxPageSize))
	}
	if err := c.Err(); err != nil {
		return Page{}, err
	}
	arg.MaxRows = int32(limit + 1)
	rows, err := store.New(s.db).MessageList(ctx, arg)
	if err != nil {
		return Page{}, fmt.Errorf("list messages: %w", err)
	}
	var page Page
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = rows[limit-1].ID.String()
	}
	page.Messages = make([]Message, len(rows))
	for i, r := range rows {
		page.Messages[i] = FromRow(r)
	}
	return page, nil
}

// Timeline returns what happened to a message, oldest first.
func (s *Service) Timeline(ctx context.Context, tenantID, id uuid.UUID) ([]Step, error) {
	if _, err := s.Get(ctx, tenantID, id); err != nil {
		return nil, err
	}
	evs, err := store.New(s.db).EventListByMessage(ctx, store.EventListByMessageParams{TenantID: tenantID, MessageID: &id})
	if err != nil {
		return nil, fmt.Errorf("message timeline: %w", err)
	}
	steps := make([]Step, 0, len(evs))
	for _, e := range evs {
		var pl eventPayload
		_ = json.Unmarshal(e.Payload, &pl)
		steps = append(steps, Step{Status: Status(e.Status), Type: e.Type, Detail: pl.Detail, At: e.CreatedAt})
	}
	return steps, nil
}

// Cancel cancels a scheduled or queued message and gives its quota back (ErrNotCancelable once it
// is sending or done).
func (s *Service) Cancel(ctx context.Context, tenantID, id uuid.UUID) (Message, error) {
	var out Message
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		row, err := q.MessageCancel(ctx, store.MessageCancelParams{TenantID: tenantID, ID: id})
		if store.IsNotFound(err) {
			if _, err := q.MessageGet(ctx, store.MessageGetParams{TenantID: tenantID, ID: id}); store.IsNotFound(err) {
				return ErrNotFound
			}
			return ErrNotCancelable
		} else if err != nil {
			return err
		}
		if err := GiveBack(ctx, q, row); err != nil {
			return err
		}
		out = FromRow(row)
		return RecordStatus(ctx, q, row, "Canceled by a user of the workspace.")
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotCancelable) {
		return Message{}, err
	} else if err != nil {
		return Message{}, fmt.Errorf("cancel message: %w", err)
	}
	s.obs.Status(StatusCanceled, out)
	return out, nil
}

// GiveBack returns a message's count to its day's quota (canceled or expired before it was sent).
func GiveBack(ctx context.Context, q *store.Queries, row store.Message) error {
	if row.QuotaDay == nil {
		return nil
	}
	return q.MessageQuotaGiveBack(ctx, store.MessageQuotaGiveBackParams{TenantID: row.TenantID, Day: *row.QuotaDay})
}

// Groups lists the groups the session's account is in, asked of its holder. A session of another
// tenant is ErrSessionNotFound; one nobody holds or that is not connected, ErrSessionUnavailable.
func (s *Service) Groups(ctx context.Context, tenantID, sessionID uuid.UUID) ([]whatsapp.Group, error) {
	sess, err := s.holder(ctx, tenantID, sessionID)
	if err != nil {
		return nil, err
	}
	return s.holders.Groups(ctx, *sess.HolderInstanceID, Target{TenantID: tenantID, SessionID: sessionID, Fence: *sess.HolderFence})
}

// CheckNumbers asks WhatsApp through the session which numbers have an account, paced like sends
// (*PacedError when the pace does not allow it within a few seconds).
func (s *Service) CheckNumbers(ctx context.Context, tenantID, sessionID uuid.UUID, numbers []string) ([]NumberResult, error) {
	var c validate.Checker
	c.Check(len(numbers) > 0, "numbers", "Give at least one number.")
	c.Check(len(numbers) <= MaxNumberChecks, "numbers", fmt.Sprintf("At most %d numbers per request.", MaxNumberChecks))
	if err := c.Err(); err != nil {
		return nil, err
	}
	info, err := store.New(s.db).MessageTenantSendInfo(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("check numbers: %w", err)
	}
	out := make([]NumberResult, len(numbers))
	var phones []string
	for i, n := range numbers {
		out[i].Input = n
		p, msg := ParsePhone(n, info.DefaultCountry)
		if msg != "" {
			out[i].Error = msg
			continue
		}
		out[i].Phone = p
		phones = append(phones, p[1:])
	}
	if len(phones) == 0 {
		return out, nil
	}
	sess, err := s.holder(ctx, tenantID, sessionID)
	if err != nil {
		return nil, err
	}
	// Paced like sends: bulk number checks get accounts banned (WHATSAPP.md §2).
	wait, ok, err := s.pacer.Reserve(ctx, sessionID.String(), ratelimit.PlanPace(sess.SendRatePerMinute, sess.DelayMinMs, sess.DelayMaxMs), checkMaxWait)
	if err != nil {
		return nil, fmt.Errorf("check numbers: pace: %w", err)
	}
	if !ok {
		return nil, &PacedError{RetryAfter: wait}
	}
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	got, err := s.holders.CheckNumbers(ctx, *sess.HolderInstanceID,
		Target{TenantID: tenantID, SessionID: sessionID, Fence: *sess.HolderFence}, phones)
	if err != nil {
		return nil, err
	}
	byQuery := map[string]whatsapp.NumberStatus{}
	for _, g := range got {
		byQuery[g.Query] = g
	}
	for i := range out {
		if out[i].Phone == "" {
			continue
		}
		if g, ok := byQuery[out[i].Phone[1:]]; ok {
			out[i].OnWhatsApp = g.OnWhatsApp
			if g.OnWhatsApp {
				out[i].JID = g.JID.String()
			}
		}
	}
	return out, nil
}

// MaxNumberChecks bounds one CheckNumbers call; checkMaxWait is the longest a check waits for its
// pace before answering 429.
const (
	MaxNumberChecks = 50
	checkMaxWait    = 5 * time.Second
)

// ErrSessionNotFound: the session in the path does not exist in the tenant (404).
var ErrSessionNotFound = errors.New("session not found")

func (s *Service) holder(ctx context.Context, tenantID, sessionID uuid.UUID) (store.MessageSessionInfoRow, error) {
	sess, err := store.New(s.db).MessageSessionInfo(ctx, store.MessageSessionInfoParams{TenantID: tenantID, ID: sessionID})
	if store.IsNotFound(err) || (err == nil && sess.DeletedAt != nil) {
		return sess, ErrSessionNotFound
	} else if err != nil {
		return sess, fmt.Errorf("session: %w", err)
	}
	if sess.DeviceJid == "" {
		return sess, ErrSessionNotPaired
	}
	if sess.HolderInstanceID == nil {
		return sess, ErrSessionUnavailable
	}
	return sess, nil
}
