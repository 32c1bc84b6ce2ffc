-- The activity log also names holds for pickup (subject 'reservation').
ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_subject_check;
ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_subject_check
    CHECK (subject IN ('item', 'store', 'staff', 'settings', 'sign_in', 'reservation'));
