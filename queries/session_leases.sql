-- tenant: global (the session host places, leases and renews sessions of every tenant: leases are the
-- platform's bookkeeping of which process connects which session, keyed by session id; none of these
-- queries returns tenant data beyond ids)

-- name: SessionLeaseGetForUpdate :one
SELECT * FROM session_leases WHERE session_id = @session_id FOR UPDATE;

-- name: SessionLeaseGet :one
SELECT * FROM session_leases WHERE session_id = @session_id;

-- name: SessionLeaseAcquire :one
-- Takes the lease only when nobody holds it: no row, or the row expired (a released lease expires at
-- once). The fence is the previous one + 1. Two acquirers at once: the second waits on the first's row
-- and then finds it held, so it gets no row back.
INSERT INTO session_leases (session_id, instance_id, fence, acquired_at, renewed_at, expires_at)
VALUES (@session_id, @instance_id, 1, now(), now(), now() + make_interval(secs => sqlc.arg(ttl_seconds)::float8))
ON CONFLICT (session_id) DO UPDATE SET
    instance_id = EXCLUDED.instance_id, fence = session_leases.fence + 1,
    acquired_at = now(), renewed_at = now(), expires_at = EXCLUDED.expires_at
WHERE session_leases.expires_at <= now()
RETURNING *;

-- name: SessionLeaseRenew :many
-- Extends every lease the instance still holds among session_ids; a lease missing from the answer
-- (or back with another fence) is lost. intent_seq lets the holder notice a user's request it missed
-- on pub/sub.
UPDATE session_leases l SET renewed_at = now(), expires_at = now() + make_interval(secs => sqlc.arg(ttl_seconds)::float8)
FROM wa_sessions s
WHERE s.id = l.session_id AND l.instance_id = @instance_id AND l.session_id = ANY(@session_ids::uuid[])
  AND l.expires_at > now()
RETURNING l.session_id, l.fence, l.expires_at, s.intent_seq;

-- name: SessionLeaseRelease :one
-- Gives the lease up at once (graceful shutdown, draining); the next holder may take it immediately.
-- No row: the lease was lost already.
UPDATE session_leases SET expires_at = now()
WHERE session_id = @session_id AND instance_id = @instance_id AND fence = @fence AND expires_at > now()
RETURNING expires_at;

-- name: SessionLeaseHistoryInsert :exec
INSERT INTO session_lease_history (session_id, fence, instance_id, acquired_at)
VALUES (@session_id, @fence, @instance_id, @acquired_at);

-- name: SessionLeaseHistoryEnd :exec
UPDATE session_lease_history SET ended_at = @ended_at, end_reason = @end_reason
WHERE session_id = @session_id AND fence = @fence AND ended_at IS NULL;

-- name: SessionLeaseHistoryList :many
SELECT * FROM session_lease_history WHERE session_id = @session_id ORDER BY fence;

-- name: SessionLeaseOrphans :many
-- Sessions nobody holds, longest-orphaned first: never leased (since creation) or lease expired.
SELECT s.id, s.tenant_id, coalesce(l.expires_at, s.created_at)::timestamptz AS orphaned_since
FROM wa_sessions s
LEFT JOIN session_leases l ON l.session_id = s.id
WHERE l.session_id IS NULL OR l.expires_at <= now()
ORDER BY orphaned_since, s.id
LIMIT @max_rows;

-- name: SessionLeaseHostLoads :many
-- Live session hosts (role host, fresh heartbeat, not draining) with how many sessions each holds now,
-- least loaded first: placement puts an orphaned session on the first.
SELECT i.id, count(l.session_id)::bigint AS held
FROM instances i
LEFT JOIN session_leases l ON l.instance_id = i.id AND l.expires_at > now()
WHERE 'host' = ANY (i.roles) AND NOT i.draining
  AND i.heartbeat_at > now() - make_interval(secs => sqlc.arg(fresh_seconds)::float8)
GROUP BY i.id
ORDER BY held, i.id;

-- name: SessionLeaseListByInstance :many
SELECT * FROM session_leases WHERE instance_id = @instance_id AND expires_at > now() ORDER BY session_id;

-- name: HostDrainingGet :one
-- Whether the instance was asked to drain (instances.draining): its host releases its sessions.
SELECT draining FROM instances WHERE id = @id;

-- name: HostDrainingSet :execrows
UPDATE instances SET draining = @draining WHERE id = @id;
