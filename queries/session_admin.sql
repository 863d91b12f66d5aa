-- tenant: global (the operator console looks at every tenant's sessions; console routes refuse tenant users)

-- name: SessionAdminList :many
-- Every session across tenants, newest first, optionally filtered by tenant name or phone digits.
SELECT s.id, s.tenant_id, t.name AS tenant_name, s.name, s.status, s.status_reason, s.status_changed_at,
       s.phone, s.push_name, s.created_at, l.instance_id AS holder_instance_id
FROM wa_sessions s
JOIN tenants t ON t.id = s.tenant_id
LEFT JOIN session_leases l ON l.session_id = s.id AND l.expires_at > now()
WHERE s.deleted_at IS NULL
  AND (@query::text = '' OR t.name ILIKE '%' || @query::text || '%' OR s.phone LIKE '%' || @query::text || '%')
ORDER BY s.created_at DESC, s.id DESC
LIMIT @max_rows OFFSET @skip_rows;

-- name: SessionAdminCount :one
SELECT count(*)
FROM wa_sessions s
JOIN tenants t ON t.id = s.tenant_id
WHERE s.deleted_at IS NULL
  AND (@query::text = '' OR t.name ILIKE '%' || @query::text || '%' OR s.phone LIKE '%' || @query::text || '%');

-- name: SessionAdminRequestPark :one
-- An operator's force disconnect: parked at once in the row (a reload shows it), and the holder,
-- woken by the intent, disconnects and records it. It stays parked until someone reconnects it.
UPDATE wa_sessions SET
    intent = 'park', intent_seq = intent_seq + 1,
    status = 'parked', status_reason = @status_reason,
    status_changed_at = CASE WHEN status <> 'parked' THEN now() ELSE status_changed_at END,
    updated_at = now()
WHERE id = @id AND deleted_at IS NULL
RETURNING *;
