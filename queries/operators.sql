-- tenant: global (operators are the platform's staff)

-- name: OperatorInsert :one
INSERT INTO operators (id, email, name, password_hash) VALUES (@id, @email, @name, @password_hash)
RETURNING *;

-- name: OperatorCount :one
SELECT count(*) FROM operators;

-- name: OperatorGet :one
SELECT * FROM operators WHERE id = @id;

-- name: OperatorGetByEmail :one
SELECT * FROM operators WHERE email = @email;

-- name: OperatorList :many
SELECT * FROM operators ORDER BY created_at;

-- name: OperatorSetPassword :exec
UPDATE operators SET password_hash = @password_hash, password_changed_at = now() WHERE id = @id;

-- name: OperatorSetLastLogin :exec
UPDATE operators SET last_login_at = now() WHERE id = @id;

-- name: OperatorSetTOTP :exec
UPDATE operators SET totp_secret = @totp_secret,
    totp_enabled_at = CASE WHEN @totp_secret::bytea IS NULL THEN NULL ELSE now() END
WHERE id = @id;
