-- name: InvitationInsert :one
INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at)
VALUES (@id, @tenant_id, @email, @role, @token_hash, @invited_by, @expires_at)
RETURNING *;

-- name: InvitationListOpen :many
SELECT i.*, coalesce(u.email, '')::text AS invited_by_email
FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
WHERE i.tenant_id = @tenant_id AND i.accepted_at IS NULL AND i.revoked_at IS NULL
ORDER BY i.created_at DESC;

-- name: InvitationGetByToken :one
-- tenant: global (the token in the link is how an invitee, not yet a member, is recognised)
SELECT sqlc.embed(i), t.name AS tenant_name, t.status AS tenant_status
FROM invitations i JOIN tenants t ON t.id = i.tenant_id
WHERE i.token_hash = @token_hash AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now();

-- name: InvitationAccept :execrows
UPDATE invitations SET accepted_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND accepted_at IS NULL AND revoked_at IS NULL;

-- name: InvitationRevoke :execrows
UPDATE invitations SET revoked_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND accepted_at IS NULL AND revoked_at IS NULL;

-- name: InvitationRevokeOpenForEmail :exec
UPDATE invitations SET revoked_at = now()
WHERE tenant_id = @tenant_id AND email = @email AND accepted_at IS NULL AND revoked_at IS NULL;
