package s3_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/config"
	"github.com/wagate/wagate/internal/media/s3"
	"github.com/wagate/wagate/internal/media/storetest"
)

// fakeS3 serves an in-memory S3 (gofakes3) with one bucket, spoken to over the real S3 protocol.
func fakeS3(t *testing.T) (*s3mem.Backend, string) {
	t.Helper()
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket("media"))
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return backend, srv.URL
}

func s3Config(endpoint, public string) config.S3 {
	return config.S3{Endpoint: endpoint, PublicEndpoint: public, Region: "us-east-1", Bucket: "media",
		AccessKeyID: "test-key", SecretAccessKey: "test-secret"}
}

func TestStore_Conformance(t *testing.T) {
	t.Parallel()
	_, endpoint := fakeS3(t)
	st, err := s3.New(t.Context(), s3Config(endpoint, ""))
	require.NoError(t, err)
	storetest.Run(t, st)
}

// TestStore_StoresExactBytes reads the object straight from the fake's backend: a streamed
// (aws-chunked) upload or a checksum trailer would leave chunk markers in it (DESIGN.md traps).
func TestStore_StoresExactBytes(t *testing.T) {
	t.Parallel()
	backend, endpoint := fakeS3(t)
	st, err := s3.New(t.Context(), s3Config(endpoint, ""))
	require.NoError(t, err)
	data := bytes.Repeat([]byte("0123456789abcdef"), 40_000) // 640 KB
	require.NoError(t, st.Put(t.Context(), "tenants/a/media/b", bytes.NewReader(data), int64(len(data)), "video/mp4"))
	obj, err := backend.GetObject("media", "tenants/a/media/b", nil)
	require.NoError(t, err)
	defer obj.Contents.Close()
	got, err := io.ReadAll(obj.Contents)
	require.NoError(t, err)
	require.Equal(t, len(data), len(got))
	require.Equal(t, data, got)
	require.Equal(t, "video/mp4", obj.Metadata["Content-Type"])
}

// TestStore_PresignsForPublicEndpoint: the server talks to the store at one address, browsers at
// another; links name the public one and still verify there.
func TestStore_PresignsForPublicEndpoint(t *testing.T) {
	t.Parallel()
	_, endpoint := fakeS3(t)
	public := strings.Replace(endpoint, "127.0.0.1", "localhost", 1)
	require.NotEqual(t, endpoint, public)
	st, err := s3.New(t.Context(), s3Config(endpoint, public))
	require.NoError(t, err)
	require.NoError(t, st.Put(t.Context(), "k/1", strings.NewReader("hello"), 5, "text/plain"))
	link, err := st.URL(t.Context(), "k/1", "", "text/plain", 15*time.Minute)
	require.NoError(t, err)
	u, err := url.Parse(link)
	require.NoError(t, err)
	require.Equal(t, strings.TrimPrefix(public, "http://"), u.Host)
	require.Equal(t, "900", u.Query().Get("X-Amz-Expires"))
	resp, err := http.Get(link)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.Equal(t, "hello", string(body))
}

func TestStore_Unreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL
	srv.Close() // nothing listens there any more
	st, err := s3.New(t.Context(), s3Config(endpoint, ""))
	require.NoError(t, err, "New does not touch the network")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = st.Put(ctx, "k", strings.NewReader("x"), 1, "text/plain")
	require.Error(t, err)
	require.Contains(t, err.Error(), "s3 put k")
}
