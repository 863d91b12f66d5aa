package auth

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"
)

// Logins are web logins (scs, stored in Postgres so every instance sees them). A login stores only
// ids and the password_changed_at it was made under: when the password changes, every login made
// before ends on its next request, on whatever instance.
type Logins struct {
	SM *scs.SessionManager
}

// Login cookie and lifetimes.
const (
	LoginCookie   = "wagate_login"
	loginLifetime = 30 * 24 * time.Hour
	loginIdle     = 7 * 24 * time.Hour
)

const (
	kUserID       = "uid"
	kUserPwAt     = "upw"
	kPendingUser  = "mfa_uid"
	kOperatorID   = "oid"
	kOperatorPwAt = "opw"
	kOperatorMFA  = "omfa"
	kPendingOp    = "mfa_oid"
	kCSRF         = "csrf"
	kTOTPSetup    = "totp_setup"
	kFlash        = "flash"
)

// NewLogins returns the login manager over st (scs's pgxstore in production). secure sets the
// cookie's Secure flag (BASE_URL is https).
func NewLogins(st scs.Store, secure bool) *Logins {
	sm := scs.New()
	sm.Store = st
	sm.Lifetime = loginLifetime
	sm.IdleTimeout = loginIdle
	sm.Cookie.Name = LoginCookie
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	return &Logins{SM: sm}
}

func stamp(t time.Time) int64 { return t.UnixMicro() }

// operatorKeys and userKeys are the two identities a browser's login may hold; logging in as one
// drops the other, so a portal action is never done (or audited) as an operator and vice versa.
var (
	operatorKeys = []string{kOperatorID, kOperatorPwAt, kOperatorMFA, kPendingOp}
	userKeys     = []string{kUserID, kUserPwAt, kPendingUser}
)

// renew gives the login a new token and a new CSRF token (a token planted before login is useless
// after it), and drops the keys of drop.
func (l *Logins) renew(ctx context.Context, drop ...string) error {
	if err := l.SM.RenewToken(ctx); err != nil {
		return err
	}
	l.SM.Remove(ctx, kCSRF)
	for _, k := range drop {
		l.SM.Remove(ctx, k)
	}
	return nil
}

// LoginUser makes the browser's login the user's, with a new token (no fixation).
func (l *Logins) LoginUser(ctx context.Context, userID uuid.UUID, pwChangedAt time.Time) error {
	if err := l.renew(ctx, slices.Concat(operatorKeys, []string{kPendingUser})...); err != nil {
		return err
	}
	l.SM.Put(ctx, kUserID, userID.String())
	l.SM.Put(ctx, kUserPwAt, stamp(pwChangedAt))
	return nil
}

// SetPending records a user who passed the password but still owes a two-factor code.
func (l *Logins) SetPending(ctx context.Context, userID uuid.UUID) error {
	if err := l.renew(ctx, operatorKeys...); err != nil {
		return err
	}
	l.SM.Put(ctx, kPendingUser, userID.String())
	return nil
}

// Pending returns the user owing a two-factor code, if any.
func (l *Logins) Pending(ctx context.Context) (uuid.UUID, bool) {
	id, err := uuid.Parse(l.SM.GetString(ctx, kPendingUser))
	return id, err == nil
}

// UserID returns the logged-in user and the password time the login was made under.
func (l *Logins) UserID(ctx context.Context) (uuid.UUID, time.Time, bool) {
	id, err := uuid.Parse(l.SM.GetString(ctx, kUserID))
	if err != nil {
		return uuid.Nil, time.Time{}, false
	}
	return id, time.UnixMicro(l.SM.GetInt64(ctx, kUserPwAt)), true
}

// StillValid reports whether a login made under pwAt survives a password last changed at changedAt.
func StillValid(pwAt, changedAt time.Time) bool { return stamp(pwAt) == stamp(changedAt) }

// KeepAfterPasswordChange moves this login to the new password time, so changing one's password ends
// the other logins but not this one.
func (l *Logins) KeepAfterPasswordChange(ctx context.Context, changedAt time.Time) error {
	if err := l.SM.RenewToken(ctx); err != nil {
		return err
	}
	l.SM.Put(ctx, kUserPwAt, stamp(changedAt))
	return nil
}

// Logout ends the browser's login (user and operator alike) with a new token.
func (l *Logins) Logout(ctx context.Context) error {
	return l.renew(ctx, slices.Concat(operatorKeys, userKeys, []string{kTOTPSetup})...)
}

// LoginOperator records an operator who passed the password. mfaDone is true once the second factor
// is checked; until then the console lets them only set up or enter it.
func (l *Logins) LoginOperator(ctx context.Context, id uuid.UUID, pwChangedAt time.Time, mfaDone bool) error {
	if err := l.renew(ctx, userKeys...); err != nil {
		return err
	}
	l.SM.Put(ctx, kOperatorID, id.String())
	l.SM.Put(ctx, kOperatorPwAt, stamp(pwChangedAt))
	l.SM.Put(ctx, kOperatorMFA, mfaDone)
	return nil
}

// OperatorID returns the logged-in operator, the password time of the login, and whether the second
// factor was checked.
func (l *Logins) OperatorID(ctx context.Context) (uuid.UUID, time.Time, bool, bool) {
	id, err := uuid.Parse(l.SM.GetString(ctx, kOperatorID))
	if err != nil {
		return uuid.Nil, time.Time{}, false, false
	}
	return id, time.UnixMicro(l.SM.GetInt64(ctx, kOperatorPwAt)), l.SM.GetBool(ctx, kOperatorMFA), true
}

// SetOperatorMFA marks the operator's second factor as checked, with a new token.
func (l *Logins) SetOperatorMFA(ctx context.Context) error {
	if err := l.renew(ctx); err != nil {
		return err
	}
	l.SM.Put(ctx, kOperatorMFA, true)
	return nil
}

// CSRFToken returns the login's CSRF token, creating it on first use.
func (l *Logins) CSRFToken(ctx context.Context, newToken func() string) string {
	if t := l.SM.GetString(ctx, kCSRF); t != "" {
		return t
	}
	t := newToken()
	l.SM.Put(ctx, kCSRF, t)
	return t
}

// ExistingCSRFToken returns the token without creating one.
func (l *Logins) ExistingCSRFToken(ctx context.Context) string { return l.SM.GetString(ctx, kCSRF) }

// SetTOTPSetup keeps a not yet confirmed authenticator secret server-side between two requests.
func (l *Logins) SetTOTPSetup(ctx context.Context, secret string) { l.SM.Put(ctx, kTOTPSetup, secret) }

// TOTPSetup returns the secret being set up, if any.
func (l *Logins) TOTPSetup(ctx context.Context) string { return l.SM.GetString(ctx, kTOTPSetup) }

// ClearTOTPSetup forgets the secret being set up.
func (l *Logins) ClearTOTPSetup(ctx context.Context) { l.SM.Remove(ctx, kTOTPSetup) }

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind string // success, error, warning, info
	Text string
}

// SetFlash stores a message for the next page.
func (l *Logins) SetFlash(ctx context.Context, f Flash) { l.SM.Put(ctx, kFlash, f.Kind+"|"+f.Text) }

// PopFlash returns and forgets the stored message.
func (l *Logins) PopFlash(ctx context.Context) (Flash, bool) {
	v := l.SM.PopString(ctx, kFlash)
	if v == "" {
		return Flash{}, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] == '|' {
			return Flash{Kind: v[:i], Text: v[i+1:]}, true
		}
	}
	return Flash{Kind: "info", Text: v}, true
}
