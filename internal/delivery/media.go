package delivery

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// InboundMediaStore adapts the media service to what the inbound side needs (InboundMedia).
func InboundMediaStore(s *media.Service) InboundMedia { return inboundStore{s} }

type inboundStore struct{ s *media.Service }

func (m inboundStore) InsertPending(ctx context.Context, q *store.Queries, tenantID, sessionID uuid.UUID, mime, fileName string, size int64, handle []byte) (uuid.UUID, error) {
	return media.InsertPending(ctx, q, tenantID, sessionID, mime, fileName, size, handle)
}

func (m inboundStore) StorePending(ctx context.Context, tenantID, id uuid.UUID, r io.Reader) error {
	if e, ok := r.(errReader); ok {
		return m.s.FailPending(ctx, tenantID, id, e.err.Error())
	}
	// One attempt: a download that breaks midway marks the file failed (the message shows it).
	if err := m.s.StorePending(ctx, tenantID, id, r); err != nil && !errors.Is(err, media.ErrTooLarge) {
		return errors.Join(err, m.s.FailPending(ctx, tenantID, id, err.Error()))
	} else if err != nil {
		return err
	}
	return nil
}

func (m inboundStore) ListPending(ctx context.Context, sessionID uuid.UUID, olderThan time.Time, limit int) ([]PendingMedia, error) {
	ps, err := m.s.ListPending(ctx, sessionID, olderThan, limit)
	if err != nil {
		return nil, err
	}
	out := make([]PendingMedia, len(ps))
	for i, p := range ps {
		out[i] = PendingMedia{ID: p.ID, TenantID: p.TenantID, SessionID: p.SessionID, Handle: whatsapp.MediaHandle(p.Handle)}
	}
	return out, nil
}
