-- Every applied catalogue import: who, when, which file, and what it did.
CREATE TABLE catalog_imports (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    actor_email TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL,
    new_items BIGINT NOT NULL,
    changed_items BIGINT NOT NULL,
    unchanged_items BIGINT NOT NULL,
    archived_items BIGINT NOT NULL,
    catalog_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX catalog_imports_merchant ON catalog_imports (merchant_id, id);

-- A file uploaded for an import preview, kept until it is applied (or
-- replaced by the same person's next upload): the preview and the apply
-- read the same bytes.
CREATE TABLE catalog_uploads (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    staff_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    content BYTEA NOT NULL,
    archive_missing BOOLEAN NOT NULL DEFAULT FALSE,
    choices TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX catalog_uploads_staff ON catalog_uploads (staff_id, id);
