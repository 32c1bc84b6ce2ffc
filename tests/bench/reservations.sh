#!/usr/bin/env bash
# Reservations (issue 16), on SQLite: holds made over HTTP through
# `POST /api/v1/storefront/reservations` by wrk (every request its own
# Idempotency-Key and shopper), then the expiry of HOLDS of them at once.
#
# The expiry is timed from a server start: the holds' time is moved into the
# past with the sqlite3 shell while the server is stopped (as if it had been
# down when they ran out), the server starts, and the script polls until no
# hold is open. The scheduler lets overdue holds go on its first run.
#
# Usage: bash tests/bench/reservations.sh
# Environment: DURATION (10s), CONNECTIONS (16), HOLDS (10000; the run must
# make at least that many), REFERENCE (5000), KEEP=1.
# Installs wrk from Debian when missing; builds the release binary; listens
# on 127.0.0.1 only; writes only under a temporary work dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/bench/lib.sh

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-16}"
HOLDS="${HOLDS:-10000}"
install_tools
new_work_dir shelfsync-reservations
say "building the release binary"
cargo build --release --quiet --bin shelfsync
BIN="${CARGO_TARGET_DIR:-target}/release/shelfsync"
DB="$WORK/shop.db"

say "seeding the demo shop with an item of 1,000,000 units at Downtown"
"$BIN" demo --database-url "$DB" >/dev/null 2>&1
printf 'sku,name,price,in_store,online,stock:Downtown\nHOLD-1,Reserved lamp,25.00,yes,view_only,1000000\n' \
  >"$WORK/item.csv"
"$BIN" import "$WORK/item.csv" --database-url "$DB" --merchant corner-goods >/dev/null
TOKEN="$("$BIN" token create --database-url "$DB" --merchant corner-goods --name bench \
  --scope storefront | grep -o '^sst_[0-9a-f]*' | head -1)"
ITEM_ID="$(sqlite3 "$DB" "SELECT id FROM items WHERE sku = 'HOLD-1'")"
STORE_ID="$(sqlite3 "$DB" "SELECT id FROM locations WHERE name = 'Downtown'")"

start_server() {
  PORT="$(free_port)"
  "$BIN" serve --database-url "$DB" --bind "127.0.0.1:$PORT" --no-demo \
    --scheduler-interval-ms 100 >"$WORK/server.log" 2>&1 &
  SHELFSYNC_PID=$!
  wait_for "http://127.0.0.1:$PORT/healthz"
}

stop_server() {
  kill "$SHELFSYNC_PID"
  wait "$SHELFSYNC_PID" 2>/dev/null || true
  SHELFSYNC_PID=""
}

cat >"$WORK/reserve.lua" <<LUA
local thread_no = 0
local threads = {}
function setup(thread)
  thread:set("id", thread_no)
  thread_no = thread_no + 1
  table.insert(threads, thread)
end
function init(args)
  n = 0
  statuses = {}
end
function request()
  n = n + 1
  local key = "bench-" .. id .. "-" .. n
  local body = string.format(
    '{"item_id": $ITEM_ID, "location_id": $STORE_ID, "quantity": 1, ' ..
    '"name": "Shopper %s", "email": "%s@example.com"}', key, key)
  return wrk.format("POST", "/api/v1/storefront/reservations", {
    ["Authorization"] = "Bearer $TOKEN",
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local all = {}
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    for status, count in pairs(counted) do
      all[status] = (all[status] or 0) + count
    end
  end
  for status, count in pairs(all) do
    io.write(string.format("status %d: %d\n", status, count))
  end
end
LUA

say "reservations over HTTP: wrk -t2 -c$CONNECTIONS -d$DURATION"
start_server
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/reserve.lua" \
  "http://127.0.0.1:$PORT" | tee "$WORK/wrk.txt"
stop_server
open_holds="$(sqlite3 "$DB" "SELECT count(*) FROM reservations WHERE status = 'open'")"
echo "open holds after the run: $open_holds"
"$BIN" check --database-url "$DB" >/dev/null && echo "shelfsync check: clean"

# The same run's reference: the sqlite3 shell committing, one transaction
# each, the writes a hold makes (the hold, the catalog version, the item's
# and the reservation's events, the activity entry, the idempotency key)
# into bare tables with the server's journal settings. No HTTP, no reads, no
# rules: what this machine's SQLite can commit one hold at a time.
REFERENCE="${REFERENCE:-5000}"
say "reference: the sqlite3 shell, $REFERENCE transactions of a hold's six writes"
python3 - "$REFERENCE" >"$WORK/reference.sql" <<'PY'
import sys
n = int(sys.argv[1])
print("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
print("CREATE TABLE holds (id INTEGER PRIMARY KEY, item_id INT, location_id INT, quantity INT,"
      " name TEXT, email TEXT, code TEXT, status TEXT, expires_at TEXT, created_at TEXT);")
print("CREATE TABLE versions (merchant_id INTEGER PRIMARY KEY, version INT);")
print("INSERT INTO versions VALUES (1, 0);")
print("CREATE TABLE events (id INTEGER PRIMARY KEY, version INT, type TEXT, payload TEXT);")
print("CREATE TABLE activity (id INTEGER PRIMARY KEY, subject TEXT, detail TEXT);")
print("CREATE TABLE keys (key TEXT PRIMARY KEY, answer TEXT);")
for i in range(n):
    print("BEGIN IMMEDIATE;")
    print(f"INSERT INTO holds VALUES (NULL, 1, 1, 1, 'Shopper {i}', 's{i}@example.com', "
          f"'C{i:05d}', 'open', datetime('now', '+2 days'), datetime('now'));")
    print("UPDATE versions SET version = version + 1 WHERE merchant_id = 1;")
    print("INSERT INTO events VALUES (NULL, (SELECT version FROM versions), 'item.stock_changed', "
          "'{\"item_id\": 1, \"available_online\": 0}');")
    print("INSERT INTO events VALUES (NULL, (SELECT version FROM versions), 'reservation.created', "
          "'{\"reservation_id\": 1}');")
    print(f"INSERT INTO activity VALUES (NULL, 'reservation', 'held 1 as C{i:05d}');")
    print(f"INSERT INTO keys VALUES ('bench-{i}', '{{\"id\": {i}}}');")
    print("COMMIT;")
PY
ref_start="$(date +%s.%N)"
sqlite3 "$WORK/reference.db" <"$WORK/reference.sql" >/dev/null
ref_end="$(date +%s.%N)"
ref_rate="$(python3 -c "print(round($REFERENCE / ($ref_end - $ref_start)))")"
served="$(grep -o 'Requests/sec: *[0-9.]*' "$WORK/wrk.txt" | grep -o '[0-9.]*$')"
echo "sqlite3 shell: $ref_rate holds' writes/s, one transaction each"
printf 'shelfsync over HTTP: %s reservations/s = %.2f of the sqlite3 shell\n' \
  "$served" "$(python3 -c "print($served / $ref_rate)")"

say "expiry of $HOLDS holds"
sqlite3 "$DB" "UPDATE reservations SET status = 'released' WHERE status = 'open' AND id NOT IN
  (SELECT id FROM reservations WHERE status = 'open' ORDER BY id LIMIT $HOLDS)"
sqlite3 "$DB" "UPDATE stock_levels SET held = COALESCE((SELECT SUM(quantity) FROM reservations r
  WHERE r.item_id = stock_levels.item_id AND r.location_id = stock_levels.location_id
    AND r.status = 'open'), 0)"
sqlite3 "$DB" "UPDATE reservations SET expires_at = datetime('now', '-1 minute') WHERE status = 'open'"
due="$(sqlite3 "$DB" "SELECT count(*) FROM reservations WHERE status = 'open'")"
start="$(date +%s.%N)"
start_server
while [ "$(sqlite3 "$DB" "SELECT count(*) FROM reservations WHERE status = 'open'")" != 0 ]; do
  sleep 0.05
done
end="$(date +%s.%N)"
stop_server
expired="$(sqlite3 "$DB" "SELECT count(*) FROM outbox_events WHERE event_type = 'reservation.expired'")"
printf 'expiry of %s overdue holds, from server start until none is open: %.2f s\n' \
  "$due" "$(python3 -c "print($end - $start)")"
echo "reservation.expired events: $expired"
grep -h 'hold(s) expired' "$WORK/server.log" | tail -3 || true
"$BIN" check --database-url "$DB" >/dev/null && echo "shelfsync check: clean"
