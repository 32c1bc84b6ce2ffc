-- How many units one reservation may hold, and for how long.
ALTER TABLE merchants ADD COLUMN reservation_max_quantity BIGINT NOT NULL DEFAULT 2;
ALTER TABLE merchants ADD COLUMN reservation_hold_hours BIGINT NOT NULL DEFAULT 48;

-- Holds for pickup: units of an item kept at one store for a shopper. Open
-- holds count against what the store has available; the rest is history.
CREATE TABLE reservations (
    id BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    location_id BIGINT NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    pickup_code TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'picked_up', 'released', 'expired')),
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    closed_by TEXT,
    client_address TEXT NOT NULL DEFAULT ''
);
-- A pickup code names one open hold of the merchant.
CREATE UNIQUE INDEX reservations_open_code ON reservations (merchant_id, pickup_code) WHERE status = 'open';
CREATE INDEX reservations_held ON reservations (item_id, location_id, status);
CREATE INDEX reservations_due ON reservations (status, expires_at);
CREATE INDEX reservations_store ON reservations (merchant_id, location_id, status);
CREATE INDEX reservations_email ON reservations (merchant_id, email, status);
CREATE INDEX reservations_phone ON reservations (merchant_id, phone, status);
CREATE INDEX reservations_client ON reservations (merchant_id, client_address, created_at);
