DROP TABLE catalog_uploads;
DROP TABLE catalog_imports;
