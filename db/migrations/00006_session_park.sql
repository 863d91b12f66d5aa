-- +goose Up
-- An operator's force disconnect (console): the holder disconnects the session and parks it until
-- someone reconnects it.
ALTER TABLE wa_sessions DROP CONSTRAINT wa_sessions_intent_check;
ALTER TABLE wa_sessions ADD CONSTRAINT wa_sessions_intent_check
    CHECK (intent IN ('', 'pair', 'reconnect', 'logout', 'delete', 'park'));

-- +goose Down
ALTER TABLE wa_sessions DROP CONSTRAINT wa_sessions_intent_check;
ALTER TABLE wa_sessions ADD CONSTRAINT wa_sessions_intent_check
    CHECK (intent IN ('', 'pair', 'reconnect', 'logout', 'delete'));
