-- Running one's own shop: the merchant's time zone and default for the
-- automatic sold-out switch, the old shop slugs that still redirect, stores
-- with an address, opening hours and an archive mark, staff with a role (a
-- cashier tied to one store) who can be deactivated, and one-time
-- invitation links.
ALTER TABLE merchants ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE merchants ADD COLUMN auto_view_only_default BOOLEAN NOT NULL DEFAULT FALSE;

-- A shop's previous slugs: /shop/{old} answers 301 to the current one.
CREATE TABLE merchant_slugs (
    slug TEXT PRIMARY KEY NOT NULL,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX merchant_slugs_merchant ON merchant_slugs (merchant_id);

ALTER TABLE locations ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN hours TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN archived_at TIMESTAMP;

ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'manager', 'cashier'));
ALTER TABLE staff ADD COLUMN location_id BIGINT REFERENCES locations (id);
ALTER TABLE staff ADD COLUMN deactivated_at TIMESTAMP;

-- One-time links to set a password. Only the SHA-256 of the link's secret is
-- stored; a link works once, until it expires.
CREATE TABLE staff_invitations (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    staff_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX staff_invitations_staff ON staff_invitations (staff_id);
