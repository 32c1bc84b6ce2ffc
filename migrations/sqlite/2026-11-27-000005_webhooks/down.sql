DROP INDEX outbox_events_merchant_order;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
