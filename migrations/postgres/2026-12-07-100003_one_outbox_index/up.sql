-- `outbox_events_merchant_order` (merchant, catalog version, id) answers
-- every query this one did; keeping both cost each event a second index
-- write, and an import writes a few hundred thousand events.
DROP INDEX outbox_events_merchant_version;
