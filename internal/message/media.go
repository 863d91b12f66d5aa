package message

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/media"
)

// MediaStore adapts the media service to what the message service needs (Media).
func MediaStore(s *media.Service) Media { return mediaStore{s} }

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
