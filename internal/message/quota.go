package message

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/wagate/wagate/internal/store"
)

// The daily quota is counted in shards (tenant_daily_usage.shard), in the accepting transaction.
// One counter row per tenant and day would make every accept of a tenant wait for the previous
// one's commit (its row lock is held until then), which capped a busy tenant at one accept per
// WAL flush.
const (
	quotaShards = 16
	// quotaMargin: while the day's count is further than this below the limit, an accept adds to a
	// random shard without taking turns. Accepts in flight at once cannot outnumber the margin (they
	// are bounded by the database connections of all instances), so the exact path near the limit
	// still sees every count that could matter.
	quotaMargin = 256
)

// countQuota counts one message against the tenant's day, or returns false when the day's limit
// is reached. Call it last in the accepting transaction, so locks are held briefly.
func countQuota(ctx context.Context, q *store.Queries, tenantID uuid.UUID, day time.Time, limit int) (bool, error) {
	if limit <= 0 {
		return false, nil
	}
	used, err := q.MessageQuotaUsed(ctx, store.MessageQuotaUsedParams{TenantID: tenantID, Day: day})
	if err != nil {
		return false, err
	}
	if int(used)+quotaMargin < limit {
		err := q.MessageQuotaAdd(ctx, store.MessageQuotaAddParams{TenantID: tenantID, Day: day, Shard: int16(1 + rand.IntN(quotaShards-1))})
		return err == nil, err
	}
	// Near the limit: take turns on shard 0, then count what is committed (a new statement sees it).
	if err := q.MessageQuotaLock(ctx, store.MessageQuotaLockParams{TenantID: tenantID, Day: day}); err != nil {
		return false, err
	}
	if used, err = q.MessageQuotaUsed(ctx, store.MessageQuotaUsedParams{TenantID: tenantID, Day: day}); err != nil {
		return false, err
	}
	if int(used) >= limit {
		return false, nil
	}
	err = q.MessageQuotaAdd(ctx, store.MessageQuotaAddParams{TenantID: tenantID, Day: day, Shard: 0})
	return err == nil, err
}
