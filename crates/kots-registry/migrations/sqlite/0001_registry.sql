-- Repositories come into being with their first blob or manifest.
CREATE TABLE repositories (
    name TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Blobs whose bytes are durable in the blob store.
CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- A blob is reachable only through a repository that links it.
CREATE TABLE repository_blobs (
    repository TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (repository, digest)
) WITHOUT ROWID;

-- Manifest bytes, exactly as received, shared by every repository that holds them.
CREATE TABLE manifest_contents (
    digest TEXT PRIMARY KEY,
    content BLOB NOT NULL
);

CREATE TABLE manifests (
    repository TEXT NOT NULL,
    digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    artifact_type TEXT,
    subject TEXT,
    annotations TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (repository, digest)
) WITHOUT ROWID;
CREATE INDEX manifests_by_subject ON manifests (repository, subject) WHERE subject IS NOT NULL;

CREATE TABLE tags (
    repository TEXT NOT NULL,
    tag TEXT NOT NULL,
    digest TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (repository, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_digest ON tags (repository, digest);

-- Chunked upload sessions: enough to continue on any server (size and hash state).
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    repository TEXT NOT NULL,
    size INTEGER NOT NULL,
    hash_state BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
