-- Back to item entries only: the entries about stores, staff and settings go.
DROP INDEX audit_entries_merchant_subject;
ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_item_subject;
DELETE FROM audit_entries WHERE item_id IS NULL;
ALTER TABLE audit_entries DROP COLUMN actor_email;
ALTER TABLE audit_entries DROP COLUMN subject_label;
ALTER TABLE audit_entries DROP COLUMN subject_id;
ALTER TABLE audit_entries DROP COLUMN subject;
ALTER TABLE audit_entries ALTER COLUMN item_id SET NOT NULL;
