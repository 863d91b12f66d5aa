package layout

// AuthPage describes a page of the sign-in area (sign-up, login, password reset, invitation):
// one centred card under the Wagate logo.
type AuthPage struct {
	// Head is the document head; set CSRFToken on every page that has a form.
	Head Head
	// FlashKind and FlashText show a one-time message (components.Flash kinds) above the card's
	// content when FlashText is set.
	FlashKind string
	FlashText string
	// Wide gives the card room for longer content (sign-up, invitations).
	Wide bool
}

func (p AuthPage) cardClass() string {
	if p.Wide {
		return "wg-auth__card wg-auth__card--wide"
	}
	return "wg-auth__card"
}
