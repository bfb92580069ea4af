-- The licensing server's whole schema: identifiers, name and email, last use, purchases
-- and seats. Nothing from any campaign, ever. Portable SQL for SQLite and PostgreSQL;
-- times are milliseconds since the Unix epoch.
CREATE TABLE users (
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT,
    email TEXT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    deleted_at BIGINT,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    buyer_user_id TEXT,
    plan TEXT NOT NULL,
    seats BIGINT NOT NULL,
    seats_used BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    expires_at BIGINT,
    billing_contact TEXT,
    transaction_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX subscriptions_tenant ON subscriptions (tenant_id);
CREATE TABLE assignments (
    subscription_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT,
    email TEXT,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, user_id),
    UNIQUE (tenant_id, user_id)
);
CREATE TABLE admins (
    subscription_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT,
    email TEXT,
    PRIMARY KEY (subscription_id, user_id)
);
CREATE TABLE webhook_events (
    event_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    received_at BIGINT NOT NULL
)
