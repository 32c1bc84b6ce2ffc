ALTER TABLE audit_entries DROP COLUMN item_version;
