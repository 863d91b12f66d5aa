-- wa_sessions and wa_session_events: a tenant's WhatsApp sessions and their status history. Every
-- query names the tenant. The session host's writes (SessionHost…) also check its lease: they change
-- nothing unless the caller still holds the session under that fence (invariant 3).

-- name: SessionTenantLimitForUpdate :one
-- Locks the tenant's row so that two concurrent creations cannot both pass the plan's session limit.
SELECT p.max_sessions
FROM tenants t JOIN plans p ON p.id = t.plan_id
WHERE t.id = @tenant_id
FOR UPDATE OF t;

-- name: SessionCountByTenant :one
SELECT count(*) FROM wa_sessions WHERE tenant_id = @tenant_id AND deleted_at IS NULL;

-- name: SessionInsert :one
INSERT INTO wa_sessions (id, tenant_id, name, status, status_reason)
VALUES (@id, @tenant_id, @name, 'new', @status_reason)
RETURNING *;

-- name: SessionListByTenant :many
-- Sessions being deleted are hidden; holder_instance_id is the instance whose lease is valid now.
-- holder_silent: the row says connected, but no instance holds a valid lease, or the holder's
-- heartbeat is older than two beats (it died: its status write never came).
SELECT s.*, l.instance_id AS holder_instance_id,
    (s.status = 'connected' AND (l.instance_id IS NULL OR i.heartbeat_at IS NULL
        OR i.heartbeat_at < now() - interval '12 seconds'))::bool AS holder_silent
FROM wa_sessions s
LEFT JOIN session_leases l ON l.session_id = s.id AND l.expires_at > now()
LEFT JOIN instances i ON i.id = l.instance_id
WHERE s.tenant_id = @tenant_id AND s.deleted_at IS NULL
ORDER BY s.created_at, s.id;

-- name: SessionGet :one
SELECT s.*, l.instance_id AS holder_instance_id,
    (s.status = 'connected' AND (l.instance_id IS NULL OR i.heartbeat_at IS NULL
        OR i.heartbeat_at < now() - interval '12 seconds'))::bool AS holder_silent
FROM wa_sessions s
LEFT JOIN session_leases l ON l.session_id = s.id AND l.expires_at > now()
LEFT JOIN instances i ON i.id = l.instance_id
WHERE s.tenant_id = @tenant_id AND s.id = @id AND s.deleted_at IS NULL;

-- name: SessionGetForUpdate :one
SELECT * FROM wa_sessions WHERE tenant_id = @tenant_id AND id = @id AND deleted_at IS NULL FOR UPDATE;

-- name: SessionIsHeld :one
-- Whether some instance holds a valid lease on the session right now.
SELECT EXISTS (
    SELECT 1 FROM session_leases l JOIN wa_sessions s ON s.id = l.session_id
    WHERE s.tenant_id = @tenant_id AND l.session_id = @id AND l.expires_at > now()
)::boolean;

-- name: SessionRequestPair :one
-- The user asks to pair: the holder opens a pairing socket and shows codes. What a former pairing
-- showed is cleared so that a reload never shows a stale code.
UPDATE wa_sessions SET
    intent = 'pair', intent_seq = intent_seq + 1,
    pair_method = @pair_method, pair_phone = @pair_phone, pair_requested_at = now(),
    qr = '', qr_expires_at = NULL, pair_code = '', pair_code_expires_at = NULL,
    status = 'pairing', status_reason = @status_reason,
    status_changed_at = CASE WHEN status <> 'pairing' THEN now() ELSE status_changed_at END,
    updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND deleted_at IS NULL
RETURNING *;

-- name: SessionRequestReconnect :one
UPDATE wa_sessions SET
    intent = 'reconnect', intent_seq = intent_seq + 1,
    status = 'connecting', status_reason = @status_reason,
    status_changed_at = CASE WHEN status <> 'connecting' THEN now() ELSE status_changed_at END,
    updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND deleted_at IS NULL
RETURNING *;

-- name: SessionRequestLogout :one
UPDATE wa_sessions SET intent = 'logout', intent_seq = intent_seq + 1, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND deleted_at IS NULL
RETURNING *;

-- name: SessionRequestDelete :one
UPDATE wa_sessions SET intent = 'delete', intent_seq = intent_seq + 1, deleted_at = now(), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND deleted_at IS NULL
RETURNING *;

-- name: SessionLogoutUnheld :one
-- Logs a session out on our side when no instance holds it (its keys were wiped by the caller through
-- the driver's Connector.Delete): nothing else would carry the request out. Held sessions are left to
-- their holder.
UPDATE wa_sessions SET
    status = 'logged_out', status_reason = @status_reason, status_changed_at = now(),
    device_jid = '', lid = '', qr = '', qr_expires_at = NULL, pair_code = '', pair_code_expires_at = NULL,
    intent_done_seq = intent_seq, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
  AND NOT EXISTS (SELECT 1 FROM session_leases l WHERE l.session_id = @id AND l.expires_at > now())
RETURNING *;

-- name: SessionDeleteUnheld :execrows
-- Removes a session whose deletion was requested when no instance holds it.
DELETE FROM wa_sessions
WHERE tenant_id = @tenant_id AND id = @id AND deleted_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM session_leases l WHERE l.session_id = @id AND l.expires_at > now());

-- name: SessionEventInsert :exec
INSERT INTO wa_session_events (session_id, tenant_id, status, reason, instance_id)
VALUES (@session_id, @tenant_id, @status, @reason, sqlc.narg(instance_id));

-- name: SessionEventList :many
-- The status history, newest first.
SELECT * FROM wa_session_events
WHERE tenant_id = @tenant_id AND session_id = @session_id
ORDER BY id DESC
LIMIT @max_rows;

-- name: SessionHostGet :one
-- The holder reads its session, deleted or not (it carries deletions out).
SELECT * FROM wa_sessions WHERE tenant_id = @tenant_id AND id = @id;

-- name: SessionHostSave :one
-- The holder writes what it manages, only while its lease (instance and fence) is valid. Zero rows:
-- the lease was lost or the session is gone; the holder must stop.
UPDATE wa_sessions SET
    status = @status, status_reason = @status_reason,
    status_changed_at = CASE WHEN status <> @status THEN now() ELSE status_changed_at END,
    phone = @phone, push_name = @push_name, device_jid = @device_jid, lid = @lid,
    qr = @qr, qr_expires_at = sqlc.narg(qr_expires_at),
    pair_code = @pair_code, pair_code_expires_at = sqlc.narg(pair_code_expires_at),
    connected_at = sqlc.narg(connected_at), intent_done_seq = @intent_done_seq, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
  AND EXISTS (SELECT 1 FROM session_leases l
              WHERE l.session_id = @id AND l.instance_id = @instance_id AND l.fence = @fence AND l.expires_at > now())
RETURNING *;

-- name: SessionHostDelete :execrows
-- The holder removes a session whose deletion it carried out, under its lease.
DELETE FROM wa_sessions
WHERE tenant_id = @tenant_id AND id = @id AND deleted_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM session_leases l
              WHERE l.session_id = @id AND l.instance_id = @instance_id AND l.fence = @fence AND l.expires_at > now());
