-- +goose Up
-- instances are the running wagate processes. Each registers itself at start, renews heartbeat_at while
-- it lives and deletes its row on graceful shutdown; a row whose heartbeat is stale belongs to a dead process.
-- The session host (placement, leases) and the operator's health page read it.
CREATE TABLE instances (
    id           uuid PRIMARY KEY,
    hostname     text NOT NULL,
    pid          integer NOT NULL,
    version      text NOT NULL,
    roles        text[] NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    draining     boolean NOT NULL DEFAULT false
);

CREATE INDEX instances_heartbeat_at_idx ON instances (heartbeat_at);

-- +goose Down
DROP TABLE instances;
