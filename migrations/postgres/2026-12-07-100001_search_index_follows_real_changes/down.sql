-- Nothing to do on PostgreSQL: its trigram indexes are maintained by the
-- database itself, and an update that leaves the indexed values alone does
-- not rewrite them. The SQLite tree changes its search trigger here.
SELECT 1;
