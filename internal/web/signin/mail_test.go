package signin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/web/webtest"
)

func TestForgot_WithMail(t *testing.T) {
	t.Parallel()
	box := &webtest.Outbox{}
	e := webtest.New(t, &webtest.Opts{Mailer: box})
	b := e.NewBrowser()
	r := b.Post("/signup", signupForm("Acme", "Ada", "owner@acme.test"))
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	r = b.Post("/logout", url.Values{})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)

	r = b.Get("/forgot")
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.Equal(t, 1, r.Doc(t).Find(`[data-testid="forgot-form"]`).Length())
	require.Equal(t, "email", r.Doc(t).Find(`[data-testid="input-email"]`).AttrOr("autocomplete", ""))

	r = b.Post("/forgot", url.Values{"email": {"not an address"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
	require.NotEmpty(t, r.TestID(t, "error-email"))

	// Known and unknown addresses get the same page; only the known one gets mail, and no page
	// ever shows the link.
	var pages []string
	for _, email := range []string{"Owner@Acme.test", "nobody@acme.test"} {
		r = b.Post("/forgot", url.Values{"email": {email}})
		require.Equal(t, http.StatusOK, r.StatusCode)
		sent := r.Doc(t).Find(`[data-testid="forgot-sent"]`)
		require.Equal(t, 1, sent.Length())
		require.NotContains(t, r.Body, "/reset/")
		pages = append(pages, strings.TrimSpace(sent.Text()))
	}
	require.Equal(t, pages[0], pages[1])
	msgs := box.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, "owner@acme.test", msgs[0].To)

	// The mailed link works.
	path := regexp.MustCompile(`/reset/[A-Za-z0-9_-]+`).FindString(msgs[0].Body)
	require.NotEmpty(t, path)
	r = b.Post(path, url.Values{"password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrase"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	r = b.Post("/login", url.Values{"email": {"owner@acme.test"}, "password": {"a brand new passphrase"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	require.Equal(t, "/app", r.Header.Get("Location"))
}
