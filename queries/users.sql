-- name: UserInsert :one
INSERT INTO users (id, tenant_id, email, name, role, password_hash)
VALUES (@id, @tenant_id, @email, @name, @role, @password_hash)
RETURNING *;

-- name: UserGetByEmailForLogin :one
-- tenant: global (logging in is how we learn the tenant; email is unique across the platform)
SELECT sqlc.embed(u), t.status AS tenant_status
FROM users u JOIN tenants t ON t.id = u.tenant_id
WHERE u.email = @email;

-- name: UserGetForLogin :one
-- tenant: global (a login cookie names only the user; its tenant comes from this row)
SELECT sqlc.embed(u), t.status AS tenant_status, t.name AS tenant_name, t.suspended_reason
FROM users u JOIN tenants t ON t.id = u.tenant_id
WHERE u.id = @id;

-- name: UserGet :one
SELECT * FROM users WHERE tenant_id = @tenant_id AND id = @id;

-- name: UserEmailExists :one
-- tenant: global (emails are unique across the platform)
SELECT EXISTS (SELECT 1 FROM users WHERE email = @email)::boolean;

-- name: UserListByTenant :many
SELECT * FROM users WHERE tenant_id = @tenant_id ORDER BY created_at;

-- name: UserSetRole :one
UPDATE users SET role = @role WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: UserDelete :execrows
DELETE FROM users WHERE tenant_id = @tenant_id AND id = @id;

-- name: UserSetPassword :exec
UPDATE users SET password_hash = @password_hash, password_changed_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: UserSetLastLogin :exec
UPDATE users SET last_login_at = now() WHERE tenant_id = @tenant_id AND id = @id;

-- name: UserSetTOTP :exec
-- A null secret turns two-factor off.
UPDATE users SET totp_secret = @totp_secret,
    totp_enabled_at = CASE WHEN @totp_secret::bytea IS NULL THEN NULL ELSE now() END
WHERE tenant_id = @tenant_id AND id = @id;

-- name: UserLockForUpdate :many
-- Locks the tenant's users so that "a tenant always keeps one owner" holds under concurrent changes.
SELECT id, role FROM users WHERE tenant_id = @tenant_id ORDER BY id FOR UPDATE;
