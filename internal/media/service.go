package media

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/validate"
)

// LinkTTL is how long a download link stays valid.
const LinkTTL = 15 * time.Minute

// Config tunes the service. Zero values take the defaults.
type Config struct {
	// EgressAllow lists hosts and IP addresses or CIDRs that URL fetches may reach although they are
	// private, loopback or link-local (EGRESS_ALLOW; empty in production, set by tests).
	EgressAllow []string
	// FetchTimeout bounds one URL fetch, redirects and body included (default 30 s).
	FetchTimeout time.Duration
	// TempDir holds files while they are checked (default os.TempDir()).
	TempDir string
	// MaxInboundBytes bounds one inbound file (default DefaultMaxInboundBytes).
	MaxInboundBytes int64
	Now             func() time.Time
	Log             *slog.Logger
}

// Service stores, checks and hands out tenants' media.
type Service struct {
	db      store.DB
	store   Store
	now     func() time.Time
	log     *slog.Logger
	tempDir string
	fetch   *http.Client
	// maxInbound bounds inbound files, which no plan limits.
	maxInbound int64
}

// NewService returns a service keeping bytes in st and rows in db.
func NewService(db store.DB, st Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = 30 * time.Second
	}
	if cfg.MaxInboundBytes <= 0 {
		cfg.MaxInboundBytes = DefaultMaxInboundBytes
	}
	return &Service{db: db, store: st, now: cfg.Now, log: cfg.Log.With("component", "media"), tempDir: cfg.TempDir,
		fetch: newFetchClient(cfg.EgressAllow, cfg.FetchTimeout), maxInbound: cfg.MaxInboundBytes}
}

// Limits are what the tenant's plan allows.
type Limits struct {
	MaxBytes     int64 // one file
	StorageQuota int64 // all of the tenant's media together
}

// Limits returns the tenant's plan limits for media.
func (s *Service) Limits(ctx context.Context, tenantID uuid.UUID) (Limits, error) {
	r, err := store.New(s.db).TenantWithPlan(ctx, tenantID)
	if err != nil {
		return Limits{}, fmt.Errorf("load plan of tenant %s: %w", tenantID, err)
	}
	return Limits{MaxBytes: r.Plan.MaxMediaBytes, StorageQuota: r.Plan.StorageQuotaBytes}, nil
}

// Upload stores a file a user sent. fileName is the name as sent: one that is not a plain name is
// refused (a *validate.Errors on field "file"), never cleaned silently; empty gets a name from the
// type. declaredSize, when positive, lets a file announced as too large be refused unread. The type
// is detected from the content. On any error nothing is stored.
func (s *Service) Upload(ctx context.Context, tenantID uuid.UUID, fileName string, r io.Reader, declaredSize int64) (Media, error) {
	if err := checkFileName("file", fileName); err != nil {
		return Media{}, err
	}
	lim, err := s.Limits(ctx, tenantID)
	if err != nil {
		return Media{}, err
	}
	if declaredSize > lim.MaxBytes {
		return Media{}, TooLarge(lim.MaxBytes)
	}
	sp, err := s.spool(r, lim.MaxBytes)
	if err != nil {
		return Media{}, err
	}
	defer sp.remove()
	return s.ingest(ctx, tenantID, SourceUpload, "file", strings.TrimSpace(fileName), sp, lim)
}

// Get returns one of the tenant's media; another tenant's id is ErrNotFound.
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (Media, error) {
	r, err := store.New(s.db).MediaGet(ctx, store.MediaGetParams{TenantID: tenantID, ID: id})
	if store.IsNotFound(err) {
		return Media{}, ErrNotFound
	} else if err != nil {
		return Media{}, fmt.Errorf("get media %s: %w", id, err)
	}
	return fromRow(r), nil
}

// Delete removes one of the tenant's files: its row, then its bytes (a failure to remove the bytes
// is logged: the row is what counts against the storage quota). ErrNotFound for an unknown id.
func (s *Service) Delete(ctx context.Context, tenantID, id uuid.UUID) error {
	key, err := store.New(s.db).MediaDelete(ctx, store.MediaDeleteParams{TenantID: tenantID, ID: id})
	if store.IsNotFound(err) {
		return ErrNotFound
	} else if err != nil {
		return fmt.Errorf("delete media %s: %w", id, err)
	}
	if err := s.store.Delete(ctx, key); err != nil {
		s.log.WarnContext(ctx, "media row deleted but its bytes were not", "media_id", id, "err", err)
	}
	return nil
}

// Open streams the bytes of one of the tenant's stored media. Media whose bytes are not stored
// (pending or failed inbound media) is ErrNotReady.
func (s *Service) Open(ctx context.Context, tenantID, id uuid.UUID) (io.ReadCloser, Media, error) {
	m, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return nil, m, err
	}
	if m.State != StateStored {
		return nil, m, ErrNotReady
	}
	rc, err := s.store.Open(ctx, Key(tenantID, id))
	if err != nil {
		// The row says stored but the bytes are gone: a storage fault, not the caller's mistake.
		return nil, m, fmt.Errorf("open media %s: %w", id, err)
	}
	return rc, m, nil
}

// DownloadURL returns a link to one of the tenant's stored media, valid until the time returned.
func (s *Service) DownloadURL(ctx context.Context, tenantID, id uuid.UUID) (string, time.Time, error) {
	m, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return "", time.Time{}, err
	}
	return s.URL(ctx, m)
}

// URL returns a download link to m (as Get or Upload returned it), valid for LinkTTL, until the time
// returned. Media whose bytes are not stored is ErrNotReady.
func (s *Service) URL(ctx context.Context, m Media) (string, time.Time, error) {
	if m.State != StateStored {
		return "", time.Time{}, ErrNotReady
	}
	// Links carry whole seconds (both S3's and ours); the expiry reported must not be later.
	expires := s.now().Add(LinkTTL).Truncate(time.Second)
	u, err := s.store.URL(ctx, Key(m.TenantID, m.ID), m.FileName, m.MIME, LinkTTL)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("link to media %s: %w", m.ID, err)
	}
	return u, expires, nil
}

// OpenLink opens the file behind a local-disk download link (FilesPath + token). With S3, links go to
// the bucket and never here: every token is ErrNotFound.
func (s *Service) OpenLink(ctx context.Context, token string) (Download, error) {
	l, ok := s.store.(*Local)
	if !ok {
		return Download{}, ErrNotFound
	}
	return l.OpenLink(ctx, token)
}

// ingest checks a spooled file (type, quota), stores it and records it. fileName is already checked
// or cleaned by the caller; field names the request field an empty file is reported on.
func (s *Service) ingest(ctx context.Context, tenantID uuid.UUID, source, field, fileName string, sp *spooled, lim Limits) (Media, error) {
	if sp.size == 0 {
		return Media{}, validate.Field(field, "The file is empty.")
	}
	mimeType, _, err := sniff(sp.head)
	if err != nil {
		return Media{}, err
	}
	if fileName == "" {
		fileName = defaultName(mimeType)
	}
	q := store.New(s.db)
	// A first look at the quota, so a tenant that is full is told so before the upload to storage.
	used, err := q.MediaStorageUsed(ctx, tenantID)
	if err != nil {
		return Media{}, fmt.Errorf("media storage used: %w", err)
	}
	if used+sp.size > lim.StorageQuota {
		return Media{}, overQuota(sp.size, used, lim.StorageQuota)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Media{}, fmt.Errorf("media id: %w", err)
	}
	key := Key(tenantID, id)
	if err := s.store.Put(ctx, key, sp.f, sp.size, mimeType); err != nil {
		return Media{}, fmt.Errorf("store media: %w", err)
	}
	var row store.Medium
	err = store.WithTx(ctx, s.db, func(q *store.Queries) error {
		// The decisive check, under the tenant's lock (uploads running at once cannot share free
		// space), with the plan as it is now.
		if err := q.MediaLockTenant(ctx, tenantID); err != nil {
			return fmt.Errorf("lock media quota: %w", err)
		}
		tp, err := q.TenantWithPlan(ctx, tenantID)
		if err != nil {
			return fmt.Errorf("load plan of tenant %s: %w", tenantID, err)
		}
		used, err := q.MediaStorageUsed(ctx, tenantID)
		if err != nil {
			return fmt.Errorf("media storage used: %w", err)
		}
		if quota := tp.Plan.StorageQuotaBytes; used+sp.size > quota {
			return overQuota(sp.size, used, quota)
		}
		row, err = q.MediaInsert(ctx, store.MediaInsertParams{ID: id, TenantID: tenantID, StorageKey: key, Mime: mimeType,
			SizeBytes: sp.size, Sha256: sp.sum, FileName: fileName, Source: source})
		if err != nil {
			return fmt.Errorf("insert media: %w", err)
		}
		return nil
	})
	if err != nil {
		// No row points at the object: remove it, even when the request was canceled meanwhile.
		if derr := s.store.Delete(context.WithoutCancel(ctx), key); derr != nil {
			s.log.ErrorContext(ctx, "orphaned media object left in storage", "err", derr, "tenant_id", tenantID, "media_id", id)
		}
		return Media{}, err
	}
	return fromRow(row), nil
}

// spooled is a file being checked, in a temporary file.
type spooled struct {
	f    *os.File
	size int64
	sum  []byte
	head []byte // the first sniffBytes, for type detection
}

func (sp *spooled) remove() {
	_ = sp.f.Close()
	_ = os.Remove(sp.f.Name())
}

// spool copies r into a temporary file, hashing it and keeping its head, and stops past limit bytes
// (ErrTooLarge). The file is rewound for reading.
func (s *Service) spool(r io.Reader, limit int64) (_ *spooled, err error) {
	f, err := os.CreateTemp(s.tempDir, "wagate-media-*")
	if err != nil {
		return nil, fmt.Errorf("spool media: %w", err)
	}
	sp := &spooled{f: f}
	defer func() {
		if err != nil {
			sp.remove()
		}
	}()
	h := sha256.New()
	hw := &headWriter{h: h, limit: sniffBytes}
	n, err := io.Copy(f, io.TeeReader(io.LimitReader(r, limit+1), hw))
	if err != nil {
		return nil, fmt.Errorf("read media: %w", err)
	}
	if n > limit {
		return nil, TooLarge(limit)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("spool media: %w", err)
	}
	sp.size, sp.sum, sp.head = n, h.Sum(nil), hw.head
	return sp, nil
}

// headWriter hashes everything written to it and keeps the first limit bytes.
type headWriter struct {
	h     hash.Hash
	head  []byte
	limit int
}

func (w *headWriter) Write(p []byte) (int, error) {
	if room := w.limit - len(w.head); room > 0 {
		w.head = append(w.head, p[:min(room, len(p))]...)
	}
	return w.h.Write(p)
}
