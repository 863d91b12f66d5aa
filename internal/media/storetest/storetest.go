// Package storetest is the conformance suite every media.Store passes (the S3 store against gofakes3,
// the local store against its own directory): bytes round-trip, missing keys are fs.ErrNotExist,
// deletes are idempotent, and a download link works from a plain HTTP client. Test-only.
package storetest

import (
	"bytes"
	"crypto/rand"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/media"
)

// Run exercises st. Its links must be reachable with http.DefaultClient.
func Run(t *testing.T, st media.Store) {
	t.Helper()
	ctx := t.Context()
	data := make([]byte, 200<<10) // several network reads, and over any single-buffer shortcut
	_, _ = rand.Read(data)
	const key = "tenants/0196a000-0000-7000-8000-000000000001/media/0196a000-0000-7000-8000-000000000002"

	t.Run("PutOpen", func(t *testing.T) {
		require.NoError(t, st.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"))
		require.Equal(t, data, read(t, st, key))
	})
	t.Run("PutReplaces", func(t *testing.T) {
		other := []byte("replaced")
		require.NoError(t, st.Put(ctx, key+"-b", bytes.NewReader(data), int64(len(data)), "image/png"))
		require.NoError(t, st.Put(ctx, key+"-b", bytes.NewReader(other), int64(len(other)), "text/plain"))
		require.Equal(t, other, read(t, st, key+"-b"))
	})
	t.Run("OpenMissing", func(t *testing.T) {
		_, err := st.Open(ctx, key+"-missing")
		require.ErrorIs(t, err, fs.ErrNotExist)
	})
	t.Run("URL", func(t *testing.T) {
		u, err := st.URL(ctx, key, "photo 1.png", "image/png", time.Minute)
		require.NoError(t, err)
		resp, err := http.Get(u)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		require.Equal(t, data, body)
		require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
		disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		require.NoError(t, err)
		require.Equal(t, "attachment", disp)
		require.Equal(t, "photo 1.png", params["filename"])
	})
	t.Run("Delete", func(t *testing.T) {
		require.NoError(t, st.Delete(ctx, key))
		_, err := st.Open(ctx, key)
		require.ErrorIs(t, err, fs.ErrNotExist)
		require.NoError(t, st.Delete(ctx, key), "deleting what is gone is no error")
	})
}

func read(t *testing.T, st media.Store, key string) []byte {
	t.Helper()
	rc, err := st.Open(t.Context(), key)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}
