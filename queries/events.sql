-- events: the outbox of what happened to a tenant's messages, written in the transaction of the change.

-- name: EventInsert :exec
INSERT INTO events (tenant_id, session_id, message_id, type, status, payload)
VALUES (@tenant_id, @session_id, @message_id, @type, @status, @payload);

-- name: EventListAfter :many
-- tenant: global (the live-update feed of one instance reads every tenant's events, then fans them
-- out to each tenant's own subscribers only)
SELECT * FROM events WHERE id > @after_id ORDER BY id LIMIT @max_rows;

-- name: EventLastID :one
-- tenant: global (where a new feed starts)
SELECT coalesce(max(id), 0)::bigint FROM events;

-- name: EventListByMessage :many
SELECT * FROM events WHERE tenant_id = @tenant_id AND message_id = @message_id ORDER BY id;
