package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/audit"
	"github.com/wagate/wagate/internal/store"
	"github.com/wagate/wagate/internal/validate"
)

// API key scopes.
const (
	ScopeRead   = "read"   // look at sessions, messages, usage
	ScopeSend   = "send"   // send messages
	ScopeManage = "manage" // create, pair, reconnect, log out and delete sessions
)

// Scopes lists every scope in order.
var Scopes = []string{ScopeRead, ScopeSend, ScopeManage}

// Keys look like wg_<32 base62 characters of secret><6 base62 characters of CRC-32>: the prefix makes
// a leaked key recognisable to secret scanners, and the checksum lets them (and us, before any
// database work) tell a real key from a random string.
const (
	keyPrefix     = "wg_"
	keySecretLen  = 32
	keyCheckLen   = 6
	keyShownChars = 8 // secret characters kept in the listed prefix
	base62        = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// ErrInvalidKey is the answer for a missing, malformed, unknown or revoked key alike.
var ErrInvalidKey = errors.New("invalid or revoked API key")

// KeyPrincipal is what an authenticated key may do.
type KeyPrincipal struct {
	ID           uuid.UUID
	TenantID     uuid.UUID
	Name         string
	Scopes       []string
	SessionIDs   []uuid.UUID // nil: every session
	TenantStatus string
}

// Has reports whether the key carries scope.
func (k KeyPrincipal) Has(scope string) bool { return slices.Contains(k.Scopes, scope) }

func encodeBase62(b []byte, n int) string {
	v := new(big.Int).SetBytes(b)
	out := make([]byte, n)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := n - 1; i >= 0; i-- {
		v.DivMod(v, base, mod)
		out[i] = base62[mod.Int64()]
	}
	return string(out)
}

func checksum(s string) string {
	c := crc32.ChecksumIEEE([]byte(s))
	return encodeBase62([]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)}, keyCheckLen)
}

// newKey returns a fresh key.
func newKey() string {
	b := make([]byte, 24) // 192 bits, more than 32 base62 characters can show
	_, _ = rand.Read(b)
	sec := encodeBase62(b, keySecretLen)
	return keyPrefix + sec + checksum(keyPrefix+sec)
}

// WellFormedKey reports whether raw has the shape and checksum of a Wagate key.
func WellFormedKey(raw string) bool {
	if len(raw) != len(keyPrefix)+keySecretLen+keyCheckLen || !strings.HasPrefix(raw, keyPrefix) {
		return false
	}
	for _, r := range raw[len(keyPrefix):] {
		if !strings.ContainsRune(base62, r) {
			return false
		}
	}
	body := raw[:len(raw)-keyCheckLen]
	return checksum(body) == raw[len(body):]
}

func keyHash(raw string) []byte {
	sum := sha256.Sum256([]byte(raw))
	return sum[:]
}

// APIKeys manages a tenant's keys and authenticates requests with them.
type APIKeys struct {
	db  store.DB
	log *slog.Logger

	mu    sync.Mutex
	cache map[string]cachedKey // by hex of hash
	used  map[uuid.UUID]time.Time
}

type cachedKey struct {
	p       KeyPrincipal
	err     error
	expires time.Time
}

// keyCacheTTL bounds how long a revoked key or a suspended tenant's key may still pass on another
// instance (DESIGN.md: at most 1 s).
const keyCacheTTL = time.Second

// NewAPIKeys returns the key service. Run its Run loop to write "last used" times.
func NewAPIKeys(db store.DB, log *slog.Logger) *APIKeys {
	return &APIKeys{db: db, log: log, cache: map[string]cachedKey{}, used: map[uuid.UUID]time.Time{}}
}

// APIKey is one of a tenant's API keys. Only a hash of its secret is kept, and it stays here.
type APIKey struct {
	ID             uuid.UUID
	TenantID       uuid.UUID
	Name           string
	Prefix         string // the start of the secret, to recognise the key by
	Scopes         []string
	SessionIDs     []uuid.UUID // nil: every session
	CreatedBy      *uuid.UUID
	CreatedByEmail string // set in List's listing
	CreatedAt      time.Time
	LastUsedAt     *time.Time
	RevokedAt      *time.Time
}

// apiKeyOf is the one conversion of an api_keys row.
func apiKeyOf(r store.ApiKey) APIKey {
	return APIKey{ID: r.ID, TenantID: r.TenantID, Name: r.Name, Prefix: r.Prefix, Scopes: r.Scopes, SessionIDs: r.SessionIds,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
}

// CreateKeyInput is the new-key form.
type CreateKeyInput struct {
	Name   string
	Scopes []string
}

// Created is a new key; Secret is shown once and never stored.
type Created struct {
	Key    APIKey
	Secret string
}

// Create makes a key for the actor's tenant.
func (a *APIKeys) Create(ctx context.Context, actor CurrentUser, in CreateKeyInput) (Created, error) {
	var c validate.Checker
	c.Required("name", in.Name, 60)
	if len(in.Scopes) == 0 {
		c.Add("scopes", "Choose at least one scope.")
	}
	for _, s := range in.Scopes {
		if !slices.Contains(Scopes, s) {
			c.Add("scopes", "Unknown scope "+s+".")
		}
	}
	// A key can do no more than its creator: members may not manage sessions.
	if slices.Contains(in.Scopes, ScopeManage) && !actor.CanManageMembers() {
		c.Add("scopes", "Only owners and admins may create keys with the manage scope.")
	}
	if err := c.Err(); err != nil {
		return Created{}, err
	}
	scopes := slices.Clone(in.Scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	raw := newKey()
	var out Created
	err := store.WithTx(ctx, a.db, func(q *store.Queries) error {
		k, err := q.APIKeyInsert(ctx, store.APIKeyInsertParams{ID: newID(), TenantID: actor.TenantID, Name: strings.TrimSpace(in.Name),
			Prefix: raw[:len(keyPrefix)+keyShownChars], SecretHash: keyHash(raw), Scopes: scopes, CreatedBy: &actor.ID})
		if err != nil {
			return fmt.Errorf("insert key: %w", err)
		}
		out = Created{Key: apiKeyOf(k), Secret: raw}
		return audit.Record(ctx, q, audit.Entry{TenantID: &actor.TenantID, Action: audit.APIKeyCreated, TargetType: "api_key",
			TargetID: k.ID.String(), Details: map[string]any{"name": k.Name, "prefix": k.Prefix, "scopes": scopes}})
	})
	return out, err
}

// List lists the tenant's keys, live ones first.
func (a *APIKeys) List(ctx context.Context, tenantID uuid.UUID) ([]APIKey, error) {
	rows, err := store.New(a.db).APIKeyListByTenant(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	out := make([]APIKey, len(rows))
	for i, r := range rows {
		out[i] = apiKeyOf(store.ApiKey{ID: r.ID, TenantID: r.TenantID, Name: r.Name, Prefix: r.Prefix, Scopes: r.Scopes,
			SessionIds: r.SessionIds, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt})
		out[i].CreatedByEmail = r.CreatedByEmail
	}
	return out, nil
}

// Revoke ends a key. Other instances stop accepting it within keyCacheTTL.
func (a *APIKeys) Revoke(ctx context.Context, tenantID, id uuid.UUID) error {
	err := store.WithTx(ctx, a.db, func(q *store.Queries) error {
		k, err := q.APIKeyRevoke(ctx, store.APIKeyRevokeParams{TenantID: tenantID, ID: id})
		if store.IsNotFound(err) {
			if _, gerr := q.APIKeyGet(ctx, store.APIKeyGetParams{TenantID: tenantID, ID: id}); gerr == nil {
				return nil // revoked already: nothing to do
			}
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("revoke key: %w", err)
		}
		return audit.Record(ctx, q, audit.Entry{TenantID: &tenantID, Action: audit.APIKeyRevoked, TargetType: "api_key",
			TargetID: id.String(), Details: map[string]any{"name": k.Name, "prefix": k.Prefix}})
	})
	if err == nil {
		a.mu.Lock()
		for h, ck := range a.cache {
			if ck.p.ID == id {
				delete(a.cache, h)
			}
		}
		a.mu.Unlock()
	}
	return err
}

// Authenticate resolves raw to its key. Results (failures too) are cached in this process for at
// most a second, which bounds how long a revoked key or a suspended tenant keeps access.
func (a *APIKeys) Authenticate(ctx context.Context, raw string) (KeyPrincipal, error) {
	if !WellFormedKey(raw) {
		return KeyPrincipal{}, ErrInvalidKey
	}
	h := keyHash(raw)
	hk := string(h)
	now := time.Now()
	a.mu.Lock()
	ck, ok := a.cache[hk]
	a.mu.Unlock()
	if !ok || now.After(ck.expires) {
		ck = cachedKey{expires: now.Add(keyCacheTTL)}
		row, err := store.New(a.db).APIKeyAuthenticate(ctx, h)
		switch {
		case store.IsNotFound(err):
			ck.err = ErrInvalidKey
		case err != nil:
			return KeyPrincipal{}, fmt.Errorf("look up key: %w", err) // not cached: a blip is not an answer
		case row.RevokedAt != nil:
			ck.err = ErrInvalidKey
		default:
			ck.p = KeyPrincipal{ID: row.ID, TenantID: row.TenantID, Name: row.Name, Scopes: row.Scopes, SessionIDs: row.SessionIds, TenantStatus: row.TenantStatus}
		}
		a.mu.Lock()
		if len(a.cache) > 50_000 {
			clear(a.cache) // a flood of distinct keys must not grow memory without bound
		}
		a.cache[hk] = ck
		a.mu.Unlock()
	}
	if ck.err != nil {
		return KeyPrincipal{}, ck.err
	}
	switch ck.p.TenantStatus {
	case "suspended":
		return ck.p, ErrTenantSuspended
	case "pending":
		return ck.p, ErrTenantPending
	}
	a.mu.Lock()
	a.used[ck.p.ID] = now
	a.mu.Unlock()
	return ck.p, nil
}

// lastUsedEvery is how often "last used" times are written: one UPDATE for all keys used since,
// instead of a write per request.
const lastUsedEvery = 10 * time.Second

// Run writes "last used" times until ctx ends, then once more.
func (a *APIKeys) Run(ctx context.Context) {
	t := time.NewTicker(lastUsedEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			a.Flush(fctx)
			cancel()
			return
		case <-t.C:
			a.Flush(ctx)
		}
	}
}

// Flush writes the "last used" times gathered so far.
func (a *APIKeys) Flush(ctx context.Context) {
	a.mu.Lock()
	used := a.used
	a.used = map[uuid.UUID]time.Time{}
	a.mu.Unlock()
	if len(used) == 0 {
		return
	}
	ids := make([]uuid.UUID, 0, len(used))
	times := make([]time.Time, 0, len(used))
	for id, t := range used {
		ids = append(ids, id)
		times = append(times, t)
	}
	if err := store.New(a.db).APIKeyTouch(ctx, store.APIKeyTouchParams{Ids: ids, UsedAt: times}); err != nil {
		a.log.ErrorContext(ctx, "write api key last used", "err", err, "keys", len(ids))
		// Keep the times for the next flush, unless a later use replaced them meanwhile.
		a.mu.Lock()
		for id, t := range used {
			if cur, ok := a.used[id]; !ok || cur.Before(t) {
				a.used[id] = t
			}
		}
		a.mu.Unlock()
	}
}
