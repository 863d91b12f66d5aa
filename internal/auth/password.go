package auth

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"github.com/wagate/wagate/internal/validate"
)

// OWASPParams are OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane).
var OWASPParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// FastParams are for tests only: config refuses them unless INSECURE_FAST_PASSWORD_HASH is set, and
// serve then says so loudly at start.
var FastParams = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Password length bounds. The upper bound stops a megabyte "password" from costing real CPU.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 128
)

// Passwords hashes and verifies with argon2id. At most `concurrency` hashes run at once, so a burst
// of logins queues instead of exhausting memory (19 MiB each) and both cores.
type Passwords struct {
	params *argon2id.Params
	sem    chan struct{}
	dummy  string // a real hash to verify against when the account does not exist, for equal timing
}

// NewPasswords returns a hasher with params; concurrency 0 means the number of CPUs.
func NewPasswords(params *argon2id.Params, concurrency int) *Passwords {
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	p := &Passwords{params: params, sem: make(chan struct{}, concurrency)}
	h, err := argon2id.CreateHash("wagate-dummy-password", params)
	if err != nil {
		panic(fmt.Sprintf("auth: argon2id: %v", err)) // only on a broken random source
	}
	p.dummy = h
	return p
}

func (p *Passwords) acquire(ctx context.Context) error {
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Hash returns the encoded argon2id hash of pw.
func (p *Passwords) Hash(ctx context.Context, pw string) (string, error) {
	if err := p.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-p.sem }()
	h, err := argon2id.CreateHash(pw, p.params)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// Verify reports whether pw matches hash. An empty hash is checked against a dummy, so the time taken
// does not tell whether the account exists.
func (p *Passwords) Verify(ctx context.Context, pw, hash string) (bool, error) {
	if err := p.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-p.sem }()
	if hash == "" {
		_, _ = argon2id.ComparePasswordAndHash(pw, p.dummy)
		return false, nil
	}
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	if err != nil {
		return false, fmt.Errorf("verify password: %w", err)
	}
	return ok, nil
}

// CheckNewPassword adds a problem to c for a password that may not be set.
func CheckNewPassword(c *validate.Checker, field, pw, email string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		c.Add(field, fmt.Sprintf("Use at least %d characters.", MinPasswordLen))
	case n > MaxPasswordLen:
		c.Add(field, fmt.Sprintf("Use at most %d characters.", MaxPasswordLen))
	case email != "" && strings.EqualFold(strings.TrimSpace(pw), strings.TrimSpace(email)):
		c.Add(field, "Your password must not be your email address.")
	case strings.TrimSpace(pw) == "" || strings.Count(pw, string([]rune(pw)[0])) == len(pw):
		c.Add(field, "Choose a password that is not a single repeated character.")
	}
}
