-- The search index is rewritten only when a searched value really changes:
-- a batch writes whole item rows (an import's new prices), and SQLite fires
-- `UPDATE OF` triggers for every column a statement sets, changed or not.
DROP TRIGGER items_search_update;
CREATE TRIGGER items_search_update AFTER UPDATE OF name, sku, barcode ON items
WHEN old.name IS NOT new.name OR old.sku IS NOT new.sku OR old.barcode IS NOT new.barcode
BEGIN
    INSERT INTO items_search (items_search, rowid, name, sku, barcode) VALUES ('delete', old.id, old.name, old.sku, old.barcode);
    INSERT INTO items_search (rowid, name, sku, barcode) VALUES (new.id, new.name, new.sku, new.barcode);
END;
