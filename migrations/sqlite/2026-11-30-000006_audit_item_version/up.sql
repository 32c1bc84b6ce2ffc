-- The item version an audited change produced, so Undo can refuse to
-- overwrite a later change. Entries written before this are not undoable.
ALTER TABLE audit_entries ADD COLUMN item_version BIGINT;
