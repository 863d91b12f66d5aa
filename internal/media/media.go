// Package media owns tenants' files: uploads, files fetched from a URL behind an SSRF guard, and
// inbound WhatsApp media. It checks them against the tenant's plan (size per file, storage quota),
// detects their type from their content, keeps them in a Store (S3 through media/s3, or the local
// disk) under tenants/<tenant>/media/<id>, and hands out short-lived signed download links.
//
// It is a domain package: it never imports web, worker, Fiber, Asynq, templ or whatsmeow, and the AWS
// SDK only through media/s3.
package media

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/config"
	"github.com/wagate/wagate/internal/media/s3"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/whatsapp"
)

// States of a media row.
const (
	StateStored  = "stored"  // the bytes are in the Store
	StatePending = "pending" // inbound: the bytes are still to be fetched from WhatsApp
	StateFailed  = "failed"  // inbound: the fetch failed for good (Media.Error says why)
)

// Sources of a media row.
const (
	SourceUpload  = "upload"
	SourceURL     = "url"
	SourceInbound = "inbound"
)

// Media is a stored (or, inbound, soon stored) file of a tenant.
type Media struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	MIME      string // detected from the content (uploads, URLs) or as WhatsApp declared it (inbound)
	Size      int64
	SHA256    []byte // nil until stored
	FileName  string
	Kind      whatsapp.Kind // image, video, audio or document, derived from MIME
	VoiceNote bool          // OGG/Opus audio, which WhatsApp plays as a voice note
	State     string
	Source    string
	Error     string // StateFailed: why
	CreatedAt time.Time
}

func fromRow(r store.Medium) Media {
	return Media{ID: r.ID, TenantID: r.TenantID, MIME: r.Mime, Size: r.SizeBytes, SHA256: r.Sha256, FileName: r.FileName,
		Kind: KindOf(r.Mime), VoiceNote: IsVoiceNote(r.Mime), State: r.State, Source: r.Source, Error: r.Error,
		CreatedAt: r.CreatedAt}
}

// Key is where a tenant's media lives in the Store. The tenant comes first, so a tenant's files can
// be listed, counted or removed by prefix.
func Key(tenantID, id uuid.UUID) string {
	return "tenants/" + tenantID.String() + "/media/" + id.String()
}

// Store keeps file bytes by key. Keys are plain relative paths (Key makes them).
type Store interface {
	// Put stores size bytes of body under key, replacing what was there. body is seekable so that
	// S3 clients can sign and resend it.
	Put(ctx context.Context, key string, body io.ReadSeeker, size int64, mimeType string) error
	// Open streams what is under key; a missing key is an error wrapping fs.ErrNotExist.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes key; a missing key is no error.
	Delete(ctx context.Context, key string) error
	// URL returns a link that downloads key without credentials until ttl has passed, answered with
	// mimeType and, when fileName is set, a Content-Disposition naming it.
	URL(ctx context.Context, key, fileName, mimeType string, ttl time.Duration) (string, error)
}

var (
	_ Store = (*s3.Store)(nil)
	_ Store = (*Local)(nil)
)

// NewStore returns the Store the configuration asks for: S3 when S3_BUCKET is set, else the local
// directory MEDIA_DIR (one instance only: other instances cannot see its files), whose links are
// signed with a key derived from secretKey and served under cfg.BaseURL.
func NewStore(ctx context.Context, cfg config.Config, secretKey []byte) (Store, error) {
	if cfg.S3.Enabled() {
		st, err := s3.New(ctx, cfg.S3)
		if err != nil {
			return nil, fmt.Errorf("media store: %w", err)
		}
		return st, nil
	}
	base := "http://localhost"
	if cfg.BaseURL != nil {
		base = cfg.BaseURL.String()
	}
	st, err := NewLocal(LocalConfig{Dir: cfg.MediaDir, BaseURL: base, Keys: secret.New(secretKey)})
	if err != nil {
		return nil, fmt.Errorf("media store: %w", err)
	}
	return st, nil
}
