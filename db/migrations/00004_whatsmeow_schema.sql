-- +goose Up
-- whatsmeow keeps each session's device and Signal keys in 15 whatsmeow_* tables that its own
-- sqlstore.Upgrade creates and migrates (internal/whatsapp/whatsmeow runs it, under goose's advisory
-- lock). They live in this schema and nowhere else: whatsmeow's "table exists" check ignores the
-- schema, so a second copy elsewhere would confuse it. whatsmeow creates no schema itself, hence this
-- migration. Our own queries never touch these tables.
CREATE SCHEMA IF NOT EXISTS whatsmeow;

-- +goose Down
-- No CASCADE: refuse to drop the schema while it still holds device keys.
DROP SCHEMA IF EXISTS whatsmeow;
