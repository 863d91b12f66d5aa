// Package account renders the portal's account pages: the user's profile, changing their
// password, and turning two-factor authentication on (with a QR code) and off. It takes view
// models only; passwords typed into a form are never rendered back.
package account

import (
	"strconv"
	"strings"
	"time"

	"github.com/wagate/wagate/views/portalui"
)

// Swap targets of the forms htmx re-renders in place on 422.
const (
	PasswordFormID    = "password-form"
	TOTPDisableFormID = "totp-disable-form"
)

// Page is the account page.
type Page struct {
	CSRFToken   string
	Name        string
	Email       string
	Role        string
	TenantName  string
	Joined      time.Time
	LastLogin   *time.Time
	TOTPEnabled *time.Time // when two-factor was turned on; nil while off
	Password    portalui.Errors
	MinPassword int // the shortest password allowed
	TOTPDisable portalui.Errors
	Now         time.Time
}

// TOTPPage is the two-factor setup page.
type TOTPPage struct {
	CSRFToken string
	Email     string
	QRImage   string // data: URL of the QR code's PNG
	Secret    string
	Errors    portalui.Errors
}

// GroupedSecret is the secret in groups of four, easier to type.
func (p TOTPPage) GroupedSecret() string {
	var b strings.Builder
	for i, r := range p.Secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (p Page) passwordHelp() string {
	return "At least " + strconv.Itoa(p.MinPassword) + " characters. A few unrelated words make a strong one."
}
