-- Test events and resends asked for from the dashboard, waiting for the
-- webhook dispatcher (which holds the endpoint's lease, so exactly one
-- instance sends each), with what the attempt brought. A resend names the
-- delivery it repeats; a test event names none.
CREATE TABLE webhook_manual_sends (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    delivery_id BIGINT REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    requested_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    status_code INTEGER,
    error TEXT
);
CREATE INDEX webhook_manual_sends_endpoint ON webhook_manual_sends (endpoint_id, id);
