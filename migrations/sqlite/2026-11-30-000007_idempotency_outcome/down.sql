ALTER TABLE idempotency_keys ADD COLUMN status INTEGER NOT NULL DEFAULT 201;
UPDATE idempotency_keys SET status = 409 WHERE outcome = 'refused';
ALTER TABLE idempotency_keys DROP COLUMN outcome;
