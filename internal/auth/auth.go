// Package auth owns who may do what: tenant users and their logins, operators, passwords (argon2id),
// two-factor (TOTP), login throttling, invitations, password resets and API keys, plus the typed
// context accessors the web layer fills once per request. It must not import Fiber, web or worker;
// scs is used here and in web/login.go only.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/store"
)

// Roles of tenant members, most powerful first.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Roles lists the member roles in order.
var Roles = []string{RoleOwner, RoleAdmin, RoleMember}

// Errors callers tell apart. The web layer maps them to statuses in one place.
var (
	// ErrInvalidCredentials is the one answer for an unknown email and a wrong password alike.
	ErrInvalidCredentials = errors.New("incorrect email or password")
	ErrInvalidCode        = errors.New("that code is not valid; check your authenticator app and try again")
	ErrSignupClosed       = errors.New("sign-up is by invitation only")
	ErrNotFound           = errors.New("not found")
	ErrForbidden          = errors.New("your role does not allow this")
	ErrLastOwner          = errors.New("a team always keeps at least one owner")
	ErrInvalidLink        = errors.New("this link is invalid, used or expired")
	ErrTenantSuspended    = errors.New("this workspace is suspended")
	ErrTenantPending      = errors.New("this workspace is awaiting approval")
	ErrMailDisabled       = errors.New("email is not configured")
)

// Mailer sends mail. Without SMTP_URL it writes messages to the log and Enabled is false.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
	Enabled() bool
}

// Config tunes the auth services.
type Config struct {
	BaseURL        string // links in mail and invitations
	InviteTTL      time.Duration
	ResetTTL       time.Duration
	PasswordParams *PasswordParams
}

// PasswordParams are argon2id's cost parameters (OWASPParams in production).
type PasswordParams = argon2id.Params

// Service manages tenant users: sign-up, login, passwords, two-factor and members.
type Service struct {
	db       store.DB
	pw       *Passwords
	throttle *Throttle
	keys     *secret.Keys
	mail     Mailer
	log      *slog.Logger
	cfg      Config
}

// NewService wires the user service.
func NewService(db store.DB, pw *Passwords, throttle *Throttle, keys *secret.Keys, mail Mailer, log *slog.Logger, cfg Config) *Service {
	if cfg.InviteTTL == 0 {
		cfg.InviteTTL = 7 * 24 * time.Hour
	}
	if cfg.ResetTTL == 0 {
		cfg.ResetTTL = time.Hour
	}
	return &Service{db: db, pw: pw, throttle: throttle, keys: keys, mail: mail, log: log, cfg: cfg}
}

// newToken returns a random URL-safe token and its SHA-256, which is all the database keeps.
func newToken() (string, []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, hashToken(tok)
}

func hashToken(tok string) []byte {
	sum := sha256.Sum256([]byte(tok))
	return sum[:]
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Typed context accessors, filled by the web layer once per request.
type ctxKey int

const (
	tenantKey ctxKey = iota
	userKey
	operatorKey
	keyKey
)

// WithTenant returns ctx carrying the caller's tenant.
func WithTenant(ctx context.Context, id uuid.UUID) context.Context {
	return context.WithValue(ctx, tenantKey, id)
}

// TenantID returns the caller's tenant; uuid.Nil when there is none (a handler behind RequireTenant
// always has one).
func TenantID(ctx context.Context) uuid.UUID {
	id, _ := ctx.Value(tenantKey).(uuid.UUID)
	return id
}

// WithUser returns ctx carrying the logged-in user.
func WithUser(ctx context.Context, u CurrentUser) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFrom returns the logged-in user, if any.
func UserFrom(ctx context.Context) (CurrentUser, bool) {
	u, ok := ctx.Value(userKey).(CurrentUser)
	return u, ok
}

// WithOperator returns ctx carrying the logged-in operator.
func WithOperator(ctx context.Context, o Operator) context.Context {
	return context.WithValue(ctx, operatorKey, o)
}

// OperatorFrom returns the logged-in operator, if any.
func OperatorFrom(ctx context.Context) (Operator, bool) {
	o, ok := ctx.Value(operatorKey).(Operator)
	return o, ok
}

// WithKey returns ctx carrying the API key that authenticated the request.
func WithKey(ctx context.Context, k KeyPrincipal) context.Context {
	return context.WithValue(ctx, keyKey, k)
}

// Key returns the API key of the request, if any.
func Key(ctx context.Context) (KeyPrincipal, bool) {
	k, ok := ctx.Value(keyKey).(KeyPrincipal)
	return k, ok
}
