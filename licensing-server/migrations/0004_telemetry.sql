-- Usage counts, anonymous by construction: a day, the add-in's version, the kind of Outlook,
-- a name from the server's closed lists (src/telemetry.rs) and a sum. No user, tenant,
-- address or time finer than the day.
CREATE TABLE telemetry_daily (
    day TEXT NOT NULL,
    version TEXT NOT NULL,
    platform TEXT NOT NULL,
    name TEXT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (day, version, platform, name)
);
-- Organisations whose administrator turned usage counts off (1) for everyone in them.
CREATE TABLE tenant_settings (
    tenant_id TEXT PRIMARY KEY,
    telemetry_off BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
)
