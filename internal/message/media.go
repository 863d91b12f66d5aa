package message

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// MediaStore adapts the media service to what messaging needs (Store).
func MediaStore(s *media.Service) Store { return mediaStore{s} }

type mediaStore struct{ s *media.Service }

func (m mediaStore) Info(ctx context.Context, tenantID, id uuid.UUID) (MediaInfo, error) {
	md, err := m.s.Get(ctx, tenantID, id)
	if err != nil {
		return MediaInfo{}, err
	}
	if md.State != media.StateStored {
		return MediaInfo{}, fmt.Errorf("media %s is %s", id, md.State)
	}
	return infoOf(md), nil
}

func infoOf(md media.Media) MediaInfo {
	return MediaInfo{ID: md.ID, MIME: md.MIME, Size: md.Size, FileName: md.FileName, Kind: md.Kind, VoiceNote: md.VoiceNote}
}

func (m mediaStore) Upload(ctx context.Context, tenantID uuid.UUID, name string, r io.Reader, size int64) (MediaInfo, error) {
	md, err := m.s.Upload(ctx, tenantID, name, r, size)
	if err != nil {
		return MediaInfo{}, err
	}
	return infoOf(md), nil
}

func (m mediaStore) Fetch(ctx context.Context, tenantID uuid.UUID, url string) (MediaInfo, error) {
	md, err := m.s.Fetch(ctx, tenantID, url)
	if err != nil {
		return MediaInfo{}, err
	}
	return infoOf(md), nil
}

func (m mediaStore) Delete(ctx context.Context, tenantID, id uuid.UUID) error {
	return m.s.Delete(ctx, tenantID, id)
}

func (m mediaStore) Open(ctx context.Context, tenantID, id uuid.UUID) (io.ReadCloser, error) {
	rc, _, err := m.s.Open(ctx, tenantID, id)
	return rc, err
}

func (m mediaStore) InsertPending(ctx context.Context, q *store.Queries, tenantID, sessionID uuid.UUID, mime, fileName string, size int64, handle []byte) (uuid.UUID, error) {
	return media.InsertPending(ctx, q, tenantID, sessionID, mime, fileName, size, handle)
}

func (m mediaStore) StorePending(ctx context.Context, tenantID, id uuid.UUID, r io.Reader) error {
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

func (m mediaStore) ListPending(ctx context.Context, sessionID uuid.UUID, olderThan time.Time, limit int) ([]PendingMedia, error) {
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
