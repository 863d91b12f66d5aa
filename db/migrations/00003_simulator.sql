-- +goose Up
-- The WhatsApp simulator's "server side" (WA_DRIVER=simulator, internal/whatsapp/simulator): what
-- WhatsApp's servers would know about linked devices, their connections, the messages they sent and
-- the pairings in progress. Every wagate process on this database shares it, so a second connection
-- from another process replaces the first, as on WhatsApp, and tests can read afterwards what happened.
-- None of it is tenant data: the simulator stands where WhatsApp stands (it is keyed by the session id
-- the device was linked for, never by tenant). With the whatsmeow driver these tables stay empty.

-- sim_accounts: one linked device per session that was ever paired.
CREATE TABLE sim_accounts (
    session_id      uuid PRIMARY KEY,
    phone           text NOT NULL,                 -- international digits
    device          text NOT NULL,                 -- device JID, <phone>:<device_no>@s.whatsapp.net
    device_no       integer NOT NULL CHECK (device_no > 0),
    lid             text NOT NULL,                 -- the account's hidden-user address, <digits>@lid
    push_name       text NOT NULL,
    -- paired: linked; logged_out: unlinked on WhatsApp (keys void); deleted: keys wiped on our side.
    state           text NOT NULL CHECK (state IN ('paired', 'logged_out', 'deleted')),
    -- own (Driver.Logout) or remote (from the phone, or by WhatsApp); a remote logout is reported
    -- once as LoggedOut{OnConnect: true} by the next login attempt, as WhatsApp does.
    logout_reason   text NOT NULL DEFAULT '' CHECK (logout_reason IN ('', 'own', 'remote')),
    logout_reported boolean NOT NULL DEFAULT false,
    banned_until    timestamptz,                   -- temporary ban ('infinity' until lifted by hand)
    ban_code        integer NOT NULL DEFAULT 0,    -- WhatsApp's reason (101 …)
    -- a one-shot refusal of the next login: 405 client outdated, or another connect failure code
    refuse_code     integer NOT NULL DEFAULT 0,
    refuse_message  text NOT NULL DEFAULT '',
    paired_at       timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sim_accounts_phone_idx ON sim_accounts (phone);

-- sim_numbers overrides the default rule of which numbers are on WhatsApp. Without a row, a number is on
-- WhatsApp unless it ends in 0000 (the documented test hook), and its canonical JID is itself.
CREATE TABLE sim_numbers (
    phone         text PRIMARY KEY,                -- international digits, as asked
    on_whatsapp   boolean NOT NULL,
    canonical     text NOT NULL DEFAULT '',        -- digits WhatsApp answers with ('' = the number itself)
    verified_name text NOT NULL DEFAULT ''
);

-- sim_groups: the groups each linked account is in.
CREATE TABLE sim_groups (
    session_id    uuid NOT NULL,
    jid           text NOT NULL,
    name          text NOT NULL,
    participants  integer NOT NULL DEFAULT 2 CHECK (participants > 0),
    announce_only boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, jid)
);

-- sim_connections records every logged-in connection: who opened it (the holder's lease counter and
-- instance), its heartbeats and how it ended. At most one per session is live, as on WhatsApp: a new
-- one ends the live one as "replaced" (its holder was still heartbeating) or "heartbeat_lost" (it was
-- not); a reconnect by the same holder (same process and fence) after its own link died ends the old
-- one as "closed". Invariant 3's test reads these rows: no connection may end "replaced" while its holder's lease
-- was still valid.
CREATE TABLE sim_connections (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id   uuid NOT NULL,
    device       text NOT NULL,
    fence        bigint NOT NULL,                  -- SessionRef.Fence of the holder
    instance     text NOT NULL DEFAULT '',         -- the holder's instance, when it said
    process      text NOT NULL,                    -- the Connector that opened it (one per process)
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    frozen       boolean NOT NULL DEFAULT false,   -- test hook: the link is silently dead
    ended_at     timestamptz,
    -- closed: the holder disconnected; replaced: another connection logged in while this one was
    -- alive; heartbeat_lost: this one had stopped heartbeating (its process died or its network went);
    -- logged_out: the device was unlinked or deleted; banned: a temporary ban; dropped: WhatsApp closed
    -- the socket (an injected Disconnected).
    end_reason   text CHECK (end_reason IN ('closed', 'replaced', 'heartbeat_lost', 'logged_out', 'banned', 'dropped')),
    end_detail   text NOT NULL DEFAULT '',
    end_code     integer NOT NULL DEFAULT 0,       -- WhatsApp's code for logged_out (401, 403, 406)
    replaced_by  bigint REFERENCES sim_connections (id), -- the connection whose login ended this one
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE UNIQUE INDEX sim_connections_one_live ON sim_connections (session_id) WHERE ended_at IS NULL;
CREATE INDEX sim_connections_session_idx ON sim_connections (session_id, id);

-- sim_sent records every send WhatsApp accepted, with the connection it went out on. Deliberately NOT
-- unique on (session_id, message_id): a message sent twice is recorded twice, so tests can count
-- duplicates (invariant 4).
CREATE TABLE sim_sent (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id    uuid NOT NULL,
    connection_id bigint NOT NULL REFERENCES sim_connections (id),
    fence         bigint NOT NULL,
    message_id    text NOT NULL,
    to_jid        text NOT NULL,
    kind          text NOT NULL,
    body          text NOT NULL DEFAULT '',        -- the text, or a media message's caption
    file_name     text NOT NULL DEFAULT '',
    voice_note    boolean NOT NULL DEFAULT false,
    media_mime    text NOT NULL DEFAULT '',
    media_size    bigint NOT NULL DEFAULT 0,
    media_sha256  bytea,
    reply_to      text NOT NULL DEFAULT '',
    detail        jsonb,                           -- location or contact card
    sent_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sim_sent_session_idx ON sim_sent (session_id, message_id);

-- sim_inbox queues what WhatsApp delivers to a session: injected inbound events and the receipts of its
-- sends, each due at deliver_at. The live holder takes due rows in order and deletes a row only after
-- its handler returned nil (at-least-once, like WhatsApp with synchronous acks); a failed delivery is
-- retried later.
CREATE TABLE sim_inbox (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id uuid NOT NULL,
    kind       text NOT NULL,
    payload    jsonb NOT NULL,
    deliver_at timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sim_inbox_due_idx ON sim_inbox (session_id, deliver_at, id);

-- sim_media holds inbound media bytes, fetched by Driver.Download with the message's handle.
CREATE TABLE sim_media (
    id         uuid PRIMARY KEY,
    session_id uuid NOT NULL,
    mime       text NOT NULL,
    file_name  text NOT NULL DEFAULT '',
    data       bytea NOT NULL,
    sha256     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- sim_send_failures: errors the next sends of a session return (test hook FailNext), oldest first.
CREATE TABLE sim_send_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('sentinel', 'server', 'rate_limited', 'other')),
    name        text NOT NULL DEFAULT '',          -- sentinel: the whatsapp.Err… name
    code        integer NOT NULL DEFAULT 0,        -- server: WhatsApp's error code
    retry_after_ms bigint NOT NULL DEFAULT 0,      -- rate_limited
    message     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sim_send_failures_session_idx ON sim_send_failures (session_id, id);

-- sim_pairings: a pairing in progress (one per session; a new Pair replaces it). QR pairings are
-- confirmed by a "scan", code pairings by entering the code; the driver that owns the pairing (token)
-- polls its row and completes the login.
CREATE TABLE sim_pairings (
    session_id      uuid PRIMARY KEY,
    token           uuid NOT NULL,
    method          text NOT NULL CHECK (method IN ('qr', 'code')),
    phone           text NOT NULL DEFAULT '',      -- code: the number that asked for the code
    code            text NOT NULL DEFAULT '',      -- code: 8 characters, without the dash
    qr              text NOT NULL DEFAULT '',      -- qr: the code shown right now
    started_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    confirmed_phone text NOT NULL DEFAULT '',
    confirmed_at    timestamptz
);

-- +goose Down
DROP TABLE sim_pairings;
DROP TABLE sim_send_failures;
DROP TABLE sim_media;
DROP TABLE sim_inbox;
DROP TABLE sim_sent;
DROP TABLE sim_connections;
DROP TABLE sim_groups;
DROP TABLE sim_numbers;
DROP TABLE sim_accounts;
