-- tenant: global (operator choices for the whole platform)

-- name: SettingsGet :one
SELECT * FROM platform_settings;

-- name: SettingsSetSignupMode :one
UPDATE platform_settings SET signup_mode = @signup_mode, updated_at = now()
RETURNING *;
