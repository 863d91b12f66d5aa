// Package adminauth renders the operator console's login and its mandatory two-factor pages
// (setting up an authenticator, entering a code). It takes view models only and must not import
// fiber, services or the store.
package adminauth

// LoginForm is the console's login page.
type LoginForm struct {
	CSRFToken string
	Email     string
	Next      string
	Error     string // shown above the form (wrong credentials, throttled)
}

// SetupForm is the page that makes an operator set up their authenticator.
type SetupForm struct {
	CSRFToken string
	Email     string
	QRImage   string // data: URL of the QR code
	Secret    string // the same secret for typing in by hand
	Error     string // the code's problem
}

// VerifyForm asks a logged-in operator for their current code.
type VerifyForm struct {
	CSRFToken string
	Email     string
	Next      string
	Error     string
}

// groupSecret spaces a base32 secret in groups of four, for typing in.
func groupSecret(s string) string {
	out := make([]byte, 0, len(s)+len(s)/4)
	for i := 0; i < len(s); i++ {
		if i > 0 && i%4 == 0 {
			out = append(out, ' ')
		}
		out = append(out, s[i])
	}
	return string(out)
}
