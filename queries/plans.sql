-- tenant: global (plans are the platform's offers, managed by operators)

-- name: PlanList :many
SELECT p.*, (SELECT count(*) FROM tenants t WHERE t.plan_id = p.id)::bigint AS tenant_count
FROM plans p
ORDER BY p.is_default DESC, lower(p.name);

-- name: PlanGet :one
SELECT * FROM plans WHERE id = @id;

-- name: PlanGetDefault :one
SELECT * FROM plans WHERE is_default;

-- name: PlanInsert :one
INSERT INTO plans (id, name, max_sessions, messages_per_day, send_rate_per_minute, delay_min_ms, delay_max_ms,
                   max_campaign_size, max_media_bytes, storage_quota_bytes, api_requests_per_minute,
                   max_webhook_endpoints, is_default)
VALUES (@id, @name, @max_sessions, @messages_per_day, @send_rate_per_minute, @delay_min_ms, @delay_max_ms,
        @max_campaign_size, @max_media_bytes, @storage_quota_bytes, @api_requests_per_minute,
        @max_webhook_endpoints, false)
RETURNING *;

-- name: PlanUpdate :one
UPDATE plans SET
    name = @name, max_sessions = @max_sessions, messages_per_day = @messages_per_day,
    send_rate_per_minute = @send_rate_per_minute, delay_min_ms = @delay_min_ms, delay_max_ms = @delay_max_ms,
    max_campaign_size = @max_campaign_size, max_media_bytes = @max_media_bytes,
    storage_quota_bytes = @storage_quota_bytes, api_requests_per_minute = @api_requests_per_minute,
    max_webhook_endpoints = @max_webhook_endpoints, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: PlanClearDefault :exec
UPDATE plans SET is_default = false, updated_at = now() WHERE is_default AND id <> @id;

-- name: PlanSetDefault :execrows
UPDATE plans SET is_default = true, updated_at = now() WHERE id = @id;

-- name: PlanMaxMediaBytes :one
-- The largest upload any plan allows (sizes the HTTP body limit at start).
SELECT coalesce(max(max_media_bytes), 0)::bigint FROM plans;
