package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/validate"
)

// Device cookies (OWASP's answer to throttles that anyone could use to keep an owner out). A browser
// in which someone once entered an account's right password gets a signed token for that account.
// Its later attempts are throttled on their own counter, not the account's, so an attacker who keeps
// the account's counter high cannot keep its owner, on their usual browser, out.
const (
	DeviceCookie  = "wagate_device"
	purposeDevice = "wagate device cookie v1"
)

type deviceCtxKey struct{}

// WithDeviceToken returns ctx carrying the device cookie the request came with.
func WithDeviceToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, deviceCtxKey{}, token)
}

// NewDeviceToken returns a device token for email, to set as DeviceCookie after a right password.
func (s *Service) NewDeviceToken(email string) string {
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	n := base64.RawURLEncoding.EncodeToString(nonce)
	return n + "." + deviceMAC(s.keys, validate.NormalizeEmail(email), n)
}

func deviceMAC(keys *secret.Keys, email, nonce string) string {
	return base64.RawURLEncoding.EncodeToString(keys.MAC(purposeDevice, []byte(email+"|"+nonce))[:16])
}

// throttleAccount is the key the login throttle counts for email: the account's own, or, when the
// request carries a valid device token for that account, the device's.
func (s *Service) throttleAccount(ctx context.Context, email string) string {
	tok, _ := ctx.Value(deviceCtxKey{}).(string)
	nonce, mac, ok := strings.Cut(tok, ".")
	if !ok || nonce == "" || !hmac.Equal([]byte(mac), []byte(deviceMAC(s.keys, email, nonce))) {
		return email
	}
	return email + "|device:" + nonce
}
