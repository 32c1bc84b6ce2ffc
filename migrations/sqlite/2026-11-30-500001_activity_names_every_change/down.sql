-- Back to item entries only: the entries about stores, staff and settings go.
CREATE TABLE audit_entries_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    catalog_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    item_version BIGINT
);
INSERT INTO audit_entries_old (id, merchant_id, item_id, actor, field, old_value, new_value, catalog_version, created_at, item_version)
    SELECT id, merchant_id, item_id, actor, field, old_value, new_value, catalog_version, created_at, item_version
    FROM audit_entries WHERE item_id IS NOT NULL;
DROP TABLE audit_entries;
ALTER TABLE audit_entries_old RENAME TO audit_entries;
CREATE INDEX audit_entries_merchant ON audit_entries (merchant_id, id);
CREATE INDEX audit_entries_item ON audit_entries (item_id, id);
