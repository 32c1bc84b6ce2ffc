-- Unified stock: the append-only ledger of stock movements behind every
-- stock level, idempotency keys for stock-changing API calls, and the online
-- buffer, backorder and automatic view-only settings.

ALTER TABLE merchants ADD COLUMN online_buffer BIGINT NOT NULL DEFAULT 0 CHECK (online_buffer >= 0);

-- NULL: use the merchant's default buffer.
ALTER TABLE items ADD COLUMN online_buffer BIGINT CHECK (online_buffer IS NULL OR online_buffer >= 0);
ALTER TABLE items ADD COLUMN allow_backorder BOOLEAN NOT NULL DEFAULT 0;
-- The merchant opted in to "view online, buy in store" when sold out online.
ALTER TABLE items ADD COLUMN auto_view_only BOOLEAN NOT NULL DEFAULT 0;
-- The item is view-only because shelfsync switched it; it goes back to for
-- sale when stock returns. Any designation change by a person clears it.
ALTER TABLE items ADD COLUMN auto_switched BOOLEAN NOT NULL DEFAULT 0;

-- Every change of a stock level. A level always equals the sum of its
-- movements' quantities (signed deltas); `shelfsync check` verifies it.
CREATE TABLE stock_movements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    location_id BIGINT NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('store_sale', 'online_order', 'receipt', 'adjustment', 'count')),
    quantity BIGINT NOT NULL,
    on_hand_after BIGINT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    idempotency_key TEXT NOT NULL,
    reference TEXT NOT NULL,
    catalog_version BIGINT NOT NULL
);
CREATE INDEX stock_movements_level ON stock_movements (item_id, location_id, id);
CREATE INDEX stock_movements_merchant ON stock_movements (merchant_id, id);

-- Stock that existed before the ledger becomes its opening balance.
INSERT INTO stock_movements (merchant_id, item_id, location_id, kind, quantity, on_hand_after,
                             actor, reason, occurred_at, recorded_at, idempotency_key, reference,
                             catalog_version)
SELECT items.merchant_id, stock_levels.item_id, stock_levels.location_id, 'count',
       stock_levels.on_hand, stock_levels.on_hand, 'shelfsync', 'Opening balance',
       stock_levels.updated_at, stock_levels.updated_at,
       'opening-balance-' || stock_levels.id, 'opening-balance', merchants.catalog_version
FROM stock_levels
JOIN items ON items.id = stock_levels.item_id
JOIN merchants ON merchants.id = items.merchant_id
WHERE stock_levels.on_hand <> 0;

-- One row per stock-changing request: the request's fingerprint and the
-- response it got, replayed to a retry with the same key.
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (merchant_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
