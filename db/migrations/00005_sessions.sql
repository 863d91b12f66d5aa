-- +goose Up
-- wa_sessions are the tenants' linked WhatsApp numbers ("sessions"; the table is not called sessions
-- because scs's login store owns that name). The row holds what a page reload must show (status with
-- its reason in words, the QR code or pairing code on screen right now) and the user's latest intent
-- (intent + intent_seq), which the session host holding the session carries out. The host's own writes
-- are fenced by its lease (see session_leases).
CREATE TABLE wa_sessions (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name              text NOT NULL,
    -- new: never paired (or a pairing window closed); pairing: showing a QR code or pairing code;
    -- connecting; connected; disconnected: link lost, reconnecting with backoff; parked: failed too
    -- often, waits for a user action; logged_out: unlinked, pair again; banned: WhatsApp's temporary
    -- ban; failed: refused in a way retrying cannot fix (client outdated, another client took over …).
    status            text NOT NULL DEFAULT 'new' CHECK (status IN (
                          'new', 'pairing', 'connecting', 'connected', 'disconnected', 'parked',
                          'logged_out', 'banned', 'failed')),
    status_reason     text NOT NULL DEFAULT '',    -- what happened and what to do, for people
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    phone             text NOT NULL DEFAULT '',    -- international digits, once paired
    push_name         text NOT NULL DEFAULT '',
    device_jid        text NOT NULL DEFAULT '',    -- user:device@s.whatsapp.net; '' = not paired
    lid               text NOT NULL DEFAULT '',
    -- pairing on screen: the current QR string or phone pairing code (XXXX-XXXX) and until when it is shown
    pair_method       text NOT NULL DEFAULT '' CHECK (pair_method IN ('', 'qr', 'code')),
    pair_phone        text NOT NULL DEFAULT '',    -- the number a pairing code was requested for
    qr                text NOT NULL DEFAULT '',
    qr_expires_at     timestamptz,
    pair_code         text NOT NULL DEFAULT '',
    pair_code_expires_at timestamptz,
    pair_requested_at timestamptz,
    -- the user's latest request to the holder: pair, reconnect, logout, delete. intent_seq grows with
    -- every request; the holder records the one it carried out in intent_done_seq, so a new holder
    -- knows whether anything is still pending.
    intent            text NOT NULL DEFAULT '' CHECK (intent IN ('', 'pair', 'reconnect', 'logout', 'delete')),
    intent_seq        bigint NOT NULL DEFAULT 0,
    intent_done_seq   bigint NOT NULL DEFAULT 0,
    deleted_at        timestamptz,                 -- delete requested: the holder logs out, wipes keys, removes the row
    connected_at      timestamptz,                 -- the last time it connected
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wa_sessions_tenant_idx ON wa_sessions (tenant_id, created_at, id);

-- wa_session_events is each session's status history, written in the transaction that changes the status.
CREATE TABLE wa_session_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES wa_sessions (id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    status      text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    instance_id uuid,                              -- the holder that wrote it; NULL for a user's action
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wa_session_events_session_idx ON wa_session_events (tenant_id, session_id, id);

-- session_leases decide which instance holds (connects) each session (invariant 3). fence only grows:
-- every new holder gets the previous fence + 1, and a holder's writes check it. A lease is taken only
-- when it has expired (or was released, which sets expires_at to now()); its holder renews it well
-- before and stops its WhatsApp client StopMargin before expires_at when it cannot renew.
CREATE TABLE session_leases (
    session_id  uuid PRIMARY KEY REFERENCES wa_sessions (id) ON DELETE CASCADE,
    instance_id uuid NOT NULL,
    fence       bigint NOT NULL CHECK (fence > 0),
    acquired_at timestamptz NOT NULL DEFAULT now(),
    renewed_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX session_leases_instance_idx ON session_leases (instance_id, expires_at);
CREATE INDEX session_leases_expires_idx ON session_leases (expires_at);

-- session_lease_history keeps every fence a session was ever held under and when that holding ended
-- (released, or expired: then ended_at is the lease's last expires_at), so tests can compare the
-- simulator's connection records with the leases (invariant 3) and operators can see who held what.
CREATE TABLE session_lease_history (
    session_id  uuid NOT NULL REFERENCES wa_sessions (id) ON DELETE CASCADE,
    fence       bigint NOT NULL,
    instance_id uuid NOT NULL,
    acquired_at timestamptz NOT NULL,
    ended_at    timestamptz,                       -- NULL while held
    end_reason  text CHECK (end_reason IN ('released', 'expired')),
    PRIMARY KEY (session_id, fence)
);

-- +goose Down
DROP TABLE session_lease_history;
DROP TABLE session_leases;
DROP TABLE wa_session_events;
DROP TABLE wa_sessions;
