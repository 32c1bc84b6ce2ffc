DROP TABLE reservations;
ALTER TABLE merchants DROP COLUMN reservation_hold_hours;
ALTER TABLE merchants DROP COLUMN reservation_max_quantity;
