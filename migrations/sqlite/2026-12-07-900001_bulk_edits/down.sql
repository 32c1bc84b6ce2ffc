DROP TABLE bulk_edit_columns;
DROP TABLE bulk_edit_items;
DROP TABLE bulk_edits;
