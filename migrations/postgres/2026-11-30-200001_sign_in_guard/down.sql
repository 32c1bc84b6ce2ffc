DROP TABLE sign_in_events;
DROP TABLE sign_in_failures;
ALTER TABLE staff DROP COLUMN deactivated_at;
