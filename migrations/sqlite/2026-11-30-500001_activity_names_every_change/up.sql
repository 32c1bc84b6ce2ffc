-- The activity log covers every change, not only item changes: each entry
-- says what it is about (`subject`: an item, a store, a person of the staff,
-- the shop's settings, or a sign-in), which one (`item_id` for an item,
-- `subject_id` for a store or a person, with its name at the time in
-- `subject_label`), and the email of the person who made it. SQLite can't
-- drop a NOT NULL, so the table is rebuilt; nothing refers to it.
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
    subject TEXT NOT NULL DEFAULT 'item' CHECK (subject IN ('item', 'store', 'staff', 'settings', 'sign_in')),
    subject_id BIGINT,
    subject_label TEXT NOT NULL DEFAULT '',
    actor_email TEXT NOT NULL DEFAULT '',
    CHECK ((subject = 'item') = (item_id IS NOT NULL))
);
INSERT INTO audit_entries_new (id, merchant_id, item_id, actor, field, old_value, new_value, catalog_version, created_at, item_version)
    SELECT id, merchant_id, item_id, actor, field, old_value, new_value, catalog_version, created_at, item_version
    FROM audit_entries;
DROP TABLE audit_entries;
ALTER TABLE audit_entries_new RENAME TO audit_entries;
CREATE INDEX audit_entries_merchant ON audit_entries (merchant_id, id);
CREATE INDEX audit_entries_item ON audit_entries (item_id, id);
CREATE INDEX audit_entries_merchant_subject ON audit_entries (merchant_id, subject, id);
