-- Every saved bulk edit: who, when, and how many items it changed.
CREATE TABLE bulk_edits (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    actor_email TEXT NOT NULL DEFAULT '',
    item_count BIGINT NOT NULL,
    catalog_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX bulk_edits_merchant ON bulk_edits (merchant_id, id);

-- Each item a bulk edit changed, with its values before the edit and the
-- item version the edit produced: Undo restores them only while the item
-- is still at that version (or the person confirms).
CREATE TABLE bulk_edit_items (
    id BIGSERIAL PRIMARY KEY,
    bulk_edit_id BIGINT NOT NULL REFERENCES bulk_edits (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    item_version BIGINT NOT NULL,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    barcode TEXT,
    in_store BOOLEAN NOT NULL,
    online TEXT NOT NULL,
    online_buffer BIGINT,
    allow_backorder BOOLEAN NOT NULL,
    undone BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX bulk_edit_items_edit ON bulk_edit_items (bulk_edit_id, item_id);

-- The columns a person last chose for the bulk editor.
CREATE TABLE bulk_edit_columns (
    staff_id BIGINT NOT NULL PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    chosen TEXT NOT NULL
);
