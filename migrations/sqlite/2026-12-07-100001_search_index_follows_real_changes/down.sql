DROP TRIGGER items_search_update;
CREATE TRIGGER items_search_update AFTER UPDATE OF name, sku, barcode ON items BEGIN
    INSERT INTO items_search (items_search, rowid, name, sku, barcode) VALUES ('delete', old.id, old.name, old.sku, old.barcode);
    INSERT INTO items_search (rowid, name, sku, barcode) VALUES (new.id, new.name, new.sku, new.barcode);
END;
