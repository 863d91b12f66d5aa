package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gabriel-vasile/mimetype"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
)

// DefaultMaxInboundBytes bounds one inbound file. Plans limit what tenants send, not what they
// receive; this only keeps a runaway download from filling the disk.
const DefaultMaxInboundBytes = 2 << 30

// InsertPending records inbound media whose bytes are still at WhatsApp, in the caller's transaction
// (the one storing the message, on the ack path: no I/O beyond this insert). handle is the driver's
// opaque download handle; fileName is cleaned (it comes from the sender). StorePending completes it.
func InsertPending(ctx context.Context, q *store.Queries, tenantID, sessionID uuid.UUID, mimeType, fileName string,
	size int64, handle []byte) (uuid.UUID, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, fmt.Errorf("media id: %w", err)
	}
	err = q.MediaInsertPending(ctx, store.MediaInsertPendingParams{ID: id, TenantID: tenantID, StorageKey: Key(tenantID, id),
		Mime: mimeType, SizeBytes: max(size, 0), FileName: CleanFileName(fileName), SessionID: &sessionID, DownloadHandle: handle})
	if err != nil {
		return uuid.Nil, fmt.Errorf("insert pending media: %w", err)
	}
	return id, nil
}

// StorePending stores the bytes of pending inbound media read from r and marks it stored, with its
// size and SHA-256; the MIME type WhatsApp declared is kept, or detected from the content when it
// declared none. Media that is no longer pending (stored or failed meanwhile) is left alone and nil
// returned, so retries are harmless. A file over Config.MaxInboundBytes marks the media failed (and returns
// ErrTooLarge); errors reading r or writing the Store change nothing, so the caller may retry, or
// give up with FailPending.
func (s *Service) StorePending(ctx context.Context, tenantID, id uuid.UUID, r io.Reader) error {
	m, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if m.State != StatePending {
		return nil
	}
	sp, err := s.spool(r, s.maxInbound)
	if errors.Is(err, ErrTooLarge) {
		if ferr := s.FailPending(ctx, tenantID, id, err.Error()); ferr != nil {
			return ferr
		}
		return err
	} else if err != nil {
		return err
	}
	defer sp.remove()
	mimeType := m.MIME
	if mimeType == "" {
		mimeType = baseType(mimetype.Detect(sp.head).String())
	}
	if err := s.store.Put(ctx, Key(tenantID, id), sp.f, sp.size, mimeType); err != nil {
		return fmt.Errorf("store inbound media %s: %w", id, err)
	}
	// Zero rows: another worker stored it first, under the same key and with the same bytes.
	if _, err := store.New(s.db).MediaSetStored(ctx, store.MediaSetStoredParams{TenantID: tenantID, ID: id, Mime: mimeType,
		SizeBytes: sp.size, Sha256: sp.sum}); err != nil {
		return fmt.Errorf("mark media %s stored: %w", id, err)
	}
	return nil
}

// FailPending marks pending inbound media failed for good, with reason (shown to the tenant).
func (s *Service) FailPending(ctx context.Context, tenantID, id uuid.UUID, reason string) error {
	if _, err := store.New(s.db).MediaSetFailed(ctx, store.MediaSetFailedParams{TenantID: tenantID, ID: id, Error: reason}); err != nil {
		return fmt.Errorf("mark media %s failed: %w", id, err)
	}
	return nil
}

// Pending is inbound media waiting for its bytes.
type Pending struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	SessionID uuid.UUID
	MIME      string
	FileName  string
	Size      int64
	Handle    []byte
	CreatedAt time.Time
}

// ListPending returns up to limit of a session's pending media created before olderThan, oldest
// first: the work of a retry loop, which passes a grace period so that media being fetched right
// after its message is not taken twice.
func (s *Service) ListPending(ctx context.Context, sessionID uuid.UUID, olderThan time.Time, limit int) ([]Pending, error) {
	rows, err := store.New(s.db).MediaListPending(ctx, store.MediaListPendingParams{SessionID: &sessionID, OlderThan: olderThan,
		MaxRows: int32(min(max(limit, 1), 1000))})
	if err != nil {
		return nil, fmt.Errorf("list pending media: %w", err)
	}
	out := make([]Pending, 0, len(rows))
	for _, r := range rows {
		out = append(out, Pending{ID: r.ID, TenantID: r.TenantID, SessionID: sessionID, MIME: r.Mime, FileName: r.FileName,
			Size: r.SizeBytes, Handle: r.DownloadHandle, CreatedAt: r.CreatedAt})
	}
	return out, nil
}
