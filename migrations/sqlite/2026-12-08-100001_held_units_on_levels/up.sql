-- Each store level keeps the units its open holds take, so that what is
-- free there is read from one row however many holds it has. Only the two
-- changes of a hold write it: made (plus its quantity) and closed (minus).
-- `shelfsync check` verifies it against the open holds.
ALTER TABLE stock_levels ADD COLUMN held BIGINT NOT NULL DEFAULT 0;
UPDATE stock_levels SET held = COALESCE((
    SELECT SUM(r.quantity) FROM reservations r
    WHERE r.item_id = stock_levels.item_id
      AND r.location_id = stock_levels.location_id
      AND r.status = 'open'), 0);
