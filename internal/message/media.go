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
	return MediaInfo{ID: md.ID, MIME: md.MIME, Size: md.Size, FileName: md.FileName, Kind: md.Kind, VoiceNote: md.VoiceNote}, nil
}

func (m mediaStore) Open(ctx context.Context, tenantID, id uuid.UUID) (io.ReadCloser, error) {
	rc, _, err := m.s.Open(ctx, tenantID, id)
	return rc, err
}
