-- The server's administrator (the bootstrap user) alone creates teams: the first user made.
ALTER TABLE users ADD COLUMN is_admin BIGINT NOT NULL DEFAULT 0;
UPDATE users SET is_admin = 1 WHERE id = (SELECT id FROM users ORDER BY created_at, id LIMIT 1);

-- Looked up on every registry request and catalog listing.
CREATE INDEX apps_by_team ON apps (team_id);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
CREATE INDEX service_accounts_by_team ON service_accounts (team_id);
CREATE INDEX customers_by_app ON customers (app_id);
