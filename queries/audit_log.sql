-- name: AuditInsert :exec
-- tenant: global (platform events have no tenant; tenant events carry theirs in the row)
INSERT INTO audit_log (id, tenant_id, actor_type, actor_id, actor_email, action, target_type, target_id, ip, user_agent, details)
VALUES (@id, @tenant_id, @actor_type, @actor_id, @actor_email, @action, @target_type, @target_id, @ip, @user_agent, @details);

-- name: AuditListByTenant :many
-- Keyset paging, newest first.
SELECT * FROM audit_log
WHERE tenant_id = @tenant_id
  AND (sqlc.narg(action)::text IS NULL OR action LIKE sqlc.narg(action) || '%')
  AND (sqlc.narg(before_id)::uuid IS NULL OR id < sqlc.narg(before_id))
ORDER BY id DESC
LIMIT @row_limit;

-- name: AuditListAll :many
-- tenant: global (the operator console). Keyset paging on the UUIDv7 id, which sorts by time.
SELECT a.*, coalesce(t.name, '')::text AS tenant_name
FROM audit_log a LEFT JOIN tenants t ON t.id = a.tenant_id
WHERE (sqlc.narg(filter_tenant)::uuid IS NULL OR a.tenant_id = sqlc.narg(filter_tenant))
  AND (sqlc.narg(action)::text IS NULL OR a.action LIKE sqlc.narg(action) || '%')
  AND (sqlc.narg(actor)::text IS NULL OR a.actor_email ILIKE '%' || sqlc.narg(actor) || '%')
  AND (sqlc.narg(before_id)::uuid IS NULL OR a.id < sqlc.narg(before_id))
ORDER BY a.id DESC
LIMIT @row_limit;
