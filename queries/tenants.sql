-- name: TenantInsert :one
-- tenant: global (creates the tenant itself)
INSERT INTO tenants (id, name, status, plan_id, timezone, default_country)
VALUES (@id, @name, @status, @plan_id, @timezone, @default_country)
RETURNING *;

-- name: TenantGet :one
SELECT * FROM tenants WHERE id = @tenant_id;

-- name: TenantWithPlan :one
SELECT sqlc.embed(t), sqlc.embed(p)
FROM tenants t JOIN plans p ON p.id = t.plan_id
WHERE t.id = @tenant_id;

-- name: TenantUpdateSettings :one
UPDATE tenants SET name = @name, timezone = @timezone, default_country = @default_country, updated_at = now()
WHERE id = @tenant_id
RETURNING *;

-- name: TenantSetStatus :one
-- tenant: global (operators act on any tenant). Only from one of the expected statuses, so two
-- operators acting at once cannot both succeed on the same transition.
UPDATE tenants SET status = @status, suspended_reason = @suspended_reason, updated_at = now()
WHERE id = @id AND status = ANY(@from_statuses::text[])
RETURNING *;

-- name: TenantSetPlan :one
-- tenant: global (operators act on any tenant)
UPDATE tenants SET plan_id = @plan_id, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: TenantAdminList :many
-- tenant: global (the operator console lists every tenant). Keyset paging on (created_at, id), newest first.
SELECT t.*, p.name AS plan_name,
       (SELECT count(*) FROM users u WHERE u.tenant_id = t.id)::bigint AS member_count,
       (SELECT u.email FROM users u WHERE u.tenant_id = t.id AND u.role = 'owner' ORDER BY u.created_at LIMIT 1)::text AS owner_email
FROM tenants t JOIN plans p ON p.id = t.plan_id
WHERE (sqlc.narg(search)::text IS NULL
       OR t.name ILIKE '%' || sqlc.narg(search) || '%'
       OR EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = t.id AND u.email ILIKE '%' || sqlc.narg(search) || '%'))
  AND (sqlc.narg(status)::text IS NULL OR t.status = sqlc.narg(status))
  AND (sqlc.narg(before_created)::timestamptz IS NULL
       OR (t.created_at, t.id) < (sqlc.narg(before_created)::timestamptz, sqlc.narg(before_id)::uuid))
ORDER BY t.created_at DESC, t.id DESC
LIMIT @row_limit;

-- name: TenantAdminCount :one
-- tenant: global
SELECT count(*) FILTER (WHERE status = 'pending')::bigint AS pending,
       count(*) FILTER (WHERE status = 'active')::bigint AS active,
       count(*) FILTER (WHERE status = 'suspended')::bigint AS suspended
FROM tenants;

-- name: TenantUsage :one
-- What counts against the plan so far. Sessions, messages and storage join as their tables arrive.
SELECT (SELECT count(*) FROM users u WHERE u.tenant_id = @tenant_id)::bigint AS members,
       (SELECT count(*) FROM api_keys k WHERE k.tenant_id = @tenant_id AND k.revoked_at IS NULL)::bigint AS active_api_keys;
