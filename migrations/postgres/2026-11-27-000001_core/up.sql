-- The core model: merchants, their stores, staff, items with two designations,
-- the per-merchant catalog version, the audit log and the transactional outbox.

CREATE TABLE merchants (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    catalog_version BIGINT NOT NULL DEFAULT 0 CHECK (catalog_version >= 0),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE locations (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    fulfils_online BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (merchant_id, name)
);

CREATE TABLE staff (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    session_epoch BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE items (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    currency TEXT NOT NULL,
    barcode TEXT,
    in_store BOOLEAN NOT NULL,
    online TEXT NOT NULL CHECK (online IN ('hidden', 'view_only', 'for_sale')),
    version BIGINT NOT NULL DEFAULT 1,
    changed_version BIGINT NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (merchant_id, sku),
    CHECK (online <> 'view_only' OR in_store)
);
CREATE INDEX items_merchant_name ON items (merchant_id, name);
CREATE INDEX items_merchant_changed ON items (merchant_id, changed_version);
CREATE INDEX items_merchant_barcode ON items (merchant_id, barcode);

-- On-hand quantity per item and store. A missing row means zero.
CREATE TABLE stock_levels (
    id BIGSERIAL PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    location_id BIGINT NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    on_hand BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (item_id, location_id)
);
CREATE INDEX stock_levels_location ON stock_levels (location_id);

CREATE TABLE audit_entries (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    catalog_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_entries_merchant ON audit_entries (merchant_id, id);
CREATE INDEX audit_entries_item ON audit_entries (item_id, id);

CREATE TABLE outbox_events (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    catalog_version BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    item_id BIGINT,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_events_merchant_version ON outbox_events (merchant_id, catalog_version);

CREATE TABLE app_settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
