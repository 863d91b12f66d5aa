-- messages, tenant_daily_usage and idempotency_keys: the send pipeline's rows. Holder-side writes
-- (MessageHost…) also check the session's lease: they change nothing unless the caller still holds
-- the session under that fence (invariant 3).

-- name: MessageTenantSendInfo :one
-- What accepting a message needs to know about the tenant and its plan.
SELECT t.status, t.timezone, t.default_country, p.messages_per_day, p.send_rate_per_minute,
       p.delay_min_ms, p.delay_max_ms
FROM tenants t JOIN plans p ON p.id = t.plan_id
WHERE t.id = @tenant_id;

-- name: MessageSessionInfo :one
-- The session a message goes out on, with the instance holding it now (if any) and its fence.
SELECT s.id, s.status, s.device_jid, s.deleted_at, l.instance_id AS holder_instance_id, l.fence AS holder_fence,
       p.send_rate_per_minute, p.delay_min_ms, p.delay_max_ms
FROM wa_sessions s
JOIN tenants t ON t.id = s.tenant_id
JOIN plans p ON p.id = t.plan_id
LEFT JOIN session_leases l ON l.session_id = s.id AND l.expires_at > now()
WHERE s.tenant_id = @tenant_id AND s.id = @id;

-- name: MessageQuotaUsed :one
SELECT coalesce(sum(messages), 0)::integer FROM tenant_daily_usage WHERE tenant_id = @tenant_id AND day = @day;

-- name: MessageQuotaAdd :exec
INSERT INTO tenant_daily_usage (tenant_id, day, shard, messages) VALUES (@tenant_id, @day, @shard, 1)
ON CONFLICT (tenant_id, day, shard) DO UPDATE SET messages = tenant_daily_usage.messages + 1;

-- name: MessageQuotaLock :exec
-- Near the limit, the accepts of one tenant and day take turns on shard 0's row (held until commit).
INSERT INTO tenant_daily_usage (tenant_id, day, shard, messages) VALUES (@tenant_id, @day, 0, 0)
ON CONFLICT (tenant_id, day, shard) DO UPDATE SET messages = tenant_daily_usage.messages;

-- name: MessageQuotaGiveBack :exec
UPDATE tenant_daily_usage u SET messages = u.messages - 1
WHERE u.tenant_id = @tenant_id AND u.day = @day AND u.messages > 0
  AND u.shard = (SELECT g.shard FROM tenant_daily_usage g
                 WHERE g.tenant_id = @tenant_id AND g.day = @day AND g.messages > 0
                 ORDER BY g.shard LIMIT 1);

-- name: MessageInsert :one
INSERT INTO messages (id, tenant_id, session_id, direction, wa_id, chat_jid, phone, kind, body, media_id,
                      file_name, voice_note, detail, reply_to, queue, status, send_at, expires_at, quota_day,
                      queued_at, checked_at)
VALUES (@id, @tenant_id, @session_id, 'out', @wa_id, @chat_jid, @phone, @kind, @body, @media_id,
        @file_name, @voice_note, @detail, @reply_to, @queue, @status, @send_at, @expires_at, @quota_day,
        @queued_at, now())
RETURNING *;

-- name: MessageGet :one
SELECT * FROM messages WHERE tenant_id = @tenant_id AND id = @id;

-- name: MessageFindForReply :one
-- The message a reply quotes: by our id or its WhatsApp id, in the same session.
SELECT * FROM messages
WHERE tenant_id = @tenant_id AND session_id = @session_id AND (id::text = sqlc.arg(ref)::text OR wa_id = sqlc.arg(ref)::text)
LIMIT 1;

-- name: MessageList :many
-- Newest first, by id (UUIDv7: the order of creation); before_id is the cursor.
SELECT * FROM messages
WHERE tenant_id = @tenant_id
  AND (sqlc.narg(session_id)::uuid IS NULL OR session_id = sqlc.narg(session_id))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(direction)::text IS NULL OR direction = sqlc.narg(direction))
  AND (sqlc.narg(since)::timestamptz IS NULL OR created_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR created_at < sqlc.narg(until))
  AND (sqlc.narg(phone)::text IS NULL OR phone = sqlc.narg(phone))
  AND (sqlc.narg(before_id)::uuid IS NULL OR id < sqlc.narg(before_id))
ORDER BY id DESC
LIMIT @max_rows;

-- name: MessageCancel :one
UPDATE messages SET status = 'canceled', claim_until = NULL, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND status IN ('scheduled', 'queued')
RETURNING *;

-- name: MessageClaim :one
-- Claims a queued message for sending (or one whose earlier claim ran out: the same wa_id goes out
-- again, the documented at-least-once window). Per-recipient order: an earlier unsent message of the
-- same session to the same chat must go first.
UPDATE messages m SET status = 'sending', claim_until = @claim_until, attempts = m.attempts + 1, updated_at = now()
WHERE m.tenant_id = @tenant_id AND m.id = @id
  AND (m.status = 'queued' OR (m.status = 'sending' AND m.claim_until < now()))
  AND NOT EXISTS (
      SELECT 1 FROM messages e
      WHERE e.session_id = m.session_id AND e.chat_jid = m.chat_jid AND e.id < m.id
        AND e.status IN ('queued', 'sending'))
RETURNING *;

-- name: MessageEarlierUnsent :many
-- The earlier unsent message to the same chat that holds this one back, if any.
SELECT e.id, e.status FROM messages e
WHERE e.tenant_id = @tenant_id AND e.session_id = @session_id AND e.chat_jid = @chat_jid AND e.id < @id
  AND e.status IN ('queued', 'sending')
ORDER BY e.id LIMIT 1;

-- name: MessageRequeue :one
-- Back to queued after a transient failure (the error is kept for people to see).
UPDATE messages SET status = 'queued', claim_until = NULL, error_code = @error_code, error_reason = @error_reason,
    updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND status = 'sending'
RETURNING *;

-- name: MessageFail :one
UPDATE messages SET status = 'failed', claim_until = NULL, error_code = @error_code, error_reason = @error_reason,
    failed_at = now(), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND status IN ('queued', 'sending')
RETURNING *;

-- name: MessageExpire :one
UPDATE messages SET status = 'expired', claim_until = NULL, updated_at = now(),
    error_code = 'expired', error_reason = @error_reason
WHERE tenant_id = @tenant_id AND id = @id AND status IN ('queued', 'sending') AND expires_at <= now()
  AND (status = 'queued' OR claim_until < now())
RETURNING *;

-- name: MessageHostMarkSent :one
-- The holder records WhatsApp's ack, fenced by its lease. No row: the lease is lost, or a receipt
-- moved the message on already.
UPDATE messages m SET status = 'sent', sent_at = now(), wa_timestamp = @wa_timestamp, chat_jid = @chat_jid,
    claim_until = NULL, error_code = '', error_reason = '', updated_at = now()
WHERE m.tenant_id = @tenant_id AND m.id = @id AND m.status = 'sending'
  AND EXISTS (SELECT 1 FROM session_leases l
              WHERE l.session_id = m.session_id AND l.instance_id = @instance_id AND l.fence = @fence
                AND l.expires_at > now())
RETURNING *;

-- name: MessageRecentSendTimes :many
-- When the session's latest messages went out: a new holder seeds its pacing gate with them.
SELECT sent_at::timestamptz FROM messages
WHERE tenant_id = @tenant_id AND session_id = @session_id AND direction = 'out' AND sent_at IS NOT NULL
  AND sent_at > now() - interval '2 minutes'
ORDER BY sent_at DESC LIMIT @max_rows;

-- name: MessageMarkDelivered :many
UPDATE messages SET status = 'delivered', delivered_at = coalesce(delivered_at, @at), sent_at = coalesce(sent_at, @at),
    claim_until = NULL, updated_at = now()
WHERE tenant_id = @tenant_id AND session_id = @session_id AND direction = 'out' AND wa_id = ANY(@wa_ids::text[])
  AND status IN ('sending', 'sent')
RETURNING *;

-- name: MessageMarkRead :many
UPDATE messages SET status = 'read', read_at = coalesce(read_at, @at), delivered_at = coalesce(delivered_at, @at),
    sent_at = coalesce(sent_at, @at), claim_until = NULL, updated_at = now()
WHERE tenant_id = @tenant_id AND session_id = @session_id AND direction = 'out' AND wa_id = ANY(@wa_ids::text[])
  AND status IN ('sending', 'sent', 'delivered')
RETURNING *;

-- name: MessageInsertInbound :one
-- A received message (or one sent from the phone itself). WhatsApp redelivers until acked: a second
-- copy changes nothing (no row).
INSERT INTO messages (id, tenant_id, session_id, direction, wa_id, chat_jid, phone, sender_jid, sender_alt,
                      push_name, from_me, kind, body, media_id, file_name, detail, reply_to, status,
                      wa_timestamp, sent_at, checked_at)
VALUES (@id, @tenant_id, @session_id, @direction, @wa_id, @chat_jid, @phone, @sender_jid, @sender_alt,
        @push_name, @from_me, @kind, @body, @media_id, @file_name, @detail, @reply_to, @status,
        @wa_timestamp, @sent_at, now())
ON CONFLICT (session_id, wa_id) DO NOTHING
RETURNING *;

-- name: MessageSetReaction :one
UPDATE messages SET reaction = @reaction, updated_at = now()
WHERE tenant_id = @tenant_id AND session_id = @session_id AND wa_id = @wa_id
RETURNING *;

-- name: MessageSetEdited :one
UPDATE messages SET body = @body, edited_at = @at, updated_at = now()
WHERE tenant_id = @tenant_id AND session_id = @session_id AND wa_id = @wa_id
RETURNING *;

-- name: MessageSetRevoked :one
UPDATE messages SET revoked_at = @at, updated_at = now()
WHERE tenant_id = @tenant_id AND session_id = @session_id AND wa_id = @wa_id
RETURNING *;

-- name: MessagePromoteDue :many
-- tenant: global (the promoter queues every tenant's due scheduled messages; each row keeps its tenant)
UPDATE messages SET status = 'queued', queued_at = now(), checked_at = now(), updated_at = now()
WHERE id IN (SELECT id FROM messages WHERE status = 'scheduled' AND send_at <= now()
             ORDER BY send_at LIMIT @max_rows FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: MessageSweepPending :many
-- tenant: global (the sweeper makes sure every tenant's unsent messages have a task: rows not looked at
-- since checked_before get their task enqueued again, an existing task is left as it is)
UPDATE messages SET checked_at = now()
WHERE id IN (SELECT c.id FROM messages c WHERE c.status IN ('queued', 'sending') AND c.checked_at < @checked_before
             ORDER BY c.checked_at LIMIT @max_rows FOR UPDATE SKIP LOCKED)
RETURNING id, tenant_id, queue, status;

-- name: MessageExpireDue :many
-- tenant: global (the sweeper expires every tenant's messages whose session stayed down too long)
UPDATE messages SET status = 'expired', claim_until = NULL, updated_at = now(),
    error_code = 'expired', error_reason = @error_reason
WHERE id IN (SELECT id FROM messages WHERE status = 'queued' AND expires_at <= now()
             ORDER BY expires_at LIMIT @max_rows FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: IdempotencyGet :one
SELECT * FROM idempotency_keys WHERE tenant_id = @tenant_id AND key = @key AND expires_at > now();

-- name: IdempotencyPut :exec
INSERT INTO idempotency_keys (tenant_id, key, request_hash, status_code, response, resource_id, expires_at)
VALUES (@tenant_id, @key, @request_hash, @status_code, @response, @resource_id, @expires_at)
ON CONFLICT (tenant_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status_code = EXCLUDED.status_code,
    response = EXCLUDED.response, resource_id = EXCLUDED.resource_id, created_at = now(), expires_at = EXCLUDED.expires_at
WHERE idempotency_keys.expires_at <= now();

-- name: IdempotencyDeleteExpired :execrows
-- tenant: global (housekeeping of every tenant's expired records)
DELETE FROM idempotency_keys WHERE expires_at <= now();

-- name: IdempotencyTryLock :one
-- tenant: global (an advisory lock on the tenant's id and key; it reads no table)
-- Held until the transaction ends: a second request with the same key while the first runs gets
-- false (409) instead of waiting.
SELECT pg_try_advisory_xact_lock(hashtextextended(sqlc.arg(tenant_id)::text || '/' || sqlc.arg(key)::text, 0));

-- name: MessageNextUnsent :many
-- The next queued message of the same session to the same chat, which this one held back.
SELECT e.id, e.queue FROM messages e
WHERE e.tenant_id = @tenant_id AND e.session_id = @session_id AND e.chat_jid = @chat_jid AND e.id > @id
  AND e.status = 'queued'
ORDER BY e.id LIMIT 1;

-- name: MessageGetByWAID :one
SELECT * FROM messages
WHERE tenant_id = @tenant_id AND session_id = @session_id AND wa_id = @wa_id;

-- name: MessageSendContext :one
-- What accepting a message needs, in one round trip: the tenant and its plan, and the session named
-- (NULL columns when it is not the tenant's).
SELECT t.timezone, t.default_country, p.messages_per_day,
       s.id AS session_id, s.device_jid AS session_device_jid, s.deleted_at AS session_deleted_at
FROM tenants t
JOIN plans p ON p.id = t.plan_id
LEFT JOIN wa_sessions s ON s.tenant_id = t.id AND s.id = @session_id
WHERE t.id = @tenant_id;

-- name: MessageAcceptFast :many
-- The whole accept in one statement while the tenant's day is far from its limit: the quota count on
-- a random shard, the row, and its first event. No row back: the day is near its limit (or over
-- it), and the caller takes the exact path.
WITH used AS (
    SELECT coalesce(sum(u.messages), 0) AS n FROM tenant_daily_usage u
    WHERE u.tenant_id = @tenant_id AND u.day = @quota_day::date
), ok AS (
    -- the plan's limit read here, not passed in: a plan changed a moment ago applies at once
    SELECT 1 AS one FROM used, tenants t JOIN plans p ON p.id = t.plan_id
    WHERE t.id = @tenant_id AND used.n + sqlc.arg(margin)::integer < p.messages_per_day
), counted AS (
    INSERT INTO tenant_daily_usage (tenant_id, day, shard, messages)
    SELECT @tenant_id, @quota_day::date, sqlc.arg(shard)::smallint, 1 FROM ok
    ON CONFLICT (tenant_id, day, shard) DO UPDATE SET messages = tenant_daily_usage.messages + 1
    RETURNING 1
), m AS (
    INSERT INTO messages (id, tenant_id, session_id, direction, wa_id, chat_jid, phone, kind, body, media_id,
                          file_name, voice_note, detail, reply_to, queue, status, send_at, expires_at, quota_day,
                          queued_at, checked_at)
    SELECT @id, @tenant_id, @session_id, 'out', @wa_id, @chat_jid, @phone, @kind, @body, @media_id,
           @file_name, @voice_note, @detail, @reply_to, @queue, @status, @send_at, @expires_at, @quota_day::date,
           @queued_at, now()
    FROM ok
    RETURNING *
), ev AS (
    INSERT INTO events (tenant_id, session_id, message_id, type, status, payload)
    SELECT m.tenant_id, m.session_id, m.id, 'message.status', m.status, @event_payload FROM m
)
SELECT * FROM m;

-- name: MessageHostFail :one
-- The holder records a refusal that retrying cannot fix, fenced by its lease like MessageHostMarkSent.
UPDATE messages m SET status = 'failed', claim_until = NULL, error_code = @error_code, error_reason = @error_reason,
    failed_at = now(), updated_at = now()
WHERE m.tenant_id = @tenant_id AND m.id = @id AND m.status IN ('queued', 'sending')
  AND EXISTS (SELECT 1 FROM session_leases l
              WHERE l.session_id = m.session_id AND l.instance_id = @instance_id AND l.fence = @fence
                AND l.expires_at > now())
RETURNING *;

-- name: MessageHostRequeue :one
-- The holder puts a message it did not send back to queued (a transient failure, a pacing wait),
-- fenced by its lease like MessageHostMarkSent: a holder that lost the session changes nothing.
UPDATE messages m SET status = 'queued', claim_until = NULL, error_code = @error_code, error_reason = @error_reason,
    updated_at = now()
WHERE m.tenant_id = @tenant_id AND m.id = @id AND m.status = 'sending'
  AND EXISTS (SELECT 1 FROM session_leases l
              WHERE l.session_id = m.session_id AND l.instance_id = @instance_id AND l.fence = @fence
                AND l.expires_at > now())
RETURNING *;
