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

func TestPortal_Invite(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Acme")
	b := logIn(t, e, w.owner.Email, w.ownerPW)

	t.Run("LinkShownOnceAndAccepted", func(t *testing.T) {
		r := b.Post("/app/team/invitations", url.Values{"email": {"  New.Person@Example.com "}, "role": {"admin"}})
		requireStatus(t, http.StatusOK, r)
		link := value(t, r, "invite-link")
		require.True(t, strings.HasPrefix(link, e.URL()+"/invite/"), link)
		require.Contains(t, r.TestID(t, "mail-disabled-note"), "Email is not configured")
		require.Contains(t, r.TestID(t, "page-title"), "new.person@example.com")
		require.Equal(t, "invite-link", r.Doc(t).Find(`[data-testid="invite-link-copy"]`).AttrOr("data-copy", ""))

		team := b.Get("/app/team")
		require.NotContains(t, team.Body, token(link), "the link is shown only once")
		rows := team.Doc(t).Find(`[data-testid="invitation-row"]`)
		require.Equal(t, 1, rows.Length())
		require.Equal(t, "new.person@example.com", strings.TrimSpace(rows.Find(`[data-testid="invitation-email"]`).Text()))
		require.Equal(t, "admin", rows.Find(`[data-testid="role-tag"]`).AttrOr("data-role", ""))

		u, err := e.Services.Users.AcceptInvitation(t.Context(), token(link), "New Person", "a good password 1")
		require.NoError(t, err)
		require.Equal(t, w.owner.TenantID, u.TenantID)
		require.Equal(t, auth.RoleAdmin, u.Role)
		team = b.Get("/app/team")
		require.Zero(t, team.Doc(t).Find(`[data-testid="invitation-row"]`).Length())
		require.Equal(t, 1, team.Doc(t).Find(`[data-testid="member-row"][data-email="new.person@example.com"]`).Length())
	})

	t.Run("FieldErrorsInPlace", func(t *testing.T) {
		r := b.Post("/app/team/invitations", url.Values{"email": {"not an address"}, "role": {"member"}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.NotEmpty(t, r.TestID(t, "error-email"))
		require.Equal(t, "not an address", value(t, r, "invite-email"), "the form keeps what was typed")
		require.Equal(t, 1, r.Doc(t).Find(`[data-testid="members-table"]`).Length(), "the whole page comes back")

		r = b.Post("/app/team/invitations", url.Values{"email": {"someone@example.com"}, "role": {"owner"}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.NotEmpty(t, r.TestID(t, "error-role"))

		r = b.Post("/app/team/invitations", url.Values{"email": {w.member.Email}, "role": {"member"}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.Contains(t, r.TestID(t, "error-email"), "already has a Wagate account")
	})

	t.Run("Revoke", func(t *testing.T) {
		inv, err := e.Services.Users.Invite(t.Context(), w.owner, "revoke.me@example.com", auth.RoleMember)
		require.NoError(t, err)
		doc := b.Get("/app/team").Doc(t)
		form := doc.Find(`[data-testid="invitation-row"][data-id="` + inv.Invitation.ID.String() + `"] form`)
		require.Equal(t, "/app/team/invitations/"+inv.Invitation.ID.String()+"/revoke", form.AttrOr("action", ""))
		require.NotEmpty(t, form.AttrOr("data-confirm", ""), "browsers with JavaScript ask first")

		requireRedirect(t, "/app/team", b.Post("/app/team/invitations/"+inv.Invitation.ID.String()+"/revoke", nil))
		r := b.Get("/app/team")
		require.Contains(t, r.TestID(t, "flash"), "Invitation revoked")
		require.Zero(t, r.Doc(t).Find(`[data-testid="invitation-row"][data-id="`+inv.Invitation.ID.String()+`"]`).Length())
		_, err = e.Services.Users.AcceptInvitation(t.Context(), token(inv.Link), "Too Late", "a good password 1")
		require.ErrorIs(t, err, auth.ErrInvalidLink)
		requireStatus(t, http.StatusNotFound, b.Post("/app/team/invitations/"+inv.Invitation.ID.String()+"/revoke", nil))
	})
}

func TestPortal_Members(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	w := newWorkspace(t, e, "Acme")
	owner := logIn(t, e, w.owner.Email, w.ownerPW)

	t.Run("OwnerRow", func(t *testing.T) {
		doc := owner.Get("/app/team").Doc(t)
		row := doc.Find(`[data-testid="member-row"][data-email="` + w.owner.Email + `"]`)
		require.Equal(t, 1, row.Find(`[data-testid="member-self"]`).Length())
		require.Zero(t, row.Find(`[data-testid="member-actions"]`).Length(), "the last owner can neither leave nor step down")
		require.Equal(t, "Off", strings.TrimSpace(row.Find(`[data-testid="member-2fa"]`).Text()))
		mrow := doc.Find(`[data-testid="member-row"][data-email="` + w.member.Email + `"]`)
		require.Equal(t, 1, mrow.Find(`[data-testid="member-role-form"]`).Length())
		require.Equal(t, 3, mrow.Find(`[data-testid="member-role-select"] option`).Length())
		require.Equal(t, 1, mrow.Find(`[data-testid="member-reset-form"]`).Length())
		require.Equal(t, "/app/team/members/"+w.member.ID.String()+"/remove", mrow.Find(`[data-testid="member-remove"]`).AttrOr("href", ""))
	})

	t.Run("ChangeRole", func(t *testing.T) {
		requireRedirect(t, "/app/team", owner.Post("/app/team/members/"+w.member.ID.String()+"/role", url.Values{"role": {"admin"}}))
		require.Equal(t, auth.RoleAdmin, current(t, e, w.member.ID).Role)
		r := owner.Get("/app/team")
		require.Contains(t, r.TestID(t, "flash"), "Role updated")

		r = owner.Post("/app/team/members/"+w.member.ID.String()+"/role", url.Values{"role": {"emperor"}})
		requireStatus(t, http.StatusUnprocessableEntity, r)
		require.NotEmpty(t, r.TestID(t, "team-error"))
		require.Equal(t, auth.RoleAdmin, current(t, e, w.member.ID).Role)

		// An admin may not touch an owner.
		admin := logIn(t, e, w.member.Email, w.memberPW)
		requireStatus(t, http.StatusForbidden, admin.Post("/app/team/members/"+w.owner.ID.String()+"/role", url.Values{"role": {"member"}}))
		requireStatus(t, http.StatusForbidden, admin.Get("/app/team/members/"+w.owner.ID.String()+"/remove"))
		require.Equal(t, auth.RoleOwner, current(t, e, w.owner.ID).Role)

		// The last owner cannot step down.
		requireStatus(t, http.StatusConflict, owner.Post("/app/team/members/"+w.owner.ID.String()+"/role", url.Values{"role": {"admin"}}))
		requireRedirect(t, "/app/team", owner.Post("/app/team/members/"+w.member.ID.String()+"/role", url.Values{"role": {"member"}}))
	})

	t.Run("ResetLink", func(t *testing.T) {
		r := owner.Post("/app/team/members/"+w.member.ID.String()+"/reset-link", nil)
		requireStatus(t, http.StatusOK, r)
		link := value(t, r, "reset-link")
		target, err := e.Services.Users.CheckResetLink(t.Context(), token(link))
		require.NoError(t, err)
		require.Equal(t, w.member.Email, target.Email)
		require.NotContains(t, owner.Get("/app/team").Body, token(link))

		// Only owners make reset links.
		admin := addMember(t, e, w.owner, "admin@example.com", "An Admin", auth.RoleAdmin, "admin password 12")
		ab := logIn(t, e, admin.Email, "admin password 12")
		requireStatus(t, http.StatusForbidden, ab.Post("/app/team/members/"+w.member.ID.String()+"/reset-link", nil))
	})

	t.Run("Remove", func(t *testing.T) {
		gone := addMember(t, e, w.owner, "gone@example.com", "Soon Gone", auth.RoleMember, "gone password 123")
		goneBrowser := logIn(t, e, gone.Email, "gone password 123")

		r := owner.Get("/app/team/members/" + gone.ID.String() + "/remove")
		requireStatus(t, http.StatusOK, r)
		require.Contains(t, r.TestID(t, "page-title"), "Remove Soon Gone")
		form := r.Doc(t).Find(`[data-testid="remove-form"]`)
		require.Equal(t, "post", form.AttrOr("method", ""))
		require.Equal(t, "/app/team/members/"+gone.ID.String()+"/remove", form.AttrOr("action", ""))
		require.Equal(t, "/app/team", r.Doc(t).Find(`[data-testid="confirm-cancel"]`).AttrOr("href", ""))
		require.True(t, loggedIn(t, goneBrowser), "a GET changes nothing")

		requireRedirect(t, "/app/team", owner.Post("/app/team/members/"+gone.ID.String()+"/remove", nil))
		require.Zero(t, owner.Get("/app/team").Doc(t).Find(`[data-testid="member-row"][data-email="gone@example.com"]`).Length())
		require.False(t, loggedIn(t, goneBrowser), "a removed member's logins end")
		requireStatus(t, http.StatusNotFound, owner.Get("/app/team/members/"+gone.ID.String()+"/remove"))
	})

	t.Run("Leave", func(t *testing.T) {
		leaver := addMember(t, e, w.owner, "leaver@example.com", "Leaves Soon", auth.RoleMember, "leaver password 1")
		b := logIn(t, e, leaver.Email, "leaver password 1")
		r := b.Get("/app/team/members/" + leaver.ID.String() + "/remove")
		requireStatus(t, http.StatusOK, r)
		require.Equal(t, "Leave Acme Corp?", r.TestID(t, "page-title"))
		requireRedirect(t, "/login", b.Post("/app/team/members/"+leaver.ID.String()+"/remove", nil))
		require.False(t, loggedIn(t, b))
		_, err := e.Services.Users.Member(t.Context(), w.owner.TenantID, leaver.ID)
		require.ErrorIs(t, err, auth.ErrNotFound)

		// The last owner may not leave.
		requireStatus(t, http.StatusConflict, owner.Post("/app/team/members/"+w.owner.ID.String()+"/remove", nil))
		require.True(t, loggedIn(t, owner))
	})

	t.Run("MalformedID", func(t *testing.T) {
		requireStatus(t, http.StatusNotFound, owner.Get("/app/team/members/not-a-uuid/remove"))
		requireStatus(t, http.StatusNotFound, owner.Post("/app/team/members/not-a-uuid/role", url.Values{"role": {"admin"}}))
	})
}
