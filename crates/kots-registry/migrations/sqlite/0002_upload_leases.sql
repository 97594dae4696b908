-- The request writing a chunk now, and until when its lease holds if its process dies.
ALTER TABLE uploads ADD COLUMN lease_by TEXT;
ALTER TABLE uploads ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
