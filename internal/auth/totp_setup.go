package auth

import (
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"
)

// TOTPSetupFor rebuilds the setup (URL and QR code) of a secret made by NewTOTP and kept while
// the person confirms it, so a reload or a mistyped first code shows the same QR code again
// instead of a new secret their authenticator does not hold.
func TOTPSetupFor(issuer, account, secret string) (TOTPSetup, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil || len(raw) == 0 {
		return TOTPSetup{}, fmt.Errorf("totp secret is not base32")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Secret: raw})
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("rebuild totp: %w", err)
	}
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, 240)
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("qr code: %w", err)
	}
	return TOTPSetup{Secret: key.Secret(), URL: key.URL(),
		QRImage: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}, nil
}
