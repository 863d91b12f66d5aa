-- +goose Up
CREATE EXTENSION IF NOT EXISTS citext;

-- plans are the platform's offers; every tenant has one. Limits are per tenant unless named per session.
CREATE TABLE plans (
    id                       uuid PRIMARY KEY,
    name                     text NOT NULL,
    max_sessions             integer NOT NULL CHECK (max_sessions >= 0),
    messages_per_day         integer NOT NULL CHECK (messages_per_day >= 0),
    send_rate_per_minute     integer NOT NULL CHECK (send_rate_per_minute > 0),  -- per session
    delay_min_ms             integer NOT NULL CHECK (delay_min_ms >= 0),         -- random delay after each send
    delay_max_ms             integer NOT NULL CHECK (delay_max_ms >= delay_min_ms),
    max_campaign_size        integer NOT NULL CHECK (max_campaign_size >= 0),
    max_media_bytes          bigint NOT NULL CHECK (max_media_bytes >= 0),
    storage_quota_bytes      bigint NOT NULL CHECK (storage_quota_bytes >= 0),
    api_requests_per_minute  integer NOT NULL CHECK (api_requests_per_minute > 0),
    max_webhook_endpoints    integer NOT NULL CHECK (max_webhook_endpoints >= 0),
    is_default               boolean NOT NULL DEFAULT false,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX plans_name_key ON plans (lower(name));
-- exactly one default plan at most; new tenants get it
CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default;

INSERT INTO plans (id, name, max_sessions, messages_per_day, send_rate_per_minute, delay_min_ms, delay_max_ms,
                   max_campaign_size, max_media_bytes, storage_quota_bytes, api_requests_per_minute,
                   max_webhook_endpoints, is_default)
VALUES ('01900000-0000-7000-8000-000000000001', 'Starter', 2, 1000, 20, 1000, 3000,
        1000, 16777216, 1073741824, 120, 2, true);

CREATE TABLE tenants (
    id               uuid PRIMARY KEY,
    name             text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'active', 'suspended')),
    plan_id          uuid NOT NULL REFERENCES plans (id),
    timezone         text NOT NULL DEFAULT 'UTC',
    default_country  text NOT NULL DEFAULT 'US' CHECK (default_country ~ '^[A-Z]{2}$'),
    suspended_reason text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_created_at_idx ON tenants (created_at DESC);
CREATE INDEX tenants_name_idx ON tenants (lower(name));

-- users are tenant members; one tenant per user, email unique across the platform.
CREATE TABLE users (
    id                  uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email               citext NOT NULL UNIQUE,
    name                text NOT NULL,
    role                text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    password_hash       text NOT NULL,
    totp_secret         bytea,              -- encrypted with a key derived from SECRET_KEY
    totp_enabled_at     timestamptz,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    last_login_at       timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_tenant_idx ON users (tenant_id, created_at);

-- operators are the platform's staff, never tenant members. 2FA is required before they may act.
CREATE TABLE operators (
    id                  uuid PRIMARY KEY,
    email               citext NOT NULL UNIQUE,
    name                text NOT NULL,
    password_hash       text NOT NULL,
    totp_secret         bytea,
    totp_enabled_at     timestamptz,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    last_login_at       timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE invitations (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email       citext NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'member')),
    token_hash  bytea NOT NULL UNIQUE,     -- SHA-256 of the link's token; the token itself is never stored
    invited_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX invitations_tenant_idx ON invitations (tenant_id, created_at DESC);
-- one open invitation per address in a tenant
CREATE UNIQUE INDEX invitations_open_key ON invitations (tenant_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- password_resets hold one-time links (by mail, or made by an owner or operator for someone else).
CREATE TABLE password_resets (
    id          uuid PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants (id) ON DELETE CASCADE,  -- null for operators
    user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
    operator_id uuid REFERENCES operators (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    CHECK ((user_id IS NULL) <> (operator_id IS NULL))
);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,           -- shown in lists: wg_ and the first characters of the secret
    secret_hash  bytea NOT NULL UNIQUE,   -- SHA-256 of the whole key; the key is shown once, never stored
    scopes       text[] NOT NULL,
    session_ids  uuid[],                  -- null: every session of the tenant
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at DESC);

-- audit_log is append-only: a trigger refuses UPDATE and DELETE.
CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants (id) ON DELETE SET NULL,  -- null: platform events
    actor_type  text NOT NULL CHECK (actor_type IN ('user', 'operator', 'api_key', 'system', 'anonymous')),
    actor_id    uuid,
    actor_email text NOT NULL DEFAULT '',
    action      text NOT NULL,
    target_type text NOT NULL DEFAULT '',
    target_id   text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, created_at DESC, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, created_at DESC);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- ON DELETE SET NULL from tenants is the one permitted change: it keeps the record.
    IF TG_OP = 'UPDATE' AND NEW.tenant_id IS NULL AND OLD.tenant_id IS NOT NULL
       AND NEW.action = OLD.action AND NEW.created_at = OLD.created_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- platform_settings is a single row of operator choices.
CREATE TABLE platform_settings (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    signup_mode text NOT NULL DEFAULT 'open' CHECK (signup_mode IN ('open', 'approval', 'invite')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO platform_settings DEFAULT VALUES;

-- sessions is scs's pgxstore table of web logins (the name is scs's; WhatsApp sessions are wa_sessions).
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- +goose Down
DROP TABLE sessions;
DROP TABLE platform_settings;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE api_keys;
DROP TABLE password_resets;
DROP TABLE invitations;
DROP TABLE operators;
DROP TABLE users;
DROP TABLE tenants;
DROP TABLE plans;
