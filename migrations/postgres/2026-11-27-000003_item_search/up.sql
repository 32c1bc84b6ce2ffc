-- Substring search over item names and SKUs without scanning every item:
-- trigram GIN indexes on lower(name) and lower(sku), which `LIKE '%term%'`
-- uses. pg_trgm ships with PostgreSQL and is a trusted extension; where it
-- cannot be installed, search still works by scanning.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXECUTE 'CREATE INDEX items_name_trgm ON items USING gin (lower(name) gin_trgm_ops)';
    EXECUTE 'CREATE INDEX items_sku_trgm ON items USING gin (lower(sku) gin_trgm_ops)';
EXCEPTION
    WHEN insufficient_privilege OR undefined_file THEN
        RAISE NOTICE 'pg_trgm is not available (%); item search will scan', SQLERRM;
END
$$;
