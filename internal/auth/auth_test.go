package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp/totp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/auth"
	"github.com/wagate/wagate/internal/dbtest"
	"github.com/wagate/wagate/internal/mail"
	"github.com/wagate/wagate/internal/secret"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/tenant"
	"github.com/wagate/wagate/internal/validate"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type testBundle struct {
	pool    *pgxpool.Pool
	rdb     *redis.Client
	users   *auth.Service
	ops     *auth.Operators
	keys    *auth.APIKeys
	tenants *tenant.Service
}

func setup(t *testing.T) (context.Context, *testBundle) {
	t.Helper()
	pool := dbtest.Pool(t)
	opt, err := redis.ParseURL(dbtest.RedisURL(t))
	require.NoError(t, err)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := mail.New("", log)
	require.NoError(t, err)
	pw := auth.NewPasswords(auth.FastParams, 0)
	th := auth.NewThrottle(rdb)
	keys := secret.New([]byte("auth-test-secret-0123456789abcdef-0123456789"))
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAnonymous, IP: "192.0.2.10"})
	return ctx, &testBundle{
		pool: pool, rdb: rdb,
		users:   auth.NewService(pool, pw, th, keys, m, log, auth.Config{BaseURL: "http://wagate.test"}),
		ops:     auth.NewOperators(pool, pw, th, keys, log),
		keys:    auth.NewAPIKeys(pool, log),
		tenants: tenant.NewService(pool),
	}
}

func signup(t *testing.T, ctx context.Context, b *testBundle, email string) auth.CurrentUser {
	t.Helper()
	u, _, err := b.users.Signup(ctx, auth.SignupInput{Company: "Acme " + email, Name: "Ann", Email: email, Password: "correct horse battery"})
	require.NoError(t, err)
	cu, err := b.users.Current(ctx, u.ID)
	require.NoError(t, err)
	return cu
}

func TestService_Signup(t *testing.T) {
	t.Parallel()

	t.Run("CreatesActiveTenantOnDefaultPlan", func(t *testing.T) {
		t.Parallel()
		ctx, b := setup(t)
		u := signup(t, ctx, b, "Ann@Example.com")
		require.Equal(t, "ann@example.com", u.Email, "emails are stored normalised")
		require.Equal(t, auth.RoleOwner, u.Role)
		tn, err := b.tenants.Get(ctx, u.TenantID)
		require.NoError(t, err)
		require.Equal(t, tenant.StatusActive, tn.Status)
		require.True(t, tn.Plan.IsDefault)
		page, err := audit.ListForTenant(ctx, b.pool, u.TenantID, audit.Filter{})
		require.NoError(t, err)
		require.Equal(t, audit.TenantSignedUp, page.Entries[0].Action)
	})

	t.Run("InvalidInputChangesNothing", func(t *testing.T) {
		t.Parallel()
		ctx, b := setup(t)
		_, _, err := b.users.Signup(ctx, auth.SignupInput{Company: "", Name: "A", Email: "not-an-email", Password: "short"})
		var ve *validate.Errors
		require.ErrorAs(t, err, &ve)
		require.Contains(t, ve.Fields, "company")
		require.Contains(t, ve.Fields, "email")
		require.Contains(t, ve.Fields, "password")
		var n int
		require.NoError(t, b.pool.QueryRow(ctx, "SELECT count(*) FROM tenants").Scan(&n))
		require.Zero(t, n)
	})

	t.Run("DuplicateEmail", func(t *testing.T) {
		t.Parallel()
		ctx, b := setup(t)
		signup(t, ctx, b, "dup@example.com")
		_, _, err := b.users.Signup(ctx, auth.SignupInput{Company: "Other", Name: "B", Email: "DUP@example.com", Password: "another long password"})
		var ve *validate.Errors
		require.ErrorAs(t, err, &ve)
		require.Contains(t, ve.Fields["email"], "exists already")
		var n int
		require.NoError(t, b.pool.QueryRow(ctx, "SELECT count(*) FROM tenants").Scan(&n))
		require.Equal(t, 1, n, "the second tenant was rolled back with its owner")
	})

	t.Run("Modes", func(t *testing.T) {
		t.Parallel()
		ctx, b := setup(t)
		require.NoError(t, b.tenants.SetSignupMode(ctx, tenant.SignupApproval))
		u := signup(t, ctx, b, "pending@example.com")
		require.Equal(t, tenant.StatusPending, u.TenantStatus)
		require.NoError(t, b.tenants.SetSignupMode(ctx, tenant.SignupInvite))
		_, _, err := b.users.Signup(ctx, auth.SignupInput{Company: "C", Name: "C", Email: "c@example.com", Password: "long enough password"})
		require.ErrorIs(t, err, auth.ErrSignupClosed)
	})
}

func TestService_Authenticate(t *testing.T) {
	t.Parallel()

	t.Run("SameErrorForUnknownAndWrong", func(t *testing.T) {
		t.Parallel()
		ctx, b := setup(t)
		signup(t, ctx, b, "ann@example.com")
		_, err1 := b.users.Authenticate(ctx, "ann@example.com", "wrong password!")
		_, err2 := b.users.Authenticate(ctx, "nobody@example.com", "wrong password!")
		require.ErrorIs(t, err1, auth.ErrInvalidCredentials)
		require.ErrorIs(t, err2, auth.ErrInvalidCredentials)
		require.Equal(t, err1.Error(), err2.Error())
		u, err := b.users.Authenticate(ctx, "ANN@example.com ", "correct horse battery")
		require.NoError(t, err)
		require.Equal(t, "ann@example.com", u.Email)
	})

	t.Run("ThrottleGrowsAndHoldsAcrossClients", func(t *testing.T) {
		t.Parallel()
		ctx, b := setup(t)
		signup(t, ctx, b, "ann@example.com")
		// A second throttle on its own Redis client stands for a second instance.
		opt, err := redis.ParseURL(fmt.Sprintf("redis://%s/%d", b.rdb.Options().Addr, b.rdb.Options().DB))
		require.NoError(t, err)
		rdb2 := redis.NewClient(opt)
		defer rdb2.Close()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		m, _ := mail.New("", log)
		other := auth.NewService(b.pool, auth.NewPasswords(auth.FastParams, 0), auth.NewThrottle(rdb2),
			secret.New([]byte("auth-test-secret-0123456789abcdef-0123456789")), m, log, auth.Config{})
		checked, throttled := 0, 0
		var lastWait time.Duration
		for i := 0; i < 20; i++ {
			svc := b.users
			if i%2 == 1 {
				svc = other
			}
			_, err := svc.Authenticate(ctx, "ann@example.com", "guess number one")
			var te *auth.ThrottledError
			switch {
			case errors.As(err, &te):
				throttled++
				lastWait = te.RetryAfter
			case errors.Is(err, auth.ErrInvalidCredentials):
				checked++
			default:
				t.Fatalf("unexpected %v", err)
			}
		}
		require.Equal(t, 5, checked, "5 free failures; after them each attempt waits a growing delay")
		require.Equal(t, 15, throttled)
		require.Greater(t, lastWait, time.Duration(0))
		require.LessOrEqual(t, lastWait, time.Second, "the first delay is one second")
		// Once the delay has passed one more attempt is checked; failing doubles the delay.
		time.Sleep(lastWait + 20*time.Millisecond)
		_, err = b.users.Authenticate(ctx, "ann@example.com", "guess number two")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		_, err = other.Authenticate(ctx, "ann@example.com", "guess number three")
		var grown *auth.ThrottledError
		require.ErrorAs(t, err, &grown)
		require.Greater(t, grown.RetryAfter, 1500*time.Millisecond)
		require.LessOrEqual(t, grown.RetryAfter, 2*time.Second)
		// Even the right password waits: the delay is a delay, for everyone.
		_, err = b.users.Authenticate(ctx, "ann@example.com", "correct horse battery")
		var te *auth.ThrottledError
		require.ErrorAs(t, err, &te)
		// Another account from another address is not affected.
		signup(t, ctx, b, "bob@example.com")
		ctx2 := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAnonymous, IP: "192.0.2.99"})
		_, err = b.users.Authenticate(ctx2, "bob@example.com", "correct horse battery")
		require.NoError(t, err)
	})
}

func TestService_Members(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	owner := signup(t, ctx, b, "owner@example.com")

	inv, err := b.users.Invite(ctx, owner, "Member@Example.com", auth.RoleMember)
	require.NoError(t, err)
	require.False(t, inv.Mailed)
	require.Contains(t, inv.Link, "http://wagate.test/invite/")
	token := inv.Link[len("http://wagate.test/invite/"):]
	info, err := b.users.Invitation(ctx, token)
	require.NoError(t, err)
	require.Equal(t, "member@example.com", info.Email)
	m, err := b.users.AcceptInvitation(ctx, token, "Max", "member password 1")
	require.NoError(t, err)
	require.Equal(t, owner.TenantID, m.TenantID)
	_, err = b.users.AcceptInvitation(ctx, token, "Max", "member password 1")
	require.ErrorIs(t, err, auth.ErrInvalidLink, "an invitation is used once")

	member, err := b.users.Current(ctx, m.ID)
	require.NoError(t, err)
	require.ErrorIs(t, b.users.ChangeRole(ctx, member, owner.ID, auth.RoleMember), auth.ErrForbidden)
	_, err = b.users.Invite(ctx, member, "x@example.com", auth.RoleMember)
	require.ErrorIs(t, err, auth.ErrForbidden)

	require.ErrorIs(t, b.users.ChangeRole(ctx, owner, owner.ID, auth.RoleAdmin), auth.ErrLastOwner)
	require.ErrorIs(t, b.users.RemoveMember(ctx, owner, owner.ID), auth.ErrLastOwner)
	require.NoError(t, b.users.ChangeRole(ctx, owner, m.ID, auth.RoleOwner))
	require.NoError(t, b.users.ChangeRole(ctx, owner, owner.ID, auth.RoleAdmin), "two owners: one may step down")

	// Another tenant's owner cannot touch this tenant's members: not found, not forbidden.
	other := signup(t, ctx, b, "other@example.com")
	require.ErrorIs(t, b.users.ChangeRole(ctx, other, m.ID, auth.RoleMember), auth.ErrNotFound)
	require.ErrorIs(t, b.users.RemoveMember(ctx, other, m.ID), auth.ErrNotFound)
	team, err := b.users.Team(ctx, other.TenantID)
	require.NoError(t, err)
	require.Len(t, team.Members, 1)
}

func TestService_PasswordChangeAndReset(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	owner := signup(t, ctx, b, "owner@example.com")
	_, err := b.users.ChangePassword(ctx, owner.User, "wrong current pw", "a brand new password")
	var ve *validate.Errors
	require.ErrorAs(t, err, &ve)
	require.Contains(t, ve.Fields, "current_password")
	changed, err := b.users.ChangePassword(ctx, owner.User, "correct horse battery", "a brand new password")
	require.NoError(t, err)
	require.True(t, changed.After(owner.PasswordChangedAt))
	require.False(t, auth.StillValid(owner.PasswordChangedAt, changed), "older logins end")

	link, err := b.users.CreateResetLink(ctx, mustCurrent(t, ctx, b, owner.ID), owner.ID)
	require.NoError(t, err)
	tok := link[len("http://wagate.test/reset/"):]
	target, err := b.users.CheckResetLink(ctx, tok)
	require.NoError(t, err)
	require.Equal(t, "owner@example.com", target.Email)
	require.NoError(t, b.users.ResetPassword(ctx, tok, "reset password here"))
	require.ErrorIs(t, b.users.ResetPassword(ctx, tok, "again password here"), auth.ErrInvalidLink)
	_, err = b.users.Authenticate(ctx, "owner@example.com", "reset password here")
	require.NoError(t, err)
	require.ErrorIs(t, b.users.RequestPasswordReset(ctx, "owner@example.com"), auth.ErrMailDisabled,
		"without SMTP nobody gets a link by typing an address")
}

func mustCurrent(t *testing.T, ctx context.Context, b *testBundle, id [16]byte) auth.CurrentUser {
	t.Helper()
	u, err := b.users.Current(ctx, id)
	require.NoError(t, err)
	return u
}

func TestService_TOTP(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	owner := signup(t, ctx, b, "owner@example.com")
	setup, err := auth.NewTOTP("Wagate", owner.Email)
	require.NoError(t, err)
	require.Contains(t, setup.QRImage, "data:image/png;base64,")
	var ve *validate.Errors
	require.ErrorAs(t, b.users.EnableTOTP(ctx, owner.User, setup.Secret, "000000"), &ve)
	code, err := totp.GenerateCode(setup.Secret, time.Now())
	require.NoError(t, err)
	require.NoError(t, b.users.EnableTOTP(ctx, owner.User, setup.Secret, code))

	u := mustCurrent(t, ctx, b, owner.ID)
	require.NotNil(t, u.TOTPEnabledAt)
	row, err := store.New(b.pool).UserGet(ctx, store.UserGetParams{TenantID: owner.TenantID, ID: owner.ID})
	require.NoError(t, err)
	require.NotContains(t, string(row.TotpSecret), setup.Secret, "stored encrypted")
	code, _ = totp.GenerateCode(setup.Secret, time.Now())
	require.NoError(t, b.users.VerifyTOTP(ctx, u.User, code))
	require.ErrorIs(t, b.users.VerifyTOTP(ctx, u.User, code), auth.ErrInvalidCode, "a code works once")
	require.ErrorIs(t, b.users.VerifyTOTP(ctx, u.User, "123456"), auth.ErrInvalidCode)
	require.NoError(t, b.users.DisableTOTP(ctx, u.User, "correct horse battery"))
	require.Nil(t, mustCurrent(t, ctx, b, owner.ID).TOTPEnabledAt)
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	owner := signup(t, ctx, b, "owner@example.com")
	created, err := b.keys.Create(ctx, owner, auth.CreateKeyInput{Name: "CI", Scopes: []string{"send", "read", "send"}})
	require.NoError(t, err)
	require.Regexp(t, `^wg_[0-9A-Za-z]{38}$`, created.Secret)
	require.True(t, auth.WellFormedKey(created.Secret))
	require.Equal(t, created.Secret[:11], created.Key.Prefix)
	require.Equal(t, []string{"read", "send"}, created.Key.Scopes)
	var stored int
	require.NoError(t, b.pool.QueryRow(ctx, "SELECT count(*) FROM api_keys WHERE prefix = $1 AND secret_hash <> $2", created.Key.Prefix, []byte(created.Secret)).Scan(&stored))
	require.Equal(t, 1, stored, "only a hash is stored")

	// A typo breaks the checksum: refused before any lookup.
	bad := created.Secret[:10] + "x" + created.Secret[11:]
	if bad == created.Secret {
		bad = created.Secret[:10] + "y" + created.Secret[11:]
	}
	require.False(t, auth.WellFormedKey(bad))
	_, err = b.keys.Authenticate(ctx, bad)
	require.ErrorIs(t, err, auth.ErrInvalidKey)

	p, err := b.keys.Authenticate(ctx, created.Secret)
	require.NoError(t, err)
	require.Equal(t, owner.TenantID, p.TenantID)
	require.True(t, p.Has(auth.ScopeSend))
	require.False(t, p.Has(auth.ScopeManage))

	// Revocation on another instance (another APIKeys with its own cache) takes effect within 1 s.
	other := auth.NewAPIKeys(b.pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, err = other.Authenticate(ctx, created.Secret)
	require.NoError(t, err)
	require.NoError(t, b.keys.Revoke(ctx, owner.TenantID, created.Key.ID))
	_, err = b.keys.Authenticate(ctx, created.Secret)
	require.ErrorIs(t, err, auth.ErrInvalidKey, "the revoking instance forgets at once")
	dbtest.WaitFor(t, 1500*time.Millisecond, "revocation seen by the other instance", func() bool {
		_, err := other.Authenticate(ctx, created.Secret)
		return errors.Is(err, auth.ErrInvalidKey)
	})

	// Suspension reaches keys within a second too.
	k2, err := b.keys.Create(ctx, owner, auth.CreateKeyInput{Name: "two", Scopes: []string{"read"}})
	require.NoError(t, err)
	_, err = other.Authenticate(ctx, k2.Secret)
	require.NoError(t, err)
	require.NoError(t, b.tenants.Suspend(ctx, owner.TenantID, "unpaid"))
	dbtest.WaitFor(t, 1500*time.Millisecond, "suspension seen", func() bool {
		_, err := other.Authenticate(ctx, k2.Secret)
		return errors.Is(err, auth.ErrTenantSuspended)
	})

	// Last used is written in batches.
	require.NoError(t, b.tenants.Reactivate(ctx, owner.TenantID))
	time.Sleep(1100 * time.Millisecond)
	_, err = b.keys.Authenticate(ctx, k2.Secret)
	require.NoError(t, err)
	b.keys.Flush(ctx)
	k, err := store.New(b.pool).APIKeyGet(ctx, store.APIKeyGetParams{TenantID: owner.TenantID, ID: k2.Key.ID})
	require.NoError(t, err)
	require.NotNil(t, k.LastUsedAt)

	// Another tenant cannot revoke it.
	stranger := signup(t, ctx, b, "stranger@example.com")
	require.ErrorIs(t, b.keys.Revoke(ctx, stranger.TenantID, k2.Key.ID), auth.ErrNotFound)
}

func TestOperators(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	created, err := b.ops.Bootstrap(ctx, "root@example.com", "operator password 1")
	require.NoError(t, err)
	require.True(t, created)
	created, err = b.ops.Bootstrap(ctx, "root@example.com", "operator password 1")
	require.NoError(t, err)
	require.False(t, created, "only when there is no operator")
	op, err := b.ops.Authenticate(ctx, "root@example.com", "operator password 1")
	require.NoError(t, err)
	require.ErrorIs(t, b.ops.VerifyTOTP(ctx, op, "123456"), auth.ErrInvalidCode, "no TOTP yet: nothing passes")
	_, err = b.ops.Authenticate(ctx, "root@example.com", "nope nope nope")
	require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	// A tenant user's credentials do not open the console.
	signup(t, ctx, b, "user@example.com")
	_, err = b.ops.Authenticate(ctx, "user@example.com", "correct horse battery")
	require.ErrorIs(t, err, auth.ErrInvalidCredentials)
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	signup(t, ctx, b, "owner@example.com")
	_, err := b.pool.Exec(ctx, "UPDATE audit_log SET action = 'x'")
	require.ErrorContains(t, err, "append-only")
	_, err = b.pool.Exec(ctx, "DELETE FROM audit_log")
	require.ErrorContains(t, err, "append-only")
}

func TestTOTP_ReviewRegressions(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	enable := func(email string) (auth.CurrentUser, string) {
		u := signup(t, ctx, b, email)
		s, err := auth.NewTOTP("Wagate", email)
		require.NoError(t, err)
		code, err := totp.GenerateCode(s.Secret, time.Now())
		require.NoError(t, err)
		require.NoError(t, b.users.EnableTOTP(ctx, u.User, s.Secret, code))
		return mustCurrent(t, ctx, b, u.ID), s.Secret
	}
	ann, annSecret := enable("ann@example.com")
	bob, bobSecret := enable("bob@example.com")

	// A code typed with spaces is the same code: it cannot be replayed that way.
	code, err := totp.GenerateCode(annSecret, time.Now())
	require.NoError(t, err)
	require.NoError(t, b.users.VerifyTOTP(ctx, ann.User, code))
	require.ErrorIs(t, b.users.VerifyTOTP(ctx, ann.User, code[:3]+" "+code[3:]), auth.ErrInvalidCode)
	require.ErrorIs(t, b.users.VerifyTOTP(ctx, ann.User, " "+code), auth.ErrInvalidCode)

	// Someone failing codes on their own account, from another address, does not throttle
	// another user's two-factor (the throttle has no platform-wide key).
	other := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAnonymous, IP: "198.51.100.1"})
	for i := 0; i < 25; i++ {
		_ = b.users.VerifyTOTP(other, ann.User, "000000")
	}
	code, err = totp.GenerateCode(bobSecret, time.Now())
	require.NoError(t, err)
	require.NoError(t, b.users.VerifyTOTP(ctx, bob.User, code))
	page, err := audit.ListForTenant(ctx, b.pool, ann.TenantID, audit.Filter{Action: audit.User2FAFailed})
	require.NoError(t, err)
	require.NotEmpty(t, page.Entries, "failed codes are audited")
}

func TestInvalidUTF8_IsRefusedNotLost(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	_, _, err := b.users.Signup(ctx, auth.SignupInput{Company: "Acme\xff", Name: "A", Email: "a@example.com", Password: "long enough password"})
	var ve *validate.Errors
	require.ErrorAs(t, err, &ve)
	require.Contains(t, ve.Fields, "company")
	// A failed login from a client with a broken User-Agent is still recorded.
	signup(t, ctx, b, "ann@example.com")
	bad := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAnonymous, IP: "192.0.2.7", UserAgent: "Mozilla\xff"})
	_, err = b.users.Authenticate(bad, "ann@example.com", "wrong password!!")
	require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	page, err := audit.ListAll(ctx, b.pool, audit.Filter{Action: audit.UserLoginFailed})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
}

// TestThrottle_DeviceCookieKeepsOwnerIn: an attacker keeping an account's counter high cannot keep
// its owner out on a browser where the owner logged in before.
func TestThrottle_DeviceCookieKeepsOwnerIn(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	signup(t, ctx, b, "ann@example.com")
	_, err := b.users.Authenticate(ctx, "ann@example.com", "correct horse battery")
	require.NoError(t, err)
	device := b.users.NewDeviceToken("ann@example.com")

	attacker := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAnonymous, IP: "203.0.113.66"})
	for i := 0; i < 10; i++ {
		_, _ = b.users.Authenticate(attacker, "ann@example.com", "guess guess guess")
	}
	fresh := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAnonymous, IP: "192.0.2.44"})
	_, err = b.users.Authenticate(fresh, "ann@example.com", "correct horse battery")
	var te *auth.ThrottledError
	require.ErrorAs(t, err, &te, "a browser the account never used waits like the attacker")

	_, err = b.users.Authenticate(auth.WithDeviceToken(fresh, device), "ann@example.com", "correct horse battery")
	require.NoError(t, err, "the owner's known browser gets in")
	_, err = b.users.Authenticate(auth.WithDeviceToken(fresh, device+"x"), "ann@example.com", "correct horse battery")
	require.ErrorAs(t, err, &te, "a forged device cookie counts for nothing")
	_, err = b.users.Authenticate(auth.WithDeviceToken(fresh, b.users.NewDeviceToken("bob@example.com")), "ann@example.com", "correct horse battery")
	require.ErrorAs(t, err, &te, "another account's device cookie counts for nothing")
}

func TestLimits_AnonymousActions(t *testing.T) {
	t.Parallel()
	ctx, b := setup(t)
	for i := 0; i < 10; i++ {
		_, _, err := b.users.Signup(ctx, auth.SignupInput{Company: fmt.Sprintf("Co %d", i), Name: "N", Email: fmt.Sprintf("u%d@example.com", i), Password: "long enough password"})
		require.NoError(t, err)
	}
	_, _, err := b.users.Signup(ctx, auth.SignupInput{Company: "Co 11", Name: "N", Email: "u11@example.com", Password: "long enough password"})
	var te *auth.ThrottledError
	require.ErrorAs(t, err, &te, "the 11th sign-up from one address within the hour waits")
	require.Greater(t, te.RetryAfter, 59*time.Minute)
	other := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAnonymous, IP: "198.51.100.9"})
	_, _, err = b.users.Signup(other, auth.SignupInput{Company: "Co 12", Name: "N", Email: "u12@example.com", Password: "long enough password"})
	require.NoError(t, err, "another address is not affected")
}
