// Package signin renders the public account pages: sign-up, login and its two-factor step,
// forgotten and reset passwords, invitations, and the page for a link that no longer works. It
// takes view models only and must not import fiber, services or the store.
package signin

import (
	"strings"

	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
)

// Chrome is what every page of the area carries besides its own content.
type Chrome struct {
	// CSRFToken goes into every form as _csrf and into the head for htmx.
	CSRFToken string
	// FlashKind and FlashText are a one-time message shown on top of the card.
	FlashKind string
	FlashText string
}

func (c Chrome) page(title string, wide bool) layout.AuthPage {
	return layout.AuthPage{
		Head:      layout.Head{Title: title, CSRFToken: c.CSRFToken},
		FlashKind: c.FlashKind,
		FlashText: c.FlashText,
		Wide:      wide,
	}
}

// Errors are problems with the input, keyed by form field name.
type Errors map[string]string

// Field names, shared by the templates, the handlers and the tests.
const (
	FieldCompany         = "company"
	FieldName            = "name"
	FieldEmail           = "email"
	FieldPassword        = "password"
	FieldPasswordConfirm = "password_confirm"
	FieldCode            = "code"
	FieldNext            = "next"
)

// Sign-up modes as the platform stores them (tenant.Signup*), repeated here because views do
// not import domain packages.
const (
	ModeOpen     = "open"
	ModeApproval = "approval"
	ModeInvite   = "invite"
)

// field is one labelled input with its error in place.
type field struct {
	Name         string
	Label        string
	Type         string
	Value        string
	Autocomplete string
	Help         string
	Error        string
	Autofocus    bool
	ReadOnly     bool
	MinLength    int
	MaxLength    int
	InputMode    string
	Pattern      string
	Placeholder  string
	// Aside is a small link at the right of the label ("Forgot password?").
	AsideHref   string
	AsideText   string
	AsideTestID string
}

func (f field) id() string { return "f-" + f.Name }

func (f field) errorID() string { return f.id() + "-error" }

func (f field) inputClass() string {
	if f.Error != "" {
		return "input is-danger"
	}
	return "input"
}

// describedBy links the input to its error or help text for screen readers.
func (f field) describedBy() string {
	switch {
	case f.Error != "":
		return f.errorID()
	case f.Help != "":
		return f.id() + "-help"
	}
	return ""
}

// focusFirst sets autofocus on the first field with an error, or on the first editable field
// when none has one.
func focusFirst(fs []field) []field {
	at := -1
	for i, f := range fs {
		if f.Error != "" {
			at = i
			break
		}
	}
	if at < 0 {
		for i, f := range fs {
			if !f.ReadOnly {
				at = i
				break
			}
		}
	}
	if at >= 0 {
		fs[at].Autofocus = true
	}
	return fs
}

// summary lists the problems in field order; errors for fields the page does not show come last.
func summary(fs []field, errs Errors) []field {
	var out []field
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Error != "" {
			out = append(out, f)
			seen[f.Name] = true
		}
	}
	for name, msg := range errs {
		if !seen[name] {
			out = append(out, field{Name: name, Label: "", Error: msg})
		}
	}
	return out
}

func problemsHeading(n int) string {
	if n == 1 {
		return "Please correct the field below."
	}
	return "Please correct the fields below."
}

// SignupPage is the sign-up form, or the notice that sign-up is by invitation only.
type SignupPage struct {
	Chrome
	Mode    string
	Company string
	Name    string
	Email   string
	Errors  Errors
	// Problem is a message about the whole form.
	Problem string
}

// Closed reports whether nobody may sign up (invitation only).
func (p SignupPage) Closed() bool { return p.Mode == ModeInvite }

func (p SignupPage) fields() []field {
	return focusFirst([]field{
		{Name: FieldCompany, Label: "Company or team", Type: "text", Value: p.Company, Autocomplete: "organization",
			Placeholder: "Acme Inc.", MaxLength: 100, Error: p.Errors[FieldCompany]},
		{Name: FieldName, Label: "Your name", Type: "text", Value: p.Name, Autocomplete: "name",
			Placeholder: "Ada Lovelace", MaxLength: 100, Error: p.Errors[FieldName]},
		{Name: FieldEmail, Label: "Work email", Type: "email", Value: p.Email, Autocomplete: "email",
			Placeholder: "you@company.com", Error: p.Errors[FieldEmail]},
		{Name: FieldPassword, Label: "Password", Type: "password", Autocomplete: "new-password", MinLength: 10, MaxLength: 128,
			Help: "At least 10 characters. A few random words make a strong password.", Error: p.Errors[FieldPassword]},
	})
}

// LoginPage is the email and password form.
type LoginPage struct {
	Chrome
	Email string
	Next  string
	// Problem is the one message for a failed attempt (wrong credentials, throttled).
	Problem string
}

func (p LoginPage) fields() []field {
	fs := []field{
		{Name: FieldEmail, Label: "Email", Type: "email", Value: p.Email, Autocomplete: "email", Placeholder: "you@company.com"},
		{Name: FieldPassword, Label: "Password", Type: "password", Autocomplete: "current-password",
			AsideHref: paths.Forgot, AsideText: "Forgot password?", AsideTestID: "link-forgot"},
	}
	// After a failed attempt the address is kept: the password is what to type again.
	if p.Problem != "" && p.Email != "" {
		fs[1].Autofocus = true
		return fs
	}
	return focusFirst(fs)
}

// TOTPPage asks for the authenticator code of a user who passed the password.
type TOTPPage struct {
	Chrome
	Email   string
	Next    string
	Problem string
}

func (p TOTPPage) fields() []field {
	return focusFirst([]field{
		{Name: FieldCode, Label: "Authentication code", Type: "text", Autocomplete: "one-time-code", InputMode: "numeric",
			Pattern: "[0-9 ]*", MaxLength: 7, Placeholder: "123 456", Error: p.Problem},
	})
}

// ForgotPage is the forgotten-password page in its three states: the form (mail configured), the
// answer after it was sent, and the explanation when this server sends no mail.
type ForgotPage struct {
	Chrome
	MailEnabled bool
	Sent        bool
	Email       string
	Errors      Errors
}

func (p ForgotPage) fields() []field {
	return focusFirst([]field{
		{Name: FieldEmail, Label: "Email", Type: "email", Value: p.Email, Autocomplete: "email",
			Placeholder: "you@company.com", Error: p.Errors[FieldEmail]},
	})
}

// ResetPage is the form behind a live password-reset link.
type ResetPage struct {
	Chrome
	Token  string
	Email  string
	Errors Errors
}

func (p ResetPage) fields() []field {
	return focusFirst([]field{
		{Name: "username", Label: "Account", Type: "email", Value: p.Email, Autocomplete: "username", ReadOnly: true},
		{Name: FieldPassword, Label: "New password", Type: "password", Autocomplete: "new-password", MinLength: 10, MaxLength: 128,
			Help: "At least 10 characters. A few random words make a strong password.", Error: p.Errors[FieldPassword]},
		{Name: FieldPasswordConfirm, Label: "Repeat the new password", Type: "password", Autocomplete: "new-password",
			MaxLength: 128, Error: p.Errors[FieldPasswordConfirm]},
	})
}

// InvitePage is an invitation to join a workspace.
type InvitePage struct {
	Chrome
	Token      string
	Email      string
	Role       string
	TenantName string
	Name       string
	Errors     Errors
	// CurrentEmail is the account this browser is logged in to, if any: accepting replaces it.
	CurrentEmail string
}

func (p InvitePage) fields() []field {
	return focusFirst([]field{
		{Name: FieldEmail, Label: "Email", Type: "email", Value: p.Email, Autocomplete: "username", ReadOnly: true,
			Help: "The address you were invited at. It will be your login.", Error: p.Errors[FieldEmail]},
		{Name: FieldName, Label: "Your name", Type: "text", Value: p.Name, Autocomplete: "name", MaxLength: 100,
			Placeholder: "Ada Lovelace", Error: p.Errors[FieldName]},
		{Name: FieldPassword, Label: "Choose a password", Type: "password", Autocomplete: "new-password", MinLength: 10, MaxLength: 128,
			Help: "At least 10 characters. A few random words make a strong password.", Error: p.Errors[FieldPassword]},
	})
}

func roleLabel(role string) string {
	if role == "" {
		return ""
	}
	return strings.ToUpper(role[:1]) + role[1:]
}

// Link kinds for LinkInvalidPage.
const (
	LinkReset  = "reset"
	LinkInvite = "invite"
)

// LinkInvalidPage is shown (404) for a reset or invitation link that is unknown, used, revoked
// or expired.
type LinkInvalidPage struct {
	Chrome
	Kind string
}

func (p LinkInvalidPage) title() string {
	if p.Kind == LinkInvite {
		return "This invitation is no longer valid"
	}
	return "This reset link no longer works"
}

func (p LinkInvalidPage) text() string {
	if p.Kind == LinkInvite {
		return "Invitation links work once and expire after 7 days, and the person who invited you may have " +
			"cancelled it. Ask an owner or admin of the workspace to send you a new invitation."
	}
	return "Password reset links work only once and expire after an hour. If you still need to reset your " +
		"password, ask for a new link."
}

// AlreadyInPage is the short note sent with the redirect that takes a logged-in user away from
// the login and sign-up forms (browsers follow the redirect; other clients see the note).
type AlreadyInPage struct {
	Chrome
	Email  string
	Target string
}
