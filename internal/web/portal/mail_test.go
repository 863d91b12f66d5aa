package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/webtest"
)

// TestPortal_InviteByMail: with mail configured, an invitation is mailed and its link never shown.
func TestPortal_InviteByMail(t *testing.T) {
	t.Parallel()
	box := &webtest.Outbox{}
	e := webtest.New(t, &webtest.Opts{Mailer: box})
	users := e.Services.Users

	_, _, err := users.Signup(t.Context(), auth.SignupInput{Company: "Mail Corp", Name: "Mia Owner", Email: "mia@example.com", Password: "mia's password 1"})
	require.NoError(t, err)
	b := e.NewBrowser()
	r := b.Post("/login", url.Values{"email": {"mia@example.com"}, "password": {"mia's password 1"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)

	require.Contains(t, b.Get("/app/team").TestID(t, "invite-submit"), "Send invitation")
	r = b.Post("/app/team/invitations", url.Values{"email": {"joe@example.com"}, "role": {"member"}})
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	require.Equal(t, "/app/team#main", r.Header.Get("Location"))

	mails := box.Messages()
	require.Len(t, mails, 1)
	require.Equal(t, "joe@example.com", mails[0].To)
	at := strings.Index(mails[0].Body, e.URL()+"/invite/")
	require.GreaterOrEqual(t, at, 0, "the mail carries the invitation link")
	link := strings.Fields(mails[0].Body[at:])[0]

	r = b.Get("/app/team")
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.Contains(t, r.TestID(t, "flash"), "Invitation sent to joe@example.com")
	require.NotContains(t, r.Body, token(link), "a mailed link is never shown")
	require.Equal(t, 1, r.Doc(t).Find(`[data-testid="invitation-row"]`).Length())
	_, err = users.AcceptInvitation(t.Context(), token(link), "Joe", "joe's password 12")
	require.NoError(t, err)
}
