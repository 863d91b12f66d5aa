-- tenant: global (instances are the platform's processes, not a tenant's data)

-- name: InstanceRegister :exec
INSERT INTO instances (id, hostname, pid, version, roles)
VALUES (@id, @hostname, @pid, @version, @roles);

-- name: InstanceHeartbeat :execrows
-- Zero rows means another process declared this instance dead and removed it: the caller re-registers.
UPDATE instances SET heartbeat_at = now() WHERE id = @id;

-- name: InstanceDelete :exec
DELETE FROM instances WHERE id = @id;

-- name: InstanceListLive :many
SELECT * FROM instances
WHERE heartbeat_at > now() - make_interval(secs => sqlc.arg(stale_seconds)::float8)
ORDER BY started_at;

-- name: InstanceDeleteStale :execrows
DELETE FROM instances WHERE heartbeat_at < now() - make_interval(secs => sqlc.arg(stale_seconds)::float8);

-- name: InstanceGet :one
SELECT * FROM instances WHERE id = @id;
