-- The activity log covers every change, not only item changes: each entry
-- says what it is about (`subject`: an item, a store, a person of the staff,
-- the shop's settings, or a sign-in), which one (`item_id` for an item,
-- `subject_id` for a store or a person, with its name at the time in
-- `subject_label`), and the email of the person who made it.
ALTER TABLE audit_entries ALTER COLUMN item_id DROP NOT NULL;
ALTER TABLE audit_entries ADD COLUMN subject TEXT NOT NULL DEFAULT 'item' CHECK (subject IN ('item', 'store', 'staff', 'settings', 'sign_in'));
ALTER TABLE audit_entries ADD COLUMN subject_id BIGINT;
ALTER TABLE audit_entries ADD COLUMN subject_label TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_entries ADD COLUMN actor_email TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_item_subject CHECK ((subject = 'item') = (item_id IS NOT NULL));
CREATE INDEX audit_entries_merchant_subject ON audit_entries (merchant_id, subject, id);
