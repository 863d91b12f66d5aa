package httpx

import (
	"crypto/rand"
	"encoding/base64"
)

// CSRFField is the hidden form field, and CSRFHeader the header htmx sends (layout.Base sets it
// through hx-headers), that carry the login's CSRF token.
const (
	CSRFField  = "_csrf"
	CSRFHeader = "X-CSRF-Token"
)

// NewCSRFToken returns a fresh random token.
func NewCSRFToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
