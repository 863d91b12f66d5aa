package media

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/wagate/wagate/internal/secret"
)

// FilesPath is where the web server serves local-disk download links: FilesPath + token.
const FilesPath = "/media/files/"

// LocalConfig configures a Local store.
type LocalConfig struct {
	Dir     string       // MEDIA_DIR; created when missing
	BaseURL string       // the server's public URL; links are BaseURL + FilesPath + token
	Keys    *secret.Keys // signs the links (secret.PurposeMediaURL)
	Now     func() time.Time
}

// Local keeps media in a directory, for single-instance installs without S3. Every access goes
// through an os.Root, so no key (nor a symbolic link planted in the directory) reaches outside it.
type Local struct {
	root    *os.Root
	baseURL string
	keys    *secret.Keys
	now     func() time.Time
}

// NewLocal opens (creating it when needed) the directory of cfg.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if cfg.Dir == "" {
		return nil, errors.New("local media store: no directory (MEDIA_DIR)")
	}
	if cfg.Keys == nil {
		return nil, errors.New("local media store: no signing keys")
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("local media store: create %s: %w", cfg.Dir, err)
	}
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("local media store: open %s: %w", cfg.Dir, err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Local{root: root, baseURL: strings.TrimRight(cfg.BaseURL, "/"), keys: cfg.Keys, now: cfg.Now}, nil
}

// Close releases the directory.
func (l *Local) Close() error { return l.root.Close() }

// checkKey accepts only clean relative paths of plain elements: "a/b/c", never "/a", "a/../b",
// "a//b" or "a\b". os.Root would refuse an escape anyway; this refuses the attempt before any I/O.
func checkKey(key string) error {
	if key == "" || strings.ContainsAny(key, "\\\x00") || path.IsAbs(key) || path.Clean(key) != key {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	for _, el := range strings.Split(key, "/") {
		if el == "." || el == ".." || strings.HasPrefix(el, ".tmp-") {
			return fmt.Errorf("%w: %q", ErrInvalidKey, key)
		}
	}
	return nil
}

// Put writes body to a temporary file beside key and renames it into place once it is complete and
// synced, so a reader never sees half a file and a crash leaves only a stray temporary file.
func (l *Local) Put(_ context.Context, key string, body io.ReadSeeker, size int64, _ string) (err error) {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := l.root.MkdirAll(path.Dir(key), 0o750); err != nil {
		return fmt.Errorf("local put %s: %w", key, err)
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(path.Dir(key), ".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("local put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = l.root.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, body)
	if err != nil {
		return fmt.Errorf("local put %s: %w", key, err)
	}
	if n != size {
		return fmt.Errorf("local put %s: wrote %d bytes, expected %d", key, n, size)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("local put %s: sync: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("local put %s: close: %w", key, err)
	}
	if err := l.root.Rename(tmp, key); err != nil {
		return fmt.Errorf("local put %s: rename: %w", key, err)
	}
	return nil
}

// Open opens key; a missing key is fs.ErrNotExist.
func (l *Local) Open(_ context.Context, key string) (io.ReadCloser, error) {
	f, err := l.open(key)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (l *Local) open(key string) (*os.File, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	f, err := l.root.Open(key)
	if err != nil {
		return nil, fmt.Errorf("local open %s: %w", key, err)
	}
	return f, nil
}

// Delete removes key; a missing key is no error.
func (l *Local) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := l.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local delete %s: %w", key, err)
	}
	return nil
}

// link is what a download token carries. It is signed, not encrypted: it names nothing the holder
// of the link may not know.
type link struct {
	Key      string `json:"k"`
	Expires  int64  `json:"e"` // Unix seconds
	FileName string `json:"n,omitempty"`
	MIME     string `json:"t,omitempty"`
}

var b64 = base64.RawURLEncoding

// URL returns BaseURL + FilesPath + token, where token is base64url(JSON of key, expiry, file name
// and type) "." base64url(HMAC-SHA256 of the first part under secret.PurposeMediaURL).
func (l *Local) URL(_ context.Context, key, fileName, mimeType string, ttl time.Duration) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	payload, err := json.Marshal(link{Key: key, Expires: l.now().Add(ttl).Unix(), FileName: fileName, MIME: mimeType})
	if err != nil {
		return "", fmt.Errorf("local url: %w", err)
	}
	p := b64.EncodeToString(payload)
	return l.baseURL + FilesPath + p + "." + b64.EncodeToString(l.keys.MAC(secret.PurposeMediaURL, []byte(p))), nil
}

// Download is an open file behind a download link.
type Download struct {
	Body     io.ReadCloser
	Size     int64
	FileName string
	MIME     string
	Expires  time.Time
}

// OpenLink checks a token made by URL (signature first, then expiry) and opens its file. A token that
// is not ours, or whose file is gone, is ErrNotFound; an expired one is ErrLinkExpired.
func (l *Local) OpenLink(_ context.Context, token string) (Download, error) {
	p, sig, ok := strings.Cut(token, ".")
	mac, err := b64.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(mac, l.keys.MAC(secret.PurposeMediaURL, []byte(p))) {
		return Download{}, ErrNotFound
	}
	raw, err := b64.DecodeString(p)
	var ln link
	if err != nil || json.Unmarshal(raw, &ln) != nil {
		return Download{}, ErrNotFound
	}
	expires := time.Unix(ln.Expires, 0)
	if !l.now().Before(expires) {
		return Download{}, ErrLinkExpired
	}
	f, err := l.open(ln.Key)
	if errors.Is(err, fs.ErrNotExist) {
		return Download{}, ErrNotFound
	} else if err != nil {
		return Download{}, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return Download{}, fmt.Errorf("local stat %s: %w", ln.Key, err)
	}
	return Download{Body: f, Size: st.Size(), FileName: ln.FileName, MIME: ln.MIME, Expires: expires}, nil
}
