-- The activity log also names holds for pickup (subject 'reservation'). SQLite
-- can't change a CHECK in place, so the table is rebuilt as it was, with the
-- new subject allowed; nothing refers to it.
CREATE TABLE audit_entries_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    item_id BIGINT REFERENCES items (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    catalog_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    item_version BIGINT,
    subject TEXT NOT NULL DEFAULT 'item' CHECK (subject IN ('item', 'store', 'staff', 'settings', 'sign_in', 'reservation')),
    subject_id BIGINT,
    subject_label TEXT NOT NULL DEFAULT '',
    actor_email TEXT NOT NULL DEFAULT '',
    CHECK ((subject = 'item') = (item_id IS NOT NULL))
);
INSERT INTO audit_entries_new (id, merchant_id, item_id, actor, field, old_value, new_value, catalog_version, created_at, item_version, subject, subject_id, subject_label, actor_email)
    SELECT id, merchant_id, item_id, actor, field, old_value, new_value, catalog_version, created_at, item_version, subject, subject_id, subject_label, actor_email
    FROM audit_entries;
DROP TABLE audit_entries;
ALTER TABLE audit_entries_new RENAME TO audit_entries;
CREATE INDEX audit_entries_merchant ON audit_entries (merchant_id, id);
CREATE INDEX audit_entries_item ON audit_entries (item_id, id);
CREATE INDEX audit_entries_merchant_subject ON audit_entries (merchant_id, subject, id);
