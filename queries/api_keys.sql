-- name: APIKeyInsert :one
INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, scopes, session_ids, created_by)
VALUES (@id, @tenant_id, @name, @prefix, @secret_hash, @scopes, @session_ids, @created_by)
RETURNING *;

-- name: APIKeyListByTenant :many
SELECT k.*, coalesce(u.email, '')::text AS created_by_email
FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
WHERE k.tenant_id = @tenant_id
ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC;

-- name: APIKeyGet :one
SELECT * FROM api_keys WHERE tenant_id = @tenant_id AND id = @id;

-- name: APIKeyAuthenticate :one
-- tenant: global (the key is how the caller's tenant is learnt)
SELECT k.id, k.tenant_id, k.name, k.scopes, k.session_ids, k.revoked_at, t.status AS tenant_status
FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
WHERE k.secret_hash = @secret_hash;

-- name: APIKeyRevoke :one
UPDATE api_keys SET revoked_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND revoked_at IS NULL
RETURNING *;

-- name: APIKeyTouch :exec
-- tenant: global (batched "last used" from the key cache: ids were authenticated already)
UPDATE api_keys SET last_used_at = v.used_at
FROM (SELECT unnest(@ids::uuid[]) AS id, unnest(@used_at::timestamptz[]) AS used_at) v
WHERE api_keys.id = v.id AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < v.used_at);
