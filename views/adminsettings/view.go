// Package adminsettings renders the console's platform settings (the sign-up mode). It takes view
// models only and must not import fiber, services or the store.
package adminsettings

import "github.com/wagate/wagate/views/layout"

// Page is the settings page.
type Page struct {
	Shell      layout.AdminShell
	SignupMode string
	Error      string
}

// FormID is the settings form, re-rendered in place on errors.
const FormID = "settings-form"

type mode struct {
	Value string
	Label string
	Text  string
	Icon  string
}

var modes = []mode{
	{"open", "Open", "Anyone can sign up and start at once: link numbers, create keys and send. Best for a public, self-serve product.", "play"},
	{"approval", "Approval", "Anyone can sign up, but a new workspace waits until an operator approves it on the Tenants page. Its members can log in meanwhile but cannot act.", "hourglass"},
	{"invite", "Invite only", "Nobody can sign up: the sign-up page is closed. People join existing workspaces through an invitation from an owner or admin.", "lock"},
}
