package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/validate"
)

// ScopeOperators is the throttle scope of operators' logins.
const ScopeOperators = "operator"

// Operators manages the platform's staff. Two-factor is required: an operator without it may only
// set it up.
type Operators struct {
	db       store.DB
	pw       *Passwords
	throttle *Throttle
	keys     *secret.Keys
	log      *slog.Logger
}

// Operator is one of the platform's staff. Its password hash and two-factor secret stay inside
// this package.
type Operator struct {
	ID                uuid.UUID
	Email             string
	Name              string
	TOTPEnabledAt     *time.Time // nil until two-factor is set up
	PasswordChangedAt time.Time  // logins made before it are void (StillValid)
	LastLoginAt       *time.Time
	CreatedAt         time.Time

	passwordHash string
	totpSecret   []byte // sealed (sealTOTP)
}

// operatorOf is the one conversion of an operators row.
func operatorOf(r store.Operator) Operator {
	return Operator{ID: r.ID, Email: r.Email, Name: r.Name, TOTPEnabledAt: r.TotpEnabledAt, PasswordChangedAt: r.PasswordChangedAt,
		LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt, passwordHash: r.PasswordHash, totpSecret: r.TotpSecret}
}

// NewOperators wires the operator service.
func NewOperators(db store.DB, pw *Passwords, throttle *Throttle, keys *secret.Keys, log *slog.Logger) *Operators {
	return &Operators{db: db, pw: pw, throttle: throttle, keys: keys, log: log}
}

// Create adds an operator (from `wagate admin create` or ADMIN_EMAIL at first start).
func (o *Operators) Create(ctx context.Context, email, name, password string) (Operator, error) {
	email = validate.NormalizeEmail(email)
	if strings.TrimSpace(name) == "" {
		name = strings.Split(email, "@")[0]
	}
	var c validate.Checker
	c.Email("email", email)
	c.Required("name", name, 100)
	CheckNewPassword(&c, "password", password, email)
	if err := c.Err(); err != nil {
		return Operator{}, err
	}
	hash, err := o.pw.Hash(ctx, password)
	if err != nil {
		return Operator{}, err
	}
	var out Operator
	err = store.WithTx(ctx, o.db, func(q *store.Queries) error {
		op, err := q.OperatorInsert(ctx, store.OperatorInsertParams{ID: newID(), Email: email, Name: strings.TrimSpace(name), PasswordHash: hash})
		if store.IsUniqueViolation(err, "operators_email_key") {
			return validate.Field("email", "An operator with this email exists already.")
		} else if err != nil {
			return fmt.Errorf("insert operator: %w", err)
		}
		out = operatorOf(op)
		return audit.Record(ctx, q, audit.Entry{Action: audit.OperatorCreated, TargetType: "operator", TargetID: op.ID.String(), Details: map[string]any{"email": email}})
	})
	return out, err
}

// Bootstrap creates the first operator from ADMIN_EMAIL/ADMIN_PASSWORD when there is none yet. It
// reports whether it created one. Concurrent starts may race; the unique email keeps one.
func (o *Operators) Bootstrap(ctx context.Context, email, password string) (bool, error) {
	if email == "" {
		return false, nil
	}
	n, err := store.New(o.db).OperatorCount(ctx)
	if err != nil {
		return false, fmt.Errorf("count operators: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	_, err = o.Create(ctx, email, "", password)
	if err != nil {
		// Instances started together race here; the one whose insert lost finds the winner's row.
		if _, gerr := store.New(o.db).OperatorGetByEmail(ctx, validate.NormalizeEmail(email)); gerr == nil {
			return false, nil
		}
		return false, fmt.Errorf("create first operator: %w", err)
	}
	return true, nil
}

func actorOperator(ctx context.Context, op Operator) audit.Actor {
	a := audit.ActorFrom(ctx)
	a.Type, a.ID, a.Email = audit.ActorOperator, &op.ID, op.Email
	return a
}

// Authenticate checks an operator's email and password, throttled like tenant users.
func (o *Operators) Authenticate(ctx context.Context, email, password string) (Operator, error) {
	email = validate.NormalizeEmail(email)
	ip := audit.ActorFrom(ctx).IP
	if err := o.throttle.Check(ctx, ScopeOperators, email, ip); err != nil {
		return Operator{}, err
	}
	row, err := store.New(o.db).OperatorGetByEmail(ctx, email)
	if err != nil && !store.IsNotFound(err) {
		return Operator{}, fmt.Errorf("look up operator: %w", err)
	}
	op := operatorOf(row)
	ok, verr := o.pw.Verify(ctx, password, op.passwordHash)
	if verr != nil {
		return Operator{}, verr
	}
	if !ok {
		_ = o.throttle.Fail(ctx, ScopeOperators, email, ip)
		a := audit.ActorFrom(ctx)
		a.Type, a.Email = audit.ActorAnonymous, email
		if op.ID != uuid.Nil {
			a.Type, a.ID = audit.ActorOperator, &op.ID
		}
		if err := audit.RecordAs(ctx, store.New(o.db), a, audit.Entry{Action: audit.OperatorLoginFailed}); err != nil {
			o.log.ErrorContext(ctx, "audit failed operator login", "err", err)
		}
		return Operator{}, ErrInvalidCredentials
	}
	_ = o.throttle.Succeed(ctx, ScopeOperators, email)
	return op, nil
}

// Get loads an operator.
func (o *Operators) Get(ctx context.Context, id uuid.UUID) (Operator, error) {
	row, err := store.New(o.db).OperatorGet(ctx, id)
	if store.IsNotFound(err) {
		return Operator{}, ErrNotFound
	} else if err != nil {
		return Operator{}, fmt.Errorf("get operator: %w", err)
	}
	return operatorOf(row), nil
}

// VerifyTOTP checks an operator's second factor.
func (o *Operators) VerifyTOTP(ctx context.Context, op Operator, code string) error {
	if op.TOTPEnabledAt == nil {
		return ErrInvalidCode
	}
	err := o.throttle.checkTOTP(ctx, o.keys, "operators", op.ID, op.totpSecret, code)
	if errors.Is(err, ErrInvalidCode) {
		if aerr := audit.RecordAs(ctx, store.New(o.db), actorOperator(ctx, op), audit.Entry{Action: audit.Operator2FAFailed}); aerr != nil {
			o.log.ErrorContext(ctx, "audit failed two-factor code", "err", aerr)
		}
	}
	return err
}

// EnableTOTP turns two-factor on once code proves the authenticator holds setupSecret.
func (o *Operators) EnableTOTP(ctx context.Context, op Operator, setupSecret, code string) error {
	if !validCode(code, setupSecret) {
		return validate.Field("code", "That code does not match. Check the time on your phone and try the current code.")
	}
	sealed, err := sealTOTP(o.keys, "operators", op.ID, setupSecret)
	if err != nil {
		return err
	}
	return store.WithTx(ctx, o.db, func(q *store.Queries) error {
		if err := q.OperatorSetTOTP(ctx, store.OperatorSetTOTPParams{ID: op.ID, TotpSecret: sealed}); err != nil {
			return fmt.Errorf("enable totp: %w", err)
		}
		return audit.RecordAs(ctx, q, actorOperator(ctx, op), audit.Entry{Action: audit.Operator2FAEnabled, TargetType: "operator", TargetID: op.ID.String()})
	})
}

// RecordLogin notes a completed operator login.
func (o *Operators) RecordLogin(ctx context.Context, op Operator) error {
	return store.WithTx(ctx, o.db, func(q *store.Queries) error {
		if err := q.OperatorSetLastLogin(ctx, op.ID); err != nil {
			return fmt.Errorf("set last login: %w", err)
		}
		return audit.RecordAs(ctx, q, actorOperator(ctx, op), audit.Entry{Action: audit.OperatorLogin})
	})
}

// RecordLogout notes an operator's logout.
func (o *Operators) RecordLogout(ctx context.Context, op Operator) error {
	return audit.RecordAs(ctx, store.New(o.db), actorOperator(ctx, op), audit.Entry{Action: audit.OperatorLogout})
}
