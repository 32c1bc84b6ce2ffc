-- Dashboard sessions kept on the server, so signing out ends a session even
-- when a copy of its cookie survives. The cookie carries a random secret; only
-- its SHA-256 is stored. A session is open while `ended_at` is empty, it has
-- not expired, and its `epoch` equals the staff member's `session_epoch`
-- (bumping that signs the person out everywhere).
CREATE TABLE staff_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL UNIQUE,
    epoch BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
