-- Substring search over item names, SKUs and barcodes without scanning every item:
-- an FTS5 index with the trigram tokenizer (case-insensitive), kept in step
-- with `items` by triggers.
CREATE VIRTUAL TABLE items_search USING fts5(
    name, sku, barcode, content = 'items', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO items_search (rowid, name, sku, barcode) SELECT id, name, sku, barcode FROM items;

CREATE TRIGGER items_search_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_search (rowid, name, sku, barcode) VALUES (new.id, new.name, new.sku, new.barcode);
END;
CREATE TRIGGER items_search_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_search (items_search, rowid, name, sku, barcode) VALUES ('delete', old.id, old.name, old.sku, old.barcode);
END;
CREATE TRIGGER items_search_update AFTER UPDATE OF name, sku, barcode ON items BEGIN
    INSERT INTO items_search (items_search, rowid, name, sku, barcode) VALUES ('delete', old.id, old.name, old.sku, old.barcode);
    INSERT INTO items_search (rowid, name, sku, barcode) VALUES (new.id, new.name, new.sku, new.barcode);
END;
