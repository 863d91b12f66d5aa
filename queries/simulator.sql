-- tenant: global (the WhatsApp simulator's server side: it stands where WhatsApp's servers stand and
-- knows sessions by id, never tenants; see db/migrations/00003_simulator.sql)

-- name: SimAccountGet :one
SELECT * FROM sim_accounts WHERE session_id = @session_id;

-- name: SimAccountGetForUpdate :one
-- Serialises logins, logouts and bans of one account across processes.
SELECT * FROM sim_accounts WHERE session_id = @session_id FOR UPDATE;

-- name: SimAccountNextDeviceNo :one
-- Device numbers count up per phone, as each new link of a phone gets the next one.
SELECT (coalesce(max(device_no), 0) + 1)::integer FROM sim_accounts WHERE phone = @phone;

-- name: SimAccountPair :one
-- A new link replaces whatever the session had. A ban belongs to the number, so it survives a re-link of
-- the same phone.
INSERT INTO sim_accounts (session_id, phone, device, device_no, lid, push_name, state)
VALUES (@session_id, @phone, @device, @device_no, @lid, @push_name, 'paired')
ON CONFLICT (session_id) DO UPDATE SET
    phone = EXCLUDED.phone, device = EXCLUDED.device, device_no = EXCLUDED.device_no, lid = EXCLUDED.lid,
    push_name = EXCLUDED.push_name, state = 'paired', logout_reason = '', logout_reported = false,
    banned_until = CASE WHEN sim_accounts.phone = EXCLUDED.phone THEN sim_accounts.banned_until END,
    ban_code = CASE WHEN sim_accounts.phone = EXCLUDED.phone THEN sim_accounts.ban_code ELSE 0 END,
    refuse_code = 0, refuse_message = '', paired_at = now(), updated_at = now()
RETURNING *;

-- name: SimAccountSetState :execrows
UPDATE sim_accounts
SET state = @state, logout_reason = @logout_reason, logout_reported = false, updated_at = now()
WHERE session_id = @session_id;

-- name: SimAccountLogoutReported :exec
UPDATE sim_accounts SET logout_reported = true, updated_at = now() WHERE session_id = @session_id;

-- name: SimAccountBan :execrows
-- A zero duration is a ban of unknown length: it lasts until SimAccountUnban.
UPDATE sim_accounts
SET banned_until = CASE WHEN @seconds::float8 > 0 THEN now() + make_interval(secs => @seconds::float8)
                        ELSE 'infinity'::timestamptz END,
    ban_code = @ban_code, updated_at = now()
WHERE session_id = @session_id;

-- name: SimAccountUnban :execrows
UPDATE sim_accounts SET banned_until = NULL, ban_code = 0, updated_at = now() WHERE session_id = @session_id;

-- name: SimAccountBanRemaining :one
-- How long the ban has to run, in seconds (0 when unknown or over), by the database's clock.
SELECT CASE WHEN banned_until IS NULL OR banned_until = 'infinity' THEN 0::float8
            ELSE greatest(extract(epoch FROM banned_until - now()), 0)::float8 END AS remaining,
       (banned_until IS NOT NULL AND banned_until > now())::bool AS banned
FROM sim_accounts WHERE session_id = @session_id;

-- name: SimAccountSetRefusal :execrows
UPDATE sim_accounts SET refuse_code = @refuse_code, refuse_message = @refuse_message, updated_at = now()
WHERE session_id = @session_id;

-- name: SimNumberUpsert :exec
INSERT INTO sim_numbers (phone, on_whatsapp, canonical, verified_name)
VALUES (@phone, @on_whatsapp, @canonical, @verified_name)
ON CONFLICT (phone) DO UPDATE SET
    on_whatsapp = EXCLUDED.on_whatsapp, canonical = EXCLUDED.canonical, verified_name = EXCLUDED.verified_name;

-- name: SimNumberList :many
SELECT * FROM sim_numbers WHERE phone = ANY(@phones::text[]);

-- name: SimGroupInsert :exec
INSERT INTO sim_groups (session_id, jid, name, participants, announce_only)
VALUES (@session_id, @jid, @name, @participants, @announce_only);

-- name: SimGroupGet :one
SELECT * FROM sim_groups WHERE session_id = @session_id AND jid = @jid;

-- name: SimGroupListBySession :many
SELECT * FROM sim_groups WHERE session_id = @session_id ORDER BY created_at, jid;

-- name: SimConnectionLiveForUpdate :many
-- The live connection of a session (at most one: sim_connections_one_live), locked while a new login
-- decides how it ended. heartbeat_fresh is judged by the database's clock, shared by every process.
SELECT c.*, (c.heartbeat_at > now() - make_interval(secs => @stale_seconds::float8))::bool AS heartbeat_fresh
FROM sim_connections c
WHERE c.session_id = @session_id AND c.ended_at IS NULL
FOR UPDATE;

-- name: SimConnectionInsert :one
INSERT INTO sim_connections (session_id, device, fence, instance, process)
VALUES (@session_id, @device, @fence, @instance, @process)
RETURNING *;

-- name: SimConnectionEnd :execrows
UPDATE sim_connections SET ended_at = now(), end_reason = @end_reason, end_detail = @end_detail
WHERE id = @id AND ended_at IS NULL;

-- name: SimConnectionEndLive :many
-- Ends the live connection of a session from WhatsApp's side (logout, ban, drop, replacement by a test).
UPDATE sim_connections
SET ended_at = now(), end_reason = @end_reason, end_detail = @end_detail, end_code = @end_code
WHERE session_id = @session_id AND ended_at IS NULL
RETURNING id;

-- name: SimConnectionEndStale :many
-- The sweep: live connections whose holder stopped heartbeating end as heartbeat_lost.
UPDATE sim_connections
SET ended_at = now(), end_reason = 'heartbeat_lost', end_detail = 'no heartbeat since ' || heartbeat_at::text
WHERE ended_at IS NULL AND heartbeat_at < now() - make_interval(secs => @stale_seconds::float8)
RETURNING *;

-- name: SimConnectionSetReplacedBy :exec
UPDATE sim_connections SET replaced_by = @replaced_by WHERE id = @id;

-- name: SimConnectionHeartbeat :execrows
-- A frozen link is silently dead: it stops heartbeating.
UPDATE sim_connections SET heartbeat_at = now() WHERE id = @id AND ended_at IS NULL AND NOT frozen;

-- name: SimConnectionPoll :one
-- What the holder of a connection polls: whether WhatsApp ended it or froze it, and whether the
-- session's inbox has something due.
SELECT c.ended_at, c.end_reason, c.end_detail, c.end_code, c.frozen,
       EXISTS (SELECT 1 FROM sim_inbox i WHERE i.session_id = c.session_id AND i.deliver_at <= now())::bool AS inbox_due
FROM sim_connections c WHERE c.id = @id;

-- name: SimConnectionLockLive :one
-- Taken by a send in its transaction: the send is recorded only on a connection that is still live,
-- and a concurrent login waits for it.
SELECT id FROM sim_connections WHERE id = @id AND ended_at IS NULL FOR SHARE;

-- name: SimConnectionFreeze :many
UPDATE sim_connections SET frozen = true WHERE session_id = @session_id AND ended_at IS NULL RETURNING id;

-- name: SimConnectionListBySession :many
SELECT * FROM sim_connections WHERE session_id = @session_id ORDER BY id;

-- name: SimSentInsert :exec
INSERT INTO sim_sent (session_id, connection_id, fence, message_id, to_jid, kind, body, file_name, voice_note,
                      media_mime, media_size, media_sha256, reply_to, detail)
VALUES (@session_id, @connection_id, @fence, @message_id, @to_jid, @kind, @body, @file_name, @voice_note,
        @media_mime, @media_size, @media_sha256, @reply_to, @detail);

-- name: SimSentListBySession :many
SELECT * FROM sim_sent WHERE session_id = @session_id ORDER BY id;

-- name: SimSentCount :one
SELECT count(*) FROM sim_sent WHERE session_id = @session_id AND message_id = @message_id;

-- name: SimInboxInsert :exec
INSERT INTO sim_inbox (session_id, kind, payload, deliver_at)
VALUES (@session_id, @kind, @payload, now() + make_interval(secs => @delay_seconds::float8));

-- name: SimInboxDue :many
-- Oldest due first: the holder delivers a session's events in the order WhatsApp queued them.
SELECT * FROM sim_inbox
WHERE session_id = @session_id AND deliver_at <= now()
ORDER BY deliver_at, id
LIMIT @max_rows;

-- name: SimInboxAck :execrows
DELETE FROM sim_inbox WHERE id = @id;

-- name: SimInboxRetry :exec
UPDATE sim_inbox SET deliver_at = now() + make_interval(secs => @delay_seconds::float8), attempts = attempts + 1
WHERE id = @id;

-- name: SimInboxDeleteBySession :exec
DELETE FROM sim_inbox WHERE session_id = @session_id;

-- name: SimInboxCount :one
SELECT count(*) FROM sim_inbox WHERE session_id = @session_id;

-- name: SimMediaInsert :exec
INSERT INTO sim_media (id, session_id, mime, file_name, data, sha256)
VALUES (@id, @session_id, @mime, @file_name, @data, @sha256);

-- name: SimMediaGet :one
SELECT * FROM sim_media WHERE id = @id;

-- name: SimFailureInsert :exec
INSERT INTO sim_send_failures (session_id, kind, name, code, retry_after_ms, message)
VALUES (@session_id, @kind, @name, @code, @retry_after_ms, @message);

-- name: SimFailureTake :one
-- Pops the oldest planned failure; two processes sending at once never take the same one.
DELETE FROM sim_send_failures
WHERE id = (SELECT f.id FROM sim_send_failures f WHERE f.session_id = @session_id ORDER BY f.id LIMIT 1
            FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: SimPairingStart :exec
-- A new pairing replaces the session's previous one; the driver that owned it notices its token is gone.
INSERT INTO sim_pairings (session_id, token, method, phone, code, expires_at)
VALUES (@session_id, @token, @method, @phone, @code, now() + make_interval(secs => @window_seconds::float8))
ON CONFLICT (session_id) DO UPDATE SET
    token = EXCLUDED.token, method = EXCLUDED.method, phone = EXCLUDED.phone, code = EXCLUDED.code, qr = '',
    started_at = now(), expires_at = EXCLUDED.expires_at, confirmed_phone = '', confirmed_at = NULL;

-- name: SimPairingGet :one
SELECT * FROM sim_pairings WHERE session_id = @session_id;

-- name: SimPairingSetQR :execrows
UPDATE sim_pairings SET qr = @qr WHERE session_id = @session_id AND token = @token;

-- name: SimPairingConfirm :execrows
-- The phone scanned the QR code or entered the pairing code, within the window and only once.
UPDATE sim_pairings SET confirmed_phone = @phone, confirmed_at = now()
WHERE session_id = @session_id AND token = @token AND confirmed_at IS NULL AND expires_at > now();

-- name: SimPairingFindByQR :one
SELECT * FROM sim_pairings WHERE qr = @qr AND qr <> '';

-- name: SimPairingDelete :execrows
DELETE FROM sim_pairings WHERE session_id = @session_id AND token = @token;

-- name: SimPairingDeleteBySession :exec
DELETE FROM sim_pairings WHERE session_id = @session_id;
