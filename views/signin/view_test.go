package signin_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/views/signin"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, c.Render(context.Background(), &buf))
	doc, err := goquery.NewDocumentFromReader(&buf)
	require.NoError(t, err)
	return doc
}

func TestPages(t *testing.T) {
	t.Parallel()
	ch := signin.Chrome{CSRFToken: "tok", FlashKind: "success", FlashText: "Hello."}
	errs := signin.Errors{signin.FieldEmail: "Bad address.", signin.FieldPassword: "Too short."}
	pages := map[string]templ.Component{
		"signup":         signin.Signup(signin.SignupPage{Chrome: ch, Mode: signin.ModeApproval, Company: "Acme", Errors: errs}),
		"signup-closed":  signin.Signup(signin.SignupPage{Chrome: ch, Mode: signin.ModeInvite}),
		"login":          signin.Login(signin.LoginPage{Chrome: ch, Email: "a@b.co", Next: "/app/keys", Problem: "Incorrect email or password."}),
		"totp":           signin.TOTP(signin.TOTPPage{Chrome: ch, Email: "a@b.co", Problem: "Nope."}),
		"forgot":         signin.Forgot(signin.ForgotPage{Chrome: ch, MailEnabled: true, Errors: errs}),
		"forgot-sent":    signin.Forgot(signin.ForgotPage{Chrome: ch, MailEnabled: true, Sent: true}),
		"forgot-no-mail": signin.Forgot(signin.ForgotPage{Chrome: ch}),
		"reset":          signin.Reset(signin.ResetPage{Chrome: ch, Token: "t", Email: "a@b.co", Errors: errs}),
		"invite":         signin.Invite(signin.InvitePage{Chrome: ch, Token: "t", Email: "a@b.co", Role: "admin", TenantName: "Acme", Errors: errs}),
		"link-invalid":   signin.LinkInvalid(signin.LinkInvalidPage{Chrome: ch, Kind: signin.LinkReset}),
		"already-in":     signin.AlreadyIn(signin.AlreadyInPage{Chrome: ch, Email: "a@b.co", Target: "/app"}),
	}
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc := render(t, page)
			// Every interactive element can be found by tests (the flash's own dismiss button is
			// components' business).
			doc.Find(`a, button:not([data-dismiss]), input:not([type="hidden"]), select, textarea`).Each(func(_ int, s *goquery.Selection) {
				_, ok := s.Attr("data-testid")
				html, _ := goquery.OuterHtml(s)
				require.True(t, ok, "no data-testid: %s", html)
			})
			// Every form posts with the CSRF token; every labelled input has its label.
			doc.Find("form").Each(func(_ int, f *goquery.Selection) {
				require.Equal(t, "post", f.AttrOr("method", ""))
				require.Equal(t, "tok", f.Find(`input[name="_csrf"]`).AttrOr("value", ""))
			})
			doc.Find(`input:not([type="hidden"])`).Each(func(_ int, in *goquery.Selection) {
				id := in.AttrOr("id", "")
				require.Equal(t, 1, doc.Find(`label[for="`+id+`"]`).Length(), id)
			})
			require.Equal(t, "tok", doc.Find(`meta[name="csrf-token"]`).AttrOr("content", ""))
			require.Equal(t, "Hello.", strings.TrimSpace(doc.Find(`[data-testid="flash"]`).Text()))
			require.Equal(t, 1, doc.Find(`h1`).Length())
			// One field has the focus on a page with a form to fill in.
			editable := doc.Find(`input:not([type="hidden"]):not([readonly])`).Length()
			require.Equal(t, min(editable, 1), doc.Find(`[autofocus]`).Length())
		})
	}

	t.Run("FieldErrorsInPlace", func(t *testing.T) {
		t.Parallel()
		doc := render(t, pages["signup"])
		require.Equal(t, "Bad address.", doc.Find(`[data-testid="error-email"]`).Text())
		require.Equal(t, "f-email-error", doc.Find(`[data-testid="input-email"]`).AttrOr("aria-describedby", ""))
		require.Equal(t, 2, doc.Find(`[data-testid="form-errors"] li`).Length())
		_, focus := doc.Find(`[data-testid="input-email"]`).Attr("autofocus")
		require.True(t, focus, "the first field at fault has the focus")
		require.Equal(t, "Acme", doc.Find(`[data-testid="input-company"]`).AttrOr("value", ""))
		require.NotEmpty(t, doc.Find(`[data-testid="signup-approval-note"]`).Text())
	})
}
