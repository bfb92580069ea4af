-- The admin's Graph access token (directory search for seat assignment), encrypted with
-- LICENSING_TOKEN_KEY; search terms and results are never stored.
ALTER TABLE users ADD COLUMN graph_token TEXT;
ALTER TABLE users ADD COLUMN graph_token_expires_at BIGINT
