-- Web sessions the server can end (sign-out, account deletion, an absolute lifetime):
-- the cookie holds a random id, the table its SHA-256.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
-- When the buyer deleted their account: a later event for the same purchase never brings
-- their ids or billing contact back.
ALTER TABLE subscriptions ADD COLUMN erased_at BIGINT;
-- Every license has an end: a subscription recorded without one ends a month after its
-- last change (the next renewal event moves it).
UPDATE subscriptions SET expires_at = updated_at + 2678400000 WHERE expires_at IS NULL
