-- Secrets every process sharing this database must agree on, by name (as on PostgreSQL).
CREATE TABLE shared_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
