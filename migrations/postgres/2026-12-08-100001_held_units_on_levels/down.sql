ALTER TABLE stock_levels DROP COLUMN held;
