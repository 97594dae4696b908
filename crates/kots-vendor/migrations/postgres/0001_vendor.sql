-- The vendor model on PostgreSQL: the SQLite schema with BIGINT and BYTEA.
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams (id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    created_at BIGINT NOT NULL
);

-- User API tokens and service-account tokens: `PREFIX_ID_SECRET`, only SHA-256(SECRET) kept.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    secret_sha256 BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE service_accounts (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams (id),
    name TEXT NOT NULL,
    read_only BIGINT NOT NULL,
    secret_sha256 BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- The global signing key (one row).
CREATE TABLE global_keys (
    key_id TEXT PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams (id),
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- The app's license-signing key; the global key vouches for it when a license is signed.
    private_key_pem TEXT NOT NULL,
    global_key_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (app_id, slug)
);

CREATE TABLE releases (
    app_id TEXT NOT NULL REFERENCES apps (id),
    sequence BIGINT NOT NULL,
    version_label TEXT NOT NULL,
    notes TEXT NOT NULL,
    -- gzip tar of the release files, as the release API serves it.
    archive BYTEA NOT NULL,
    -- The kots.io/v1beta1 Application document, if any, as JSON.
    application TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, sequence)
);

-- A promotion: the channel's own sequence points at a release.
CREATE TABLE channel_releases (
    channel_id TEXT NOT NULL REFERENCES channels (id),
    channel_sequence BIGINT NOT NULL,
    release_sequence BIGINT NOT NULL,
    version_label TEXT NOT NULL,
    notes TEXT NOT NULL,
    is_required BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, channel_sequence)
);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    license_id TEXT NOT NULL UNIQUE,
    license_type TEXT NOT NULL,
    -- RFC 3339, or NULL for never.
    expires_at TEXT,
    airgap BIGINT NOT NULL,
    -- JSON array of channel ids; the first is the default.
    channel_ids TEXT NOT NULL,
    -- JSON object name -> {title, value, valueType}.
    entitlements TEXT NOT NULL,
    license_sequence BIGINT NOT NULL,
    -- The signed license as last issued.
    license_yaml TEXT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
