-- +goose Up
-- Messaging (issue 5): media files, messages in both directions, the idempotency records of POSTs,
-- the per-tenant daily quota counters, and the events outbox every status change writes into.

-- media: a tenant's stored files (uploads, files fetched from a URL for a send, inbound media). The
-- bytes live in S3 (or MEDIA_DIR) under storage_key = tenants/<tenant>/media/<id>; a row in state
-- 'pending' is inbound media whose bytes are still to be fetched from WhatsApp (download_handle).
CREATE TABLE media (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    storage_key     text NOT NULL,
    mime            text NOT NULL,
    size_bytes      bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    sha256          bytea,
    file_name       text NOT NULL DEFAULT '',
    source          text NOT NULL CHECK (source IN ('upload', 'url', 'inbound')),
    state           text NOT NULL DEFAULT 'stored' CHECK (state IN ('pending', 'stored', 'failed')),
    session_id      uuid,                             -- inbound: the session whose driver can fetch it
    download_handle bytea,                            -- inbound: the driver's opaque handle
    error           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_tenant_idx ON media (tenant_id, created_at DESC, id);
CREATE INDEX media_pending_idx ON media (session_id, created_at) WHERE state = 'pending';

-- messages: one row per message, sent or received. Outbound rows are written before the API answers
-- 202 (invariant 1) with the WhatsApp id fixed at insert (wa_id, reused on every retry, invariant 4).
-- Lifecycle: scheduled → queued → sending → sent → delivered → read, or failed / canceled / expired.
CREATE TABLE messages (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session_id     uuid NOT NULL REFERENCES wa_sessions (id) ON DELETE CASCADE,
    direction      text NOT NULL CHECK (direction IN ('out', 'in')),
    wa_id          text NOT NULL,
    -- the other party: for outbound the recipient (as asked, canonical once WhatsApp answered), for
    -- inbound the chat (a group, or the sender; may be a LID)
    chat_jid       text NOT NULL,
    phone          text NOT NULL DEFAULT '',          -- E.164 of the other party when known ('' for groups)
    sender_jid     text NOT NULL DEFAULT '',          -- inbound: who wrote it (in groups, the participant)
    sender_alt     text NOT NULL DEFAULT '',          -- inbound: the sender's other address (LID ↔ phone)
    push_name      text NOT NULL DEFAULT '',
    from_me        boolean NOT NULL DEFAULT false,    -- outbound rows that were sent from the phone itself
    kind           text NOT NULL CHECK (kind IN ('text', 'image', 'video', 'audio', 'document', 'sticker',
                                                 'location', 'contact', 'unknown')),
    body           text NOT NULL DEFAULT '',          -- text, or a media message's caption
    media_id       uuid REFERENCES media (id) ON DELETE SET NULL,
    file_name      text NOT NULL DEFAULT '',
    voice_note     boolean NOT NULL DEFAULT false,
    detail         jsonb,                             -- location or contact card
    reply_to       text NOT NULL DEFAULT '',          -- wa_id of the quoted message
    queue          text NOT NULL DEFAULT 'interactive' CHECK (queue IN ('interactive', 'bulk')),
    status         text NOT NULL CHECK (status IN ('scheduled', 'queued', 'sending', 'sent', 'delivered',
                                                   'read', 'failed', 'canceled', 'expired', 'received')),
    error_code     text NOT NULL DEFAULT '',
    error_reason   text NOT NULL DEFAULT '',
    attempts       integer NOT NULL DEFAULT 0,
    send_at        timestamptz,                       -- scheduled: not before
    expires_at     timestamptz,                       -- outbound: expired when still unsent by then
    claim_until    timestamptz,                       -- sending: the worker's claim; past it, retried (same wa_id)
    checked_at     timestamptz NOT NULL DEFAULT now(),-- the sweeper last made sure a task exists
    quota_day      date,                              -- the tenant's day it was counted on
    reaction       text NOT NULL DEFAULT '',          -- the latest reaction to it
    edited_at      timestamptz,
    revoked_at     timestamptz,
    wa_timestamp   timestamptz,                       -- WhatsApp's time of the message (inbound) or of its ack
    queued_at      timestamptz,
    sent_at        timestamptz,
    delivered_at   timestamptz,
    read_at        timestamptz,
    failed_at      timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- receipts, reactions and redelivered inbound messages find their row by WhatsApp id
CREATE UNIQUE INDEX messages_session_wa_id_key ON messages (session_id, wa_id);
CREATE INDEX messages_tenant_idx ON messages (tenant_id, id DESC);
CREATE INDEX messages_session_idx ON messages (tenant_id, session_id, id DESC);
CREATE INDEX messages_phone_idx ON messages (tenant_id, phone, id DESC) WHERE phone <> '';
-- per-recipient order: the earlier unsent messages to the same chat
CREATE INDEX messages_unsent_chat_idx ON messages (session_id, chat_jid, id) WHERE status IN ('queued', 'sending');
CREATE INDEX messages_scheduled_idx ON messages (send_at) WHERE status = 'scheduled';
CREATE INDEX messages_pending_idx ON messages (checked_at) WHERE status IN ('queued', 'sending');

-- idempotency_keys: the first response to a POST with an Idempotency-Key, kept 24 h per tenant.
CREATE TABLE idempotency_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,                     -- SHA-256 of method, path and body
    status_code   integer NOT NULL,
    response      bytea NOT NULL,                     -- the first response body, byte for byte
    resource_id   uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- tenant_daily_usage counts accepted messages per tenant and day (the tenant's own day), in shards: the
-- daily quota is checked and counted in the transaction that accepts a message (invariant 5), and a
-- single counter row would make every accept of a tenant wait for the previous one's commit. Far from
-- the limit an accept adds to a random shard; near it, accepts take turns on shard 0 and count exactly
-- (internal/message, quota.go).
CREATE TABLE tenant_daily_usage (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day       date NOT NULL,
    shard     smallint NOT NULL CHECK (shard >= 0),
    messages  integer NOT NULL DEFAULT 0 CHECK (messages >= 0),
    PRIMARY KEY (tenant_id, day, shard)
);

-- events is the outbox of what happened (message status changes, inbound messages, updates), written
-- in the transaction of the change. Live portal updates are fed from it; webhooks will be.
CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    session_id  uuid,
    message_id  uuid,
    type        text NOT NULL,                        -- message.status, message.received, message.updated
    status      text NOT NULL DEFAULT '',
    payload     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_message_idx ON events (tenant_id, message_id, id) WHERE message_id IS NOT NULL;
CREATE INDEX events_created_idx ON events (created_at);

-- +goose Down
DROP TABLE events;
DROP TABLE tenant_daily_usage;
DROP TABLE idempotency_keys;
DROP TABLE messages;
DROP TABLE media;
