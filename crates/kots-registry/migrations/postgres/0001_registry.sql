-- The registry's metadata on PostgreSQL: the same tables as the SQLite store, shared by every
-- replica. Times are seconds since the epoch. Names sort by bytes (COLLATE "C"), as in SQLite
-- and the distribution spec's lexical order.
CREATE TABLE repositories (
    name TEXT COLLATE "C" PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE repository_blobs (
    repository TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repository, digest)
);

CREATE TABLE manifest_contents (
    digest TEXT PRIMARY KEY,
    content BYTEA NOT NULL
);

CREATE TABLE manifests (
    repository TEXT NOT NULL,
    digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    artifact_type TEXT,
    subject TEXT,
    annotations TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repository, digest)
);
CREATE INDEX manifests_by_subject ON manifests (repository, subject) WHERE subject IS NOT NULL;

CREATE TABLE tags (
    repository TEXT NOT NULL,
    tag TEXT COLLATE "C" NOT NULL,
    digest TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repository, tag)
);
CREATE INDEX tags_by_digest ON tags (repository, digest);

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    repository TEXT NOT NULL,
    size BIGINT NOT NULL,
    hash_state BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- The replica writing a chunk now, and until when its lease holds if it dies.
    lease_by TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0
);

-- Secrets every replica must share (the token signing key), by name.
CREATE TABLE shared_secrets (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
