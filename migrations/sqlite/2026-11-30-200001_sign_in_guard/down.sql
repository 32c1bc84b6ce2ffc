DROP TABLE sign_in_events;
DROP TABLE sign_in_failures;
