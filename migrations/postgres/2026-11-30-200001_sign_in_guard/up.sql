-- Guarding the dashboard's door.
--
-- Failed sign-ins, for throttling: one row per failure and per key, where
-- `kind` says what the key is: the email as typed (lower-cased, whether or
-- not an account has it) or the client's address. Kept in the database so
-- every instance counts the same failures; rows older than the window are
-- deleted as new ones arrive.
CREATE TABLE sign_in_failures (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'address')),
    key TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (kind, key, failed_at);

-- Sign-ins and lockouts of a merchant's staff, shown in the activity log
-- beside item changes.
CREATE TABLE sign_in_events (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    staff_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('signed_in', 'locked_out')),
    address TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_events_merchant ON sign_in_events (merchant_id, id);
