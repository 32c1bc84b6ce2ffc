-- Designation changes a merchant planned ahead: applied once, when due, by
-- the server's scheduler through the item writer. Either designation may be
-- left as it is (NULL); at least one is asked for.
CREATE TABLE scheduled_changes (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    online TEXT CHECK (online IN ('hidden', 'view_only', 'for_sale')),
    in_store BOOLEAN,
    due_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'refused', 'cancelled')),
    applied_at TIMESTAMP,
    refusal TEXT NOT NULL DEFAULT '',
    CHECK (online IS NOT NULL OR in_store IS NOT NULL)
);
CREATE INDEX scheduled_changes_due ON scheduled_changes (status, due_at);
CREATE INDEX scheduled_changes_item ON scheduled_changes (merchant_id, item_id, status);
