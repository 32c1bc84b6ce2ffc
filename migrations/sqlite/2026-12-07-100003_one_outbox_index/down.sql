CREATE INDEX outbox_events_merchant_version ON outbox_events (merchant_id, catalog_version);
