package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
)

// ScopeUsers is the throttle scope of tenant users' logins.
const ScopeUsers = "user"

// User is a tenant's user account. Its password hash and two-factor secret stay inside this
// package: the services that need them take the User back.
type User struct {
	ID                uuid.UUID
	TenantID          uuid.UUID
	Email             string
	Name              string
	Role              string
	TOTPEnabledAt     *time.Time // nil while two-factor is off
	PasswordChangedAt time.Time  // logins made before it are void (StillValid)
	LastLoginAt       *time.Time
	CreatedAt         time.Time

	passwordHash string
	totpSecret   []byte // sealed (sealTOTP)
}

// userOf is the one conversion of a users row.
func userOf(r store.User) User {
	return User{ID: r.ID, TenantID: r.TenantID, Email: r.Email, Name: r.Name, Role: r.Role, TOTPEnabledAt: r.TotpEnabledAt,
		PasswordChangedAt: r.PasswordChangedAt, LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt,
		passwordHash: r.PasswordHash, totpSecret: r.TotpSecret}
}

// CurrentUser is a logged-in user with what every page needs of their tenant.
type CurrentUser struct {
	User
	TenantStatus    string
	TenantName      string
	SuspendedReason string
}

// CanManageMembers reports whether the user may invite, change and remove members.
func (u CurrentUser) CanManageMembers() bool { return u.Role == RoleOwner || u.Role == RoleAdmin }

// SignupInput is the sign-up form.
type SignupInput struct {
	Company  string
	Name     string
	Email    string
	Password string
}

// Signup creates a tenant and its owner. In approval mode the tenant starts pending; in invite mode
// nobody may sign up.
func (s *Service) Signup(ctx context.Context, in SignupInput) (User, tenant.Tenant, error) {
	in.Email = validate.NormalizeEmail(in.Email)
	var c validate.Checker
	c.Required("company", in.Company, 100)
	c.Required("name", in.Name, 100)
	c.Email("email", in.Email)
	CheckNewPassword(&c, "password", in.Password, in.Email)
	if err := c.Err(); err != nil {
		return User{}, tenant.Tenant{}, err
	}
	// Each sign-up costs an argon2id hash and creates a tenant: a few an hour per address is plenty.
	if err := s.limitClient(ctx, "signup", 10); err != nil {
		return User{}, tenant.Tenant{}, err
	}
	mode, err := tenant.NewService(s.db).SignupMode(ctx)
	if err != nil {
		return User{}, tenant.Tenant{}, err
	}
	if mode == tenant.SignupInvite {
		return User{}, tenant.Tenant{}, ErrSignupClosed
	}
	hash, err := s.pw.Hash(ctx, in.Password)
	if err != nil {
		return User{}, tenant.Tenant{}, err
	}
	status := tenant.StatusActive
	if mode == tenant.SignupApproval {
		status = tenant.StatusPending
	}
	var u User
	var t tenant.Tenant
	err = store.WithTx(ctx, s.db, func(q *store.Queries) error {
		if t, err = tenant.Create(ctx, q, tenant.CreateInput{Name: in.Company, Status: status}); err != nil {
			return err
		}
		row, err := q.UserInsert(ctx, store.UserInsertParams{ID: newID(), TenantID: t.ID, Email: in.Email,
			Name: strings.TrimSpace(in.Name), Role: RoleOwner, PasswordHash: hash})
		if store.IsUniqueViolation(err, "users_email_key") {
			return validate.Field("email", "An account with this email exists already. Log in instead.")
		} else if err != nil {
			return fmt.Errorf("insert owner: %w", err)
		}
		u = userOf(row)
		return audit.RecordAs(ctx, q, actorUser(ctx, u), audit.Entry{TenantID: &t.ID, Action: audit.TenantSignedUp,
			TargetType: "tenant", TargetID: t.ID.String(), Details: map[string]any{"status": status}})
	})
	return u, t, err
}

// actorUser is the request's actor (address, agent) as user u.
func actorUser(ctx context.Context, u User) audit.Actor {
	a := audit.ActorFrom(ctx)
	a.Type, a.ID, a.Email = audit.ActorUser, &u.ID, u.Email
	return a
}

// Authenticate checks an email and password, throttled per account and per address across all
// instances. Unknown emails and wrong passwords get the same error after the same work. A user
// with two-factor on is not logged in yet: the caller asks for the code next (VerifyTOTP).
func (s *Service) Authenticate(ctx context.Context, email, password string) (User, error) {
	email = validate.NormalizeEmail(email)
	ip := audit.ActorFrom(ctx).IP
	acct := s.throttleAccount(ctx, email)
	if err := s.throttle.Check(ctx, ScopeUsers, acct, ip); err != nil {
		return User{}, err
	}
	row, err := store.New(s.db).UserGetByEmailForLogin(ctx, email)
	if err != nil && !store.IsNotFound(err) {
		return User{}, fmt.Errorf("look up user: %w", err)
	}
	ok, verr := s.pw.Verify(ctx, password, row.User.PasswordHash) // empty hash: dummy work, false
	if verr != nil {
		return User{}, verr
	}
	if !ok {
		if err := s.throttle.Fail(ctx, ScopeUsers, acct, ip); err != nil {
			s.log.ErrorContext(ctx, "count failed login", "err", err)
		}
		var tenantID *uuid.UUID
		if row.User.ID != uuid.Nil {
			tenantID = &row.User.TenantID
		}
		a := audit.ActorFrom(ctx)
		a.Type, a.Email = audit.ActorAnonymous, email
		if row.User.ID != uuid.Nil {
			a.Type, a.ID = audit.ActorUser, &row.User.ID
		}
		if err := audit.RecordAs(ctx, store.New(s.db), a, audit.Entry{TenantID: tenantID, Action: audit.UserLoginFailed}); err != nil {
			s.log.ErrorContext(ctx, "audit failed login", "err", err)
		}
		return User{}, ErrInvalidCredentials
	}
	if err := s.throttle.Succeed(ctx, ScopeUsers, acct); err != nil {
		s.log.ErrorContext(ctx, "reset login throttle", "err", err)
	}
	return userOf(row.User), nil
}

// RecordLogin notes a completed login (after two-factor, when on).
func (s *Service) RecordLogin(ctx context.Context, u User) error {
	return store.WithTx(ctx, s.db, func(q *store.Queries) error {
		if err := q.UserSetLastLogin(ctx, store.UserSetLastLoginParams{TenantID: u.TenantID, ID: u.ID}); err != nil {
			return fmt.Errorf("set last login: %w", err)
		}
		return audit.RecordAs(ctx, q, actorUser(ctx, u), audit.Entry{TenantID: &u.TenantID, Action: audit.UserLogin})
	})
}

// RecordLogout notes a logout.
func (s *Service) RecordLogout(ctx context.Context, u User) error {
	return audit.RecordAs(ctx, store.New(s.db), actorUser(ctx, u), audit.Entry{TenantID: &u.TenantID, Action: audit.UserLogout})
}

// Current loads the user a login cookie names, with their tenant's state. ErrNotFound when the user
// was removed.
func (s *Service) Current(ctx context.Context, userID uuid.UUID) (CurrentUser, error) {
	row, err := store.New(s.db).UserGetForLogin(ctx, userID)
	if store.IsNotFound(err) {
		return CurrentUser{}, ErrNotFound
	} else if err != nil {
		return CurrentUser{}, fmt.Errorf("load user: %w", err)
	}
	return CurrentUser{User: userOf(row.User), TenantStatus: row.TenantStatus, TenantName: row.TenantName, SuspendedReason: row.SuspendedReason}, nil
}

// ChangePassword sets a new password after checking the current one, and returns the new
// password_changed_at: logins made before it end (the caller keeps its own by storing the new time).
func (s *Service) ChangePassword(ctx context.Context, u User, current, next string) (time.Time, error) {
	var c validate.Checker
	ok, err := s.recheckPassword(ctx, u, current)
	if err != nil {
		return time.Time{}, err
	}
	c.Check(ok, "current_password", "This is not your current password.")
	CheckNewPassword(&c, "new_password", next, u.Email)
	if err := c.Err(); err != nil {
		return time.Time{}, err
	}
	return s.setPassword(ctx, u, next, audit.UserPasswordChanged, nil)
}

func (s *Service) setPassword(ctx context.Context, u User, pw, action string, resetID *uuid.UUID) (time.Time, error) {
	hash, err := s.pw.Hash(ctx, pw)
	if err != nil {
		return time.Time{}, err
	}
	var changed time.Time
	// One transaction: the link is used up only if the password really changes, and every other open
	// link of the account dies with the old password.
	err = store.WithTx(ctx, s.db, func(q *store.Queries) error {
		if resetID != nil {
			n, err := q.PasswordResetUse(ctx, *resetID)
			if err != nil {
				return fmt.Errorf("use reset: %w", err)
			}
			if n == 0 {
				return ErrInvalidLink // used by a concurrent request
			}
		}
		if err := q.UserSetPassword(ctx, store.UserSetPasswordParams{TenantID: u.TenantID, ID: u.ID, PasswordHash: hash}); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := q.PasswordResetUseAllForUser(ctx, store.PasswordResetUseAllForUserParams{TenantID: &u.TenantID, UserID: &u.ID}); err != nil {
			return fmt.Errorf("end reset links: %w", err)
		}
		nu, err := q.UserGet(ctx, store.UserGetParams{TenantID: u.TenantID, ID: u.ID})
		if err != nil {
			return fmt.Errorf("reload user: %w", err)
		}
		changed = nu.PasswordChangedAt
		return audit.RecordAs(ctx, q, actorUser(ctx, u), audit.Entry{TenantID: &u.TenantID, Action: action, TargetType: "user", TargetID: u.ID.String()})
	})
	return changed, err
}

// RequestPasswordReset mails a reset link when the address belongs to a user and mail is configured.
// It answers the same whether or not the address exists, and never returns the link.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	email = validate.NormalizeEmail(email)
	var c validate.Checker
	c.Email("email", email)
	if err := c.Err(); err != nil {
		return err
	}
	if !s.mail.Enabled() {
		return ErrMailDisabled
	}
	// Nobody gets a mailbox flooded: a few mails per address asked for, and per asker, an hour.
	if err := s.limitClient(ctx, "reset", 10); err != nil {
		return err
	}
	if err := s.throttle.Limit(ctx, "reset-email:"+email, 3, time.Hour); err != nil {
		return nil // answered as if sent: the asker must not learn the address is being protected
	}
	row, err := store.New(s.db).UserGetByEmailForLogin(ctx, email)
	if store.IsNotFound(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("look up user: %w", err)
	}
	link, err := s.newUserResetLink(ctx, store.New(s.db), userOf(row.User))
	if err != nil {
		return err
	}
	body := fmt.Sprintf("Hello %s,\n\nSomeone asked to reset the password of your Wagate account. If it was you, "+
		"choose a new password here within the hour:\n\n%s\n\nIf it was not, ignore this mail; your password stays as it is.\n", row.User.Name, link)
	if err := s.mail.Send(ctx, email, "Reset your Wagate password", body); err != nil {
		return fmt.Errorf("send reset mail: %w", err)
	}
	return nil
}

func (s *Service) newUserResetLink(ctx context.Context, q *store.Queries, u User) (string, error) {
	tok, hash := newToken()
	_, err := q.PasswordResetInsertForUser(ctx, store.PasswordResetInsertForUserParams{
		ID: newID(), TenantID: &u.TenantID, UserID: &u.ID, TokenHash: hash, ExpiresAt: time.Now().Add(s.cfg.ResetTTL),
	})
	if err != nil {
		return "", fmt.Errorf("insert reset: %w", err)
	}
	return s.cfg.BaseURL + "/reset/" + tok, nil
}

// CreateResetLink lets a tenant's owner make a one-time reset link for a member who forgot their
// password (the way back when no mail is configured). Owners' own resets go through an operator.
func (s *Service) CreateResetLink(ctx context.Context, actor CurrentUser, userID uuid.UUID) (string, error) {
	if actor.Role != RoleOwner {
		return "", ErrForbidden
	}
	target, err := store.New(s.db).UserGet(ctx, store.UserGetParams{TenantID: actor.TenantID, ID: userID})
	if store.IsNotFound(err) {
		return "", ErrNotFound
	} else if err != nil {
		return "", fmt.Errorf("get user: %w", err)
	}
	if target.Role == RoleOwner && target.ID != actor.ID {
		return "", ErrForbidden
	}
	return s.resetLinkAudited(ctx, userOf(target))
}

// CreateResetLinkByOperator makes a reset link for any user (operators help owners locked out).
func (s *Service) CreateResetLinkByOperator(ctx context.Context, tenantID, userID uuid.UUID) (string, error) {
	target, err := store.New(s.db).UserGet(ctx, store.UserGetParams{TenantID: tenantID, ID: userID})
	if store.IsNotFound(err) {
		return "", ErrNotFound
	} else if err != nil {
		return "", fmt.Errorf("get user: %w", err)
	}
	return s.resetLinkAudited(ctx, userOf(target))
}

// resetLinkAudited makes a reset link for target and records who made it, together.
func (s *Service) resetLinkAudited(ctx context.Context, target User) (string, error) {
	var link string
	err := store.WithTx(ctx, s.db, func(q *store.Queries) error {
		var err error
		if link, err = s.newUserResetLink(ctx, q, target); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Entry{TenantID: &target.TenantID, Action: audit.UserResetLinkMade, TargetType: "user",
			TargetID: target.ID.String(), Details: map[string]any{"email": target.Email}})
	})
	return link, err
}

// ResetTarget says whose password a reset link resets, for the form.
type ResetTarget struct {
	Email    string
	Operator bool
}

// CheckResetLink tells whether tok is a live reset link, and for whom.
func (s *Service) CheckResetLink(ctx context.Context, tok string) (ResetTarget, error) {
	r, err := store.New(s.db).PasswordResetGetByToken(ctx, hashToken(tok))
	if store.IsNotFound(err) {
		return ResetTarget{}, ErrInvalidLink
	} else if err != nil {
		return ResetTarget{}, fmt.Errorf("get reset: %w", err)
	}
	if r.OperatorID != nil {
		o, err := store.New(s.db).OperatorGet(ctx, *r.OperatorID)
		if err != nil {
			return ResetTarget{}, ErrInvalidLink
		}
		return ResetTarget{Email: o.Email, Operator: true}, nil
	}
	u, err := store.New(s.db).UserGet(ctx, store.UserGetParams{TenantID: *r.TenantID, ID: *r.UserID})
	if err != nil {
		return ResetTarget{}, ErrInvalidLink
	}
	return ResetTarget{Email: u.Email}, nil
}

// ResetPassword sets a new password through a one-time link, ending every login of that account.
func (s *Service) ResetPassword(ctx context.Context, tok, pw string) error {
	q := store.New(s.db)
	r, err := q.PasswordResetGetByToken(ctx, hashToken(tok))
	if store.IsNotFound(err) {
		return ErrInvalidLink
	} else if err != nil {
		return fmt.Errorf("get reset: %w", err)
	}
	if r.OperatorID != nil {
		return ErrInvalidLink // operators reset in the console's own flow
	}
	u, err := q.UserGet(ctx, store.UserGetParams{TenantID: *r.TenantID, ID: *r.UserID})
	if err != nil {
		return ErrInvalidLink
	}
	var c validate.Checker
	CheckNewPassword(&c, "password", pw, u.Email)
	if err := c.Err(); err != nil {
		return err
	}
	_, err = s.setPassword(ctx, userOf(u), pw, audit.UserPasswordReset, &r.ID)
	if err == nil {
		_ = s.throttle.Succeed(ctx, ScopeUsers, u.Email)
	}
	return err
}

// scopeRecheck throttles the password checks of logged-in users (changing the password, turning
// two-factor off), so a stolen login cannot be used to guess the password at full speed.
const scopeRecheck = "recheck"

// recheckPassword verifies a logged-in user's password, throttled per user and address.
func (s *Service) recheckPassword(ctx context.Context, u User, password string) (bool, error) {
	ip := audit.ActorFrom(ctx).IP
	if err := s.throttle.Check(ctx, scopeRecheck, u.ID.String(), ip); err != nil {
		return false, err
	}
	ok, err := s.pw.Verify(ctx, password, u.passwordHash)
	if err != nil {
		return false, err
	}
	if !ok {
		if err := s.throttle.Fail(ctx, scopeRecheck, u.ID.String(), ip); err != nil {
			s.log.ErrorContext(ctx, "count failed password check", "err", err)
		}
	}
	return ok, nil
}

// limitClient allows n of what per hour from the requesting client's address. Calls made by the
// system itself (no client address: tests, the console's own tooling) are not limited.
func (s *Service) limitClient(ctx context.Context, what string, n int) error {
	ip := audit.ActorFrom(ctx).IP
	if ip == "" {
		return nil
	}
	return s.throttle.Limit(ctx, what+":"+ip, n, time.Hour)
}
