-- name: PasswordResetInsertForUser :one
INSERT INTO password_resets (id, tenant_id, user_id, token_hash, expires_at)
VALUES (@id, @tenant_id, @user_id, @token_hash, @expires_at)
RETURNING *;

-- name: PasswordResetInsertForOperator :one
-- tenant: global (operators belong to no tenant)
INSERT INTO password_resets (id, operator_id, token_hash, expires_at)
VALUES (@id, @operator_id, @token_hash, @expires_at)
RETURNING *;

-- name: PasswordResetGetByToken :one
-- tenant: global (the token in the link is the only thing the visitor holds)
SELECT * FROM password_resets WHERE token_hash = @token_hash AND used_at IS NULL AND expires_at > now();

-- name: PasswordResetUse :execrows
-- tenant: global (id came from the token lookup above)
UPDATE password_resets SET used_at = now() WHERE id = @id AND used_at IS NULL;

-- name: PasswordResetUseAllForUser :exec
-- A new password ends every reset link still open for the account.
UPDATE password_resets SET used_at = now()
WHERE tenant_id = @tenant_id AND user_id = @user_id AND used_at IS NULL;
