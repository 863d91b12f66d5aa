package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/validate"
)

// TOTPSetup is a new, not yet confirmed, authenticator secret.
type TOTPSetup struct {
	Secret  string // base32, for typing in by hand
	URL     string // otpauth:// URL
	QRImage string // data: URL of a PNG QR code of URL
}

// NewTOTP generates a secret for account (an email) to be confirmed with a first code.
func NewTOTP(issuer, account string) (TOTPSetup, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account})
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("generate totp: %w", err)
	}
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, 240)
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("qr code: %w", err)
	}
	return TOTPSetup{Secret: key.Secret(), URL: key.URL(),
		QRImage: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}, nil
}

// normalizeCode strips the spaces people type into codes ("123 456"); what is left must be six
// digits. Every check and the replay guard use this one form, so "123 456" cannot replay "123456".
func normalizeCode(code string) (string, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != 6 {
		return "", false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return code, true
}

// validCode checks a 6-digit code against secret with one step of clock skew either way.
func validCode(code, sec string) bool {
	code, ok := normalizeCode(code)
	if !ok {
		return false
	}
	ok, err := totp.ValidateCustom(code, sec, time.Now(), totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	return err == nil && ok
}

func totpAAD(table string, id uuid.UUID) []byte { return []byte(table + ".totp_secret:" + id.String()) }

// sealTOTP encrypts a TOTP secret for its row.
func sealTOTP(keys *secret.Keys, table string, id uuid.UUID, sec string) ([]byte, error) {
	return keys.Encrypt([]byte(sec), totpAAD(table, id))
}

// checkTOTP verifies code for the account whose encrypted secret is sealed, throttled like
// passwords (per account and per client address), and refuses a code already used (a code seen
// over a shoulder cannot be replayed).
func (t *Throttle) checkTOTP(ctx context.Context, keys *secret.Keys, table string, id uuid.UUID, sealed []byte, code string) error {
	scope := "totp-" + table
	ip := audit.ActorFrom(ctx).IP
	if err := t.Check(ctx, scope, id.String(), ip); err != nil {
		return err
	}
	sec, err := keys.Decrypt(sealed, totpAAD(table, id))
	if err != nil {
		return fmt.Errorf("decrypt totp secret: %w", err)
	}
	norm, _ := normalizeCode(code)
	if !validCode(code, string(sec)) {
		_ = t.Fail(ctx, scope, id.String(), ip)
		return ErrInvalidCode
	}
	fresh, err := t.rdb.SetNX(ctx, "wagate:totp:used:"+table+":"+id.String()+":"+norm, 1, 2*time.Minute).Result()
	if err != nil {
		return fmt.Errorf("totp replay check: %w", err)
	}
	if !fresh {
		return ErrInvalidCode
	}
	_ = t.Succeed(ctx, scope, id.String())
	return nil
}

// VerifyTOTP checks a user's second factor at login; a wrong code is audited.
func (s *Service) VerifyTOTP(ctx context.Context, u User, code string) error {
	if u.TOTPEnabledAt == nil {
		return nil
	}
	err := s.throttle.checkTOTP(ctx, s.keys, "users", u.ID, u.totpSecret, code)
	if errors.Is(err, ErrInvalidCode) {
		if aerr := audit.RecordAs(ctx, store.New(s.db), actorUser(ctx, u), audit.Entry{TenantID: &u.TenantID, Action: audit.User2FAFailed}); aerr != nil {
			s.log.ErrorContext(ctx, "audit failed two-factor code", "err", aerr)
		}
	}
	return err
}

// EnableTOTP turns two-factor on for u once code proves the authenticator holds setupSecret.
func (s *Service) EnableTOTP(ctx context.Context, u User, setupSecret, code string) error {
	if !validCode(code, setupSecret) {
		return validate.Field("code", "That code does not match. Check the time on your phone and try the current code.")
	}
	sealed, err := sealTOTP(s.keys, "users", u.ID, setupSecret)
	if err != nil {
		return err
	}
	return store.WithTx(ctx, s.db, func(q *store.Queries) error {
		if err := q.UserSetTOTP(ctx, store.UserSetTOTPParams{TenantID: u.TenantID, ID: u.ID, TotpSecret: sealed}); err != nil {
			return fmt.Errorf("enable totp: %w", err)
		}
		return audit.RecordAs(ctx, q, actorUser(ctx, u), audit.Entry{TenantID: &u.TenantID, Action: audit.User2FAEnabled, TargetType: "user", TargetID: u.ID.String()})
	})
}

// DisableTOTP turns two-factor off after checking the password.
func (s *Service) DisableTOTP(ctx context.Context, u User, password string) error {
	ok, err := s.recheckPassword(ctx, u, password)
	if err != nil {
		return err
	}
	if !ok {
		return validate.Field("password", "This is not your current password.")
	}
	return store.WithTx(ctx, s.db, func(q *store.Queries) error {
		if err := q.UserSetTOTP(ctx, store.UserSetTOTPParams{TenantID: u.TenantID, ID: u.ID, TotpSecret: nil}); err != nil {
			return fmt.Errorf("disable totp: %w", err)
		}
		return audit.RecordAs(ctx, q, actorUser(ctx, u), audit.Entry{TenantID: &u.TenantID, Action: audit.User2FADisabled, TargetType: "user", TargetID: u.ID.String()})
	})
}
