package media_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/config"
	"github.com/wagate/wagate/internal/media"
)

// TestService_OnS3 runs the service on the S3 store (gofakes3 over the real S3 protocol): a file
// round-trips and its link downloads it, and refused files leave no object behind.
func TestService_OnS3(t *testing.T) {
	t.Parallel()
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket("media"))
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	cfg := config.Config{S3: config.S3{Endpoint: srv.URL, Region: "us-east-1", Bucket: "media", AccessKeyID: "k", SecretAccessKey: "s"}}
	st, err := media.NewStore(t.Context(), cfg, []byte("unused-with-s3-unused-with-s3-0123"))
	require.NoError(t, err)
	hook := &hookStore{Store: st, afterPut: func() {}}
	b := setup(t, &setupOpts{store: hook})
	ctx := t.Context()
	objects := func() int {
		list, err := backend.ListBucket("media", nil, gofakes3.ListBucketPage{})
		require.NoError(t, err)
		return len(list.Contents)
	}

	data := pngBytes(t, 6)
	m, err := b.svc.Upload(ctx, b.tenant, "p.png", bytes.NewReader(data), 0)
	require.NoError(t, err)
	rc, _, err := b.svc.Open(ctx, b.tenant, m.ID)
	require.NoError(t, err)
	got, _ := io.ReadAll(rc)
	rc.Close()
	require.Equal(t, data, got)
	u, _, err := b.svc.DownloadURL(ctx, b.tenant, m.ID)
	require.NoError(t, err)
	resp, err := http.Get(u)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.Equal(t, data, body)
	require.Equal(t, 1, objects())

	_, err = b.svc.Upload(ctx, b.tenant, "big.pdf", bytes.NewReader(padded(pdfBytes(), 1001)), 0)
	require.ErrorIs(t, err, media.ErrTooLarge)
	_, err = b.svc.Upload(ctx, b.tenant, "x.png", bytes.NewReader(elfBytes()), 0)
	require.ErrorIs(t, err, media.ErrUnsupportedType)
	hook.afterPut = func() {
		_, err := b.db.Exec(context.Background(), "UPDATE plans SET storage_quota_bytes = 10")
		require.NoError(t, err)
	}
	_, err = b.svc.Upload(ctx, b.tenant, "a.pdf", bytes.NewReader(pdfBytes()), 0)
	require.ErrorIs(t, err, media.ErrStorageQuota)
	require.Equal(t, 1, objects(), "refused files left no object")
	var n int
	require.NoError(t, b.db.QueryRow(ctx, "SELECT count(*) FROM media").Scan(&n))
	require.Equal(t, 1, n)
}
