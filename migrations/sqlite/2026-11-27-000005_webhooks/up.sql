-- Webhook endpoints of a merchant, and the delivery of outbox events to them.
--
-- Each endpoint keeps a cursor over outbox_events ordered by
-- (catalog_version, id): everything at or before it has been delivered or
-- given up as failed. The dispatcher only ever moves it forward, after the
-- receiver answered 2xx, so delivery is in order and at least once, and a
-- restart resumes from the cursor. The lease lets one instance at a time work
-- an endpoint when several share a PostgreSQL database.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at TIMESTAMP,
    enabled BOOLEAN NOT NULL DEFAULT 1,
    event_types TEXT NOT NULL,
    cursor_version BIGINT NOT NULL,
    cursor_event_id BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id);

-- One row per event and endpoint once the dispatcher has tried it: the
-- delivery log the dashboard shows, and the retry schedule of the event at
-- the head of an endpoint's queue.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    catalog_version BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, catalog_version, event_id);
CREATE INDEX outbox_events_merchant_order ON outbox_events (merchant_id, catalog_version, id);
