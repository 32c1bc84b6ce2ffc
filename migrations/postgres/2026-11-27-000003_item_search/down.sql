DROP INDEX IF EXISTS items_sku_trgm;
DROP INDEX IF EXISTS items_name_trgm;
