package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/validate"
)

// Team is a tenant's members and open invitations.
type Team struct {
	Members     []User
	Invitations []Invitation
}

// Invitation is an invitation to join a tenant. Its token is known only to the link.
type Invitation struct {
	ID             uuid.UUID
	TenantID       uuid.UUID
	Email          string
	Role           string
	InvitedBy      *uuid.UUID
	InvitedByEmail string // set in Team's listing
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// invitationOf is the one conversion of an invitations row.
func invitationOf(r store.Invitation) Invitation {
	return Invitation{ID: r.ID, TenantID: r.TenantID, Email: r.Email, Role: r.Role, InvitedBy: r.InvitedBy,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

// Team lists the tenant's members and open invitations.
func (s *Service) Team(ctx context.Context, tenantID uuid.UUID) (Team, error) {
	q := store.New(s.db)
	members, err := q.UserListByTenant(ctx, tenantID)
	if err != nil {
		return Team{}, fmt.Errorf("list members: %w", err)
	}
	inv, err := q.InvitationListOpen(ctx, tenantID)
	if err != nil {
		return Team{}, fmt.Errorf("list invitations: %w", err)
	}
	t := Team{Members: make([]User, len(members)), Invitations: make([]Invitation, len(inv))}
	for i, m := range members {
		t.Members[i] = userOf(m)
	}
	for i, r := range inv {
		t.Invitations[i] = invitationOf(store.Invitation{ID: r.ID, TenantID: r.TenantID, Email: r.Email, Role: r.Role,
			InvitedBy: r.InvitedBy, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt})
		t.Invitations[i].InvitedByEmail = r.InvitedByEmail
	}
	return t, nil
}

// Invited is a new invitation and its link. The link is shown to the inviter when no mail is
// configured; otherwise it is mailed.
type Invited struct {
	Invitation Invitation
	Link       string
	Mailed     bool
}

// Invite invites email to the actor's tenant with role (admin or member). An open invitation for
// the same address is replaced.
func (s *Service) Invite(ctx context.Context, actor CurrentUser, email, role string) (Invited, error) {
	if !actor.CanManageMembers() {
		return Invited{}, ErrForbidden
	}
	email = validate.NormalizeEmail(email)
	var c validate.Checker
	c.Email("email", email)
	c.Check(role == RoleAdmin || role == RoleMember, "role", "Choose admin or member.")
	if err := c.Err(); err != nil {
		return Invited{}, err
	}
	tok, hash := newToken()
	var out Invited
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		exists, err := q.UserEmailExists(ctx, email)
		if err != nil {
			return fmt.Errorf("check email: %w", err)
		}
		if exists {
			return validate.Field("email", "This address already has a Wagate account.")
		}
		if err := q.InvitationRevokeOpenForEmail(ctx, store.InvitationRevokeOpenForEmailParams{TenantID: actor.TenantID, Email: email}); err != nil {
			return fmt.Errorf("replace invitation: %w", err)
		}
		inv, err := q.InvitationInsert(ctx, store.InvitationInsertParams{ID: newID(), TenantID: actor.TenantID, Email: email,
			Role: role, TokenHash: hash, InvitedBy: &actor.ID, ExpiresAt: time.Now().Add(s.cfg.InviteTTL)})
		if err != nil {
			return fmt.Errorf("insert invitation: %w", err)
		}
		out = Invited{Invitation: invitationOf(inv), Link: s.cfg.BaseURL + "/invite/" + tok}
		return audit.Record(ctx, q, audit.Entry{TenantID: &actor.TenantID, Action: audit.MemberInvited, TargetType: "invitation",
			TargetID: inv.ID.String(), Details: map[string]any{"email": email, "role": role}})
	})
	if err != nil {
		return Invited{}, err
	}
	body := fmt.Sprintf("Hello,\n\n%s invited you to join %s on Wagate as %s. Accept within 7 days:\n\n%s\n",
		actor.Name, actor.TenantName, role, out.Link)
	if s.mail.Enabled() {
		if err := s.mail.Send(ctx, email, "You are invited to "+actor.TenantName+" on Wagate", body); err != nil {
			s.log.ErrorContext(ctx, "send invitation mail", "err", err)
		} else {
			out.Mailed = true
		}
	} else {
		_ = s.mail.Send(ctx, email, "You are invited to "+actor.TenantName+" on Wagate", body) // to the log
	}
	return out, nil
}

// InvitationInfo is what the invitee sees before accepting.
type InvitationInfo struct {
	Email      string
	Role       string
	TenantName string
}

// Invitation describes a live invitation link.
func (s *Service) Invitation(ctx context.Context, tok string) (InvitationInfo, error) {
	row, err := store.New(s.db).InvitationGetByToken(ctx, hashToken(tok))
	if store.IsNotFound(err) {
		return InvitationInfo{}, ErrInvalidLink
	} else if err != nil {
		return InvitationInfo{}, fmt.Errorf("get invitation: %w", err)
	}
	return InvitationInfo{Email: row.Invitation.Email, Role: row.Invitation.Role, TenantName: row.TenantName}, nil
}

// AcceptInvitation creates the invitee's account in the inviting tenant.
func (s *Service) AcceptInvitation(ctx context.Context, tok, name, password string) (User, error) {
	row, err := store.New(s.db).InvitationGetByToken(ctx, hashToken(tok))
	if store.IsNotFound(err) {
		return User{}, ErrInvalidLink
	} else if err != nil {
		return User{}, fmt.Errorf("get invitation: %w", err)
	}
	inv := row.Invitation
	if err := s.limitClient(ctx, "invite-accept", 20); err != nil {
		return User{}, err
	}
	var c validate.Checker
	c.Required("name", name, 100)
	CheckNewPassword(&c, "password", password, inv.Email)
	if err := c.Err(); err != nil {
		return User{}, err
	}
	hash, err := s.pw.Hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = store.WithTx(ctx, s.db, func(q *store.Queries) error {
		n, err := q.InvitationAccept(ctx, store.InvitationAcceptParams{TenantID: inv.TenantID, ID: inv.ID})
		if err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		if n == 0 {
			return ErrInvalidLink
		}
		row, err := q.UserInsert(ctx, store.UserInsertParams{ID: newID(), TenantID: inv.TenantID, Email: inv.Email,
			Name: strings.TrimSpace(name), Role: inv.Role, PasswordHash: hash})
		if store.IsUniqueViolation(err, "users_email_key") {
			return validate.Field("email", "This address already has a Wagate account.")
		} else if err != nil {
			return fmt.Errorf("insert member: %w", err)
		}
		u = userOf(row)
		return audit.RecordAs(ctx, q, actorUser(ctx, u), audit.Entry{TenantID: &inv.TenantID, Action: audit.MemberJoined,
			TargetType: "user", TargetID: u.ID.String(), Details: map[string]any{"role": inv.Role}})
	})
	return u, err
}

// RevokeInvitation cancels an open invitation.
func (s *Service) RevokeInvitation(ctx context.Context, actor CurrentUser, id uuid.UUID) error {
	if !actor.CanManageMembers() {
		return ErrForbidden
	}
	return store.WithTx(ctx, s.db, func(q *store.Queries) error {
		n, err := q.InvitationRevoke(ctx, store.InvitationRevokeParams{TenantID: actor.TenantID, ID: id})
		if err != nil {
			return fmt.Errorf("revoke invitation: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return audit.Record(ctx, q, audit.Entry{TenantID: &actor.TenantID, Action: audit.MemberInviteRevoked, TargetType: "invitation", TargetID: id.String()})
	})
}

// ChangeRole changes a member's role. Owners may change anyone's; admins may move members and admins
// between those two roles. The tenant always keeps one owner.
func (s *Service) ChangeRole(ctx context.Context, actor CurrentUser, userID uuid.UUID, role string) error {
	if !actor.CanManageMembers() {
		return ErrForbidden
	}
	valid := role == RoleOwner || role == RoleAdmin || role == RoleMember
	if !valid {
		return validate.Field("role", "Choose owner, admin or member.")
	}
	return store.WithTx(ctx, s.db, func(q *store.Queries) error {
		target, owners, err := lockTeam(ctx, q, actor.TenantID, userID)
		if err != nil {
			return err
		}
		if actor.Role != RoleOwner && (target.Role == RoleOwner || role == RoleOwner) {
			return ErrForbidden
		}
		if target.Role == RoleOwner && role != RoleOwner && owners <= 1 {
			return ErrLastOwner
		}
		if target.Role == role {
			return nil
		}
		if _, err := q.UserSetRole(ctx, store.UserSetRoleParams{TenantID: actor.TenantID, ID: userID, Role: role}); err != nil {
			return fmt.Errorf("set role: %w", err)
		}
		return audit.Record(ctx, q, audit.Entry{TenantID: &actor.TenantID, Action: audit.MemberRoleChanged, TargetType: "user",
			TargetID: userID.String(), Details: map[string]any{"email": target.Email, "from": target.Role, "to": role}})
	})
}

// RemoveMember removes a member (their logins end with them). Admins may remove members and admins;
// owners anyone but the last owner. Anyone may leave, except the last owner.
func (s *Service) RemoveMember(ctx context.Context, actor CurrentUser, userID uuid.UUID) error {
	self := userID == actor.ID
	if !self && !actor.CanManageMembers() {
		return ErrForbidden
	}
	return store.WithTx(ctx, s.db, func(q *store.Queries) error {
		target, owners, err := lockTeam(ctx, q, actor.TenantID, userID)
		if err != nil {
			return err
		}
		if !self && actor.Role != RoleOwner && target.Role == RoleOwner {
			return ErrForbidden
		}
		if target.Role == RoleOwner && owners <= 1 {
			return ErrLastOwner
		}
		if _, err := q.UserDelete(ctx, store.UserDeleteParams{TenantID: actor.TenantID, ID: userID}); err != nil {
			return fmt.Errorf("delete member: %w", err)
		}
		return audit.Record(ctx, q, audit.Entry{TenantID: &actor.TenantID, Action: audit.MemberRemoved, TargetType: "user",
			TargetID: userID.String(), Details: map[string]any{"email": target.Email, "role": target.Role}})
	})
}

// lockTeam locks the tenant's member rows (so two owners demoting each other at once cannot leave
// none) and returns the target and the number of owners.
func lockTeam(ctx context.Context, q *store.Queries, tenantID, userID uuid.UUID) (store.User, int, error) {
	rows, err := q.UserLockForUpdate(ctx, tenantID)
	if err != nil {
		return store.User{}, 0, fmt.Errorf("lock members: %w", err)
	}
	owners := 0
	for _, r := range rows {
		if r.Role == RoleOwner {
			owners++
		}
	}
	target, err := q.UserGet(ctx, store.UserGetParams{TenantID: tenantID, ID: userID})
	if store.IsNotFound(err) {
		return store.User{}, 0, ErrNotFound
	} else if err != nil {
		return store.User{}, 0, fmt.Errorf("get member: %w", err)
	}
	return target, owners, nil
}
