-- A keyed request stores what became of it (performed, or refused for short
-- stock) and the typed result as JSON, not an HTTP status and body: the HTTP
-- layer maps the outcome to a response. Existing rows keep their meaning.
ALTER TABLE idempotency_keys ADD COLUMN outcome TEXT NOT NULL DEFAULT 'performed'
    CHECK (outcome IN ('performed', 'refused'));
UPDATE idempotency_keys SET outcome = 'refused' WHERE status NOT BETWEEN 200 AND 299;
UPDATE idempotency_keys
   SET response_body = COALESCE((response_body::jsonb -> 'sale')::text,
                                (response_body::jsonb -> 'order')::text,
                                response_body)
 WHERE outcome = 'performed';
UPDATE idempotency_keys
   SET response_body = COALESCE((response_body::jsonb #> '{error,details,lines}')::text, '[]')
 WHERE outcome = 'refused';
ALTER TABLE idempotency_keys DROP COLUMN status;
