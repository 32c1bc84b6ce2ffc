DROP INDEX webhook_deliveries_created;
DROP TABLE pruned_history;
