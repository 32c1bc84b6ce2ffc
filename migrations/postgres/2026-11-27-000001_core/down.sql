DROP TABLE app_settings;
DROP TABLE outbox_events;
DROP TABLE audit_entries;
DROP TABLE stock_levels;
DROP TABLE items;
DROP TABLE staff;
DROP TABLE locations;
DROP TABLE merchants;
