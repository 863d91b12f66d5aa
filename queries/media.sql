-- name: MediaInsert :one
INSERT INTO media (id, tenant_id, storage_key, mime, size_bytes, sha256, file_name, source, state)
VALUES (@id, @tenant_id, @storage_key, @mime, @size_bytes, @sha256, @file_name, @source, 'stored')
RETURNING *;

-- name: MediaInsertPending :exec
-- Inbound media: the row is written on the ack path with the message; the bytes follow later.
INSERT INTO media (id, tenant_id, storage_key, mime, size_bytes, file_name, source, state, session_id, download_handle)
VALUES (@id, @tenant_id, @storage_key, @mime, @size_bytes, @file_name, 'inbound', 'pending', @session_id, @download_handle);

-- name: MediaGet :one
SELECT * FROM media WHERE tenant_id = @tenant_id AND id = @id;

-- name: MediaStorageUsed :one
-- Pending inbound rows count with their announced size: their bytes are on the way.
SELECT coalesce(sum(size_bytes), 0)::bigint AS used FROM media WHERE tenant_id = @tenant_id;

-- name: MediaLockTenant :exec
-- Serialises one tenant's quota check and insert (held to the end of the transaction), so two uploads
-- at once cannot both fit into the same free space. Other tenants never wait on it.
SELECT pg_advisory_xact_lock(hashtextextended('wagate:media-quota:' || id::text, 0))
FROM tenants WHERE id = @tenant_id;

-- name: MediaSetStored :execrows
-- Only a pending row moves: a retry after success changes nothing. The download handle (key material
-- for WhatsApp's encrypted file) is no longer needed once the bytes are ours.
UPDATE media SET state = 'stored', mime = @mime, size_bytes = @size_bytes, sha256 = @sha256, error = '',
                 download_handle = NULL
WHERE tenant_id = @tenant_id AND id = @id AND state = 'pending';

-- name: MediaSetFailed :execrows
UPDATE media SET state = 'failed', error = @error, download_handle = NULL
WHERE tenant_id = @tenant_id AND id = @id AND state = 'pending';

-- name: MediaListPending :many
-- tenant: global (the session host's retry loop works per WhatsApp session, and a session belongs to
-- exactly one tenant; each row carries its tenant_id, which the caller passes back to StorePending).
-- Oldest first, only rows older than the caller's grace, so media fetched right now is not taken twice.
SELECT id, tenant_id, session_id, mime, file_name, size_bytes, download_handle, created_at
FROM media
WHERE session_id = @session_id AND state = 'pending' AND created_at < @older_than
ORDER BY created_at, id
LIMIT @max_rows;

-- name: MediaDelete :one
-- Messages that used the file keep their row (media_id becomes NULL).
DELETE FROM media WHERE tenant_id = @tenant_id AND id = @id RETURNING storage_key;
