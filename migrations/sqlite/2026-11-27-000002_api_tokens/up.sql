-- Bearer tokens for the JSON API. Only a SHA-256 of the secret is stored.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('storefront', 'pos', 'admin')),
    location_id BIGINT REFERENCES locations (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    CHECK ((scope = 'pos') = (location_id IS NOT NULL))
);
CREATE INDEX api_tokens_merchant ON api_tokens (merchant_id);
