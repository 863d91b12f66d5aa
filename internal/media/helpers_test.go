package media_test

import (
	"archive/zip"
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/media"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var testKeys = secret.New([]byte("media-test-secret-key-0123456789abcdef"))

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// linkServer serves local download links as the web server does (media.FilesPath + token), so the
// local store's links can be followed with a plain HTTP client.
func linkServer(t *testing.T, open func(r *http.Request, token string) (media.Download, error)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := open(r, r.URL.Path[len(media.FilesPath):])
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer d.Body.Close()
		w.Header().Set("Content-Type", d.MIME)
		w.Header().Set("Content-Disposition", `attachment; filename="`+d.FileName+`"`)
		_, _ = io.Copy(w, d.Body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type testBundle struct {
	db     *pgxpool.Pool
	dir    string // the local store's directory
	local  *media.Local
	svc    *media.Service
	clock  *clock
	tenant uuid.UUID
}

type setupOpts struct {
	egressAllow []string
	store       media.Store // default: a local store in dir
	cfg         func(*media.Config)
}

func setup(t *testing.T, o *setupOpts) *testBundle {
	t.Helper()
	if o == nil {
		o = &setupOpts{}
	}
	b := &testBundle{db: dbtest.Pool(t), dir: t.TempDir(), clock: &clock{t: time.Date(2025, 5, 1, 9, 30, 0, 0, time.UTC)}}
	local, err := media.NewLocal(media.LocalConfig{Dir: b.dir, BaseURL: "http://media.test", Keys: testKeys, Now: b.clock.now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = local.Close() })
	b.local = local
	st := o.store
	if st == nil {
		st = local
	}
	cfg := media.Config{EgressAllow: o.egressAllow, TempDir: t.TempDir(), Now: b.clock.now}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	b.svc = media.NewService(b.db, st, cfg)
	b.tenant = b.newTenant(t, "Acme")
	b.setPlan(t, 1000, 1<<20)
	return b
}

func (b *testBundle) newTenant(t *testing.T, name string) uuid.UUID {
	t.Helper()
	tn, err := tenant.Create(t.Context(), store.New(b.db), tenant.CreateInput{Name: name, Status: "active"})
	require.NoError(t, err)
	return tn.ID
}

// setPlan sets every plan's file size limit and storage quota (each test has its own database).
func (b *testBundle) setPlan(t *testing.T, maxBytes, quota int64) {
	t.Helper()
	_, err := b.db.Exec(t.Context(), "UPDATE plans SET max_media_bytes = $1, storage_quota_bytes = $2", maxBytes, quota)
	require.NoError(t, err)
}

// requireNothingStored checks that the tenant has no media rows and the store directory holds no
// file at all (temporary files included).
func (b *testBundle) requireNothingStored(t *testing.T) {
	t.Helper()
	var n int
	require.NoError(t, b.db.QueryRow(t.Context(), "SELECT count(*) FROM media").Scan(&n))
	require.Zero(t, n, "media rows")
	require.Empty(t, filesIn(t, b.dir), "files in the store")
}

func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	}))
	return files
}

// Fixtures: small but real files of each family.

func pngBytes(t testing.TB, w int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, w))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func jpegBytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4)), nil))
	return buf.Bytes()
}

func gifBytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	img := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black, color.White})
	require.NoError(t, gif.Encode(&buf, img, nil))
	return buf.Bytes()
}

// oggPage is the first page of an OGG stream whose first packet starts with packet.
func oggPage(packet string) []byte {
	p := []byte("OggS\x00\x02")
	p = append(p, make([]byte, 8+4+4+4)...) // granule, serial, sequence, checksum
	p = append(p, 1, byte(len(packet)))
	p = append(p, packet...)
	return append(p, make([]byte, 64)...)
}

func opusBytes() []byte   { return oggPage("OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00") }
func vorbisBytes() []byte { return oggPage("\x01vorbis\x00\x00\x00\x00\x02\x44\xac\x00\x00") }

func pdfBytes() []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

func docxBytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, _ = w.Write([]byte("<?xml version=\"1.0\"?><x/>"))
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func zipBytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("notes/readme.txt")
	require.NoError(t, err)
	_, _ = w.Write([]byte("hello"))
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func mp4Bytes() []byte {
	// an ftyp box of brand isom
	return append([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"), make([]byte, 64)...)
}

func mp3Bytes() []byte { return append([]byte("ID3\x03\x00\x00\x00\x00\x00\x0a"), make([]byte, 64)...) }

func elfBytes() []byte {
	return append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00"), make([]byte, 64)...)
}

func exeBytes() []byte {
	b := make([]byte, 256)
	copy(b, "MZ\x90\x00")
	b[0x3c] = 0x80
	copy(b[0x80:], "PE\x00\x00")
	return b
}
