package portal

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/web/httpx"
	"github.com/wagate/wagate/views/layout"
	"github.com/wagate/wagate/views/paths"
	"github.com/wagate/wagate/views/portalui"
	"github.com/wagate/wagate/views/team"
)

func (h *handlers) showTeam(c *fiber.Ctx) error {
	return h.renderTeam(c, fiber.StatusOK, team.InviteForm{}, "")
}

// renderTeam renders the team page; with status 422 it carries the invitation form's errors or an
// error about an action on a member.
func (h *handlers) renderTeam(c *fiber.Ctx, status int, form team.InviteForm, errText string) error {
	ctx := c.UserContext()
	t, err := h.d.Users.Team(ctx, auth.TenantID(ctx))
	if err != nil {
		return err
	}
	p := teamPage(user(ctx), t, time.Now())
	p.CSRFToken, p.MailEnabled, p.Invite, p.Error = h.csrf(ctx), h.d.MailEnabled, form, errText
	return httpx.Render(c, status, team.Index(h.shell(c, "Team", layout.NavTeam), p))
}

func (h *handlers) inviteMember(c *fiber.Ctx) error {
	ctx := c.UserContext()
	form := team.InviteForm{Email: c.FormValue("email"), Role: c.FormValue("role")}
	res, err := h.d.Users.Invite(ctx, user(ctx), form.Email, form.Role)
	if errs, ok := fieldErrors(err); ok {
		form.Errors = errs
		return h.renderTeam(c, fiber.StatusUnprocessableEntity, form, "")
	} else if err != nil {
		return err
	}
	if res.Mailed {
		h.success(ctx, "Invitation sent to "+res.Invitation.Email+".")
		return httpx.Redirect(c, paths.Team+"#main") // the form's #invite would hide the message

	}
	inv := res.Invitation
	return httpx.Render(c, fiber.StatusOK, team.InviteLink(h.shell(c, "Invitation link", layout.NavTeam), team.LinkPage{
		Email: inv.Email, Role: inv.Role, Link: res.Link, Expires: inv.ExpiresAt, Now: time.Now(),
	}))
}

func (h *handlers) revokeInvitation(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := h.d.Users.RevokeInvitation(ctx, user(ctx), id); err != nil {
		return err
	}
	h.success(ctx, "Invitation revoked. Its link no longer works.")
	return httpx.Redirect(c, paths.Team)
}

func (h *handlers) changeRole(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	err = h.d.Users.ChangeRole(ctx, user(ctx), id, c.FormValue("role"))
	if errs, ok := fieldErrors(err); ok {
		return h.renderTeam(c, fiber.StatusUnprocessableEntity, team.InviteForm{}, errs.Get("role"))
	} else if err != nil {
		return err
	}
	h.success(ctx, "Role updated.")
	return httpx.Redirect(c, paths.Team)
}

func (h *handlers) confirmRemoveMember(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u := user(ctx)
	m, err := h.d.Users.Member(ctx, u.TenantID, id)
	if err != nil {
		return err
	}
	self := m.ID == u.ID
	if !self && !canRemove(u, m) {
		return auth.ErrForbidden
	}
	cf := portalui.Confirm{Action: paths.MemberRemove(m.ID), CancelURL: paths.Team, CSRFToken: h.csrf(ctx), TestID: "remove-form",
		Title: "Remove " + m.Name + " from " + u.TenantName + "?", Button: "Remove member",
		Text:   m.Email + " loses access at once and is logged out everywhere.",
		Detail: "API keys they created keep working until someone revokes them. To undo this, invite them again."}
	if self {
		cf.Title, cf.Button = "Leave "+u.TenantName+"?", "Leave workspace"
		cf.Text = "You lose access to this workspace at once and are logged out."
		cf.Detail = "To come back, an owner or admin has to invite you again."
	}
	return httpx.Render(c, fiber.StatusOK, team.ConfirmRemove(h.shell(c, cf.Title, layout.NavTeam), cf))
}

func (h *handlers) removeMember(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u := user(ctx)
	if err := h.d.Users.RemoveMember(ctx, u, id); err != nil {
		return err
	}
	if id == u.ID {
		if err := h.d.Logins.Logout(ctx); err != nil {
			return err
		}
		h.success(ctx, "You left "+u.TenantName+".")
		return httpx.Redirect(c, paths.Login)
	}
	h.success(ctx, "Member removed. They no longer have access.")
	return httpx.Redirect(c, paths.Team)
}

func (h *handlers) makeResetLink(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u := user(ctx)
	m, err := h.d.Users.Member(ctx, u.TenantID, id)
	if err != nil {
		return err
	}
	link, err := h.d.Users.CreateResetLink(ctx, u, m.ID)
	if err != nil {
		return err
	}
	return httpx.Render(c, fiber.StatusOK, team.ResetLink(h.shell(c, "Password reset link", layout.NavTeam), team.LinkPage{
		Name: m.Name, Email: m.Email, Role: m.Role, Link: link,
	}))
}

// teamPage maps the team to its page, with what actor may do to each member. The services decide
// again on every action; this only hides what would be refused.
func teamPage(actor auth.CurrentUser, t auth.Team, now time.Time) team.Page {
	owners := 0
	for _, m := range t.Members {
		if m.Role == auth.RoleOwner {
			owners++
		}
	}
	p := team.Page{CanManage: actor.CanManageMembers(), Now: now}
	for _, m := range t.Members {
		lastOwner := m.Role == auth.RoleOwner && owners <= 1
		row := team.Member{ID: m.ID, Name: m.Name, Email: m.Email, Role: m.Role, TwoFA: m.TOTPEnabledAt != nil,
			LastLogin: m.LastLoginAt, Joined: m.CreatedAt, Self: m.ID == actor.ID}
		if !lastOwner {
			row.RoleChoices = roleChoices(actor, m)
			row.CanRemove = row.Self || canRemove(actor, m)
		}
		row.CanResetLink = actor.Role == auth.RoleOwner && !row.Self && m.Role != auth.RoleOwner
		p.Members = append(p.Members, row)
	}
	for _, inv := range t.Invitations {
		p.Invitations = append(p.Invitations, team.Invitation{ID: inv.ID, Email: inv.Email, Role: inv.Role,
			InvitedBy: inv.InvitedByEmail, Created: inv.CreatedAt, Expires: inv.ExpiresAt})
	}
	return p
}

// roleChoices are the roles actor may give m: owners any, admins admin or member (and never to an
// owner), members none.
func roleChoices(actor auth.CurrentUser, m auth.User) []string {
	switch {
	case actor.Role == auth.RoleOwner:
		return auth.Roles
	case actor.Role == auth.RoleAdmin && m.Role != auth.RoleOwner:
		return []string{auth.RoleAdmin, auth.RoleMember}
	}
	return nil
}

// canRemove reports whether actor may remove another member m: owners anyone, admins anyone but owners.
func canRemove(actor auth.CurrentUser, m auth.User) bool {
	return actor.CanManageMembers() && (actor.Role == auth.RoleOwner || m.Role != auth.RoleOwner)
}
