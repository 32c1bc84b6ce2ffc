DROP TABLE idempotency_keys;
DROP TABLE stock_movements;
ALTER TABLE items DROP COLUMN auto_switched;
ALTER TABLE items DROP COLUMN auto_view_only;
ALTER TABLE items DROP COLUMN allow_backorder;
ALTER TABLE items DROP COLUMN online_buffer;
ALTER TABLE merchants DROP COLUMN online_buffer;
