-- Every applied catalogue import: who, when, which file, and what it did.
CREATE TABLE catalog_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    actor_email TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL,
    new_items BIGINT NOT NULL,
    changed_items BIGINT NOT NULL,
    unchanged_items BIGINT NOT NULL,
    archived_items BIGINT NOT NULL,
    catalog_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX catalog_imports_merchant ON catalog_imports (merchant_id, id);
