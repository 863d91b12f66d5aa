// Package secret derives the server's keys from SECRET_KEY (HKDF-SHA256, one key per purpose) and
// uses them: authenticated encryption of values stored at rest (TOTP secrets, later webhook secrets)
// and MACs. It imports nothing from the rest of the project.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Purposes name the derived keys; a key for one purpose never serves another.
const (
	PurposeAtRest = "wagate at-rest encryption v1"
	PurposeCSRF   = "wagate csrf v1"
	// PurposeMediaURL signs the download links of media kept on local disk (MEDIA_DIR).
	PurposeMediaURL = "wagate media url v1"
)

// ErrDecrypt means a ciphertext was tampered with, truncated, or made with another SECRET_KEY.
var ErrDecrypt = errors.New("cannot decrypt: wrong key or damaged data")

// Keys holds the master secret and derives purpose keys from it.
type Keys struct{ master []byte }

// New returns Keys over master (SECRET_KEY, at least 32 bytes, checked by config).
func New(master []byte) *Keys { return &Keys{master: append([]byte(nil), master...)} }

// Derive returns the 32-byte key for purpose.
func (k *Keys) Derive(purpose string) []byte {
	key, err := hkdf.Key(sha256.New, k.master, nil, purpose, 32)
	if err != nil {
		panic(fmt.Sprintf("secret: hkdf: %v", err)) // only for lengths beyond HKDF's limit, never 32
	}
	return key
}

// Encrypt seals plaintext with AES-256-GCM under the at-rest key; aad binds it to its place (e.g.
// "users.totp_secret:<id>"), so a ciphertext copied to another row does not decrypt.
func (k *Keys) Encrypt(plaintext, aad []byte) ([]byte, error) {
	gcm, err := k.gcm()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return gcm.Seal(nonce, nonce, plaintext, aad), nil
}

// Decrypt opens what Encrypt sealed with the same aad.
func (k *Keys) Decrypt(ciphertext, aad []byte) ([]byte, error) {
	gcm, err := k.gcm()
	if err != nil {
		return nil, err
	}
	if len(ciphertext) < gcm.NonceSize() {
		return nil, ErrDecrypt
	}
	nonce, sealed := ciphertext[:gcm.NonceSize()], ciphertext[gcm.NonceSize():]
	out, err := gcm.Open(nil, nonce, sealed, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

func (k *Keys) gcm() (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.Derive(PurposeAtRest))
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	return cipher.NewGCM(block)
}

// MAC returns HMAC-SHA256 of data under the key for purpose.
func (k *Keys) MAC(purpose string, data []byte) []byte {
	m := hmac.New(sha256.New, k.Derive(purpose))
	m.Write(data)
	return m.Sum(nil)
}
