-- How far each merchant's event history has been pruned: every outbox event
-- at or before `through_version` may be gone, so a resume from an earlier
-- version (the live stream's Last-Event-ID, a webhook redelivery) is refused
-- with 410 rather than answered with a gap. Written in the transaction that
-- deletes the events, so every instance reads the same floor.
CREATE TABLE pruned_history (
    merchant_id BIGINT NOT NULL PRIMARY KEY REFERENCES merchants (id) ON DELETE CASCADE,
    through_version BIGINT NOT NULL,
    pruned_at TIMESTAMP NOT NULL
);

-- The delivery log is pruned by age.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
