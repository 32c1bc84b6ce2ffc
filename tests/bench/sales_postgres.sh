#!/usr/bin/env bash
# Counter sales over HTTP on PostgreSQL against pgbench's built-in TPC-B-like
# transaction on the same server, interleaved in one run (issue 15):
#   - pgbench: `pgbench -i -s 10`, then `-c 16 -j 2 -T $DURATION`;
#   - one merchant: wrk with 16 connections posting counter sales
#     (`POST /api/v1/pos/sales`, one unit of a random item each, a fresh
#     Idempotency-Key each) to one shop;
#   - eight merchants: the same 16 connections spread over eight shops.
# Each round runs the three one after another; the ratios are of the same
# round. Afterwards `shelfsync check` must pass (every level equals its
# ledger), and every answer must have been 201.
#
# Usage: bash tests/bench/sales_postgres.sh
# Environment: PGURL (postgres://postgres@127.0.0.1:5432), DURATION (20s),
# ROUNDS (3), ITEMS (100 per shop), KEEP=1 keeps the work dir, BIN (a
# shelfsync binary to measure instead of building this checkout's, e.g. an
# older build for a before-and-after).
# Creates the databases shelfsync_bench_sales and pgbench_bench_sales
# (dropped first if they exist); writes only to them and a temporary dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/bench/lib.sh

PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
DURATION="${DURATION:-20s}"
ROUNDS="${ROUNDS:-3}"
ITEMS="${ITEMS:-100}"
MERCHANTS=8
export PGSSLMODE="${PGSSLMODE:-disable}"

install_tools
new_work_dir shelfsync-sales-pg
if [ -z "${BIN:-}" ]; then
  say "building the release binary"
  cargo build --release --quiet --bin shelfsync
  BIN="${CARGO_TARGET_DIR:-target}/release/shelfsync"
fi
DB="$PGURL/shelfsync_bench_sales"
REF="$PGURL/pgbench_bench_sales"

for name in shelfsync_bench_sales pgbench_bench_sales; do
  psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
done
say "pgbench -i -s 10"
pgbench -q -i -s 10 "$REF" >/dev/null 2>&1

say "seeding $MERCHANTS shops of $ITEMS items"
"$BIN" migrate --database-url "$DB" >/dev/null
python3 - "$WORK" "$ITEMS" <<'PY'
import csv, sys
work, items = sys.argv[1], int(sys.argv[2])
with open(f"{work}/items.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["sku", "name", "price", "in_store", "online", "stock:Main"])
    for i in range(items):
        w.writerow([f"SALE-{i:04d}", f"Sale item {i}", "4.50", "yes", "for_sale", 1000000])
PY
export SHELFSYNC_OWNER_PASSWORD="bench-owner-password"
for m in $(seq 1 "$MERCHANTS"); do
  "$BIN" merchant create --database-url "$DB" --name "Bench shop $m" --slug "bench-$m" \
    --owner-email "owner$m@bench.example" --store Main >/dev/null 2>&1
  "$BIN" import "$WORK/items.csv" --database-url "$DB" --merchant "bench-$m" >/dev/null 2>&1
  "$BIN" token create --database-url "$DB" --merchant "bench-$m" --name Till --scope pos \
    --location Main 2>/dev/null | head -1 >"$WORK/token-$m"
done

PORT="$(free_port)"
"$BIN" serve --database-url "$DB" --bind "127.0.0.1:$PORT" --no-demo --pool-size 16 \
  >"$WORK/serve.log" 2>&1 &
SHELFSYNC_PID=$!
wait_for "http://127.0.0.1:$PORT/healthz"

# targets-N.lua: the shops the load goes to, each with its token and items.
for m in $(seq 1 "$MERCHANTS"); do
  curl -fs -H "Authorization: Bearer $(cat "$WORK/token-$m")" \
    "http://127.0.0.1:$PORT/api/v1/pos/items" >"$WORK/items-$m.json"
done
python3 - "$WORK" "$MERCHANTS" <<'PY'
import json, sys
work, merchants = sys.argv[1], int(sys.argv[2])
def shop(m):
    token = open(f"{work}/token-{m}").read().strip()
    ids = [item["id"] for item in json.load(open(f"{work}/items-{m}.json"))["items"]]
    return '{ token = "%s", items = { %s } }' % (token, ", ".join(map(str, ids)))
for name, shops in (("one", [1]), ("eight", range(1, merchants + 1))):
    with open(f"{work}/targets-{name}.lua", "w") as f:
        f.write("return { %s }\n" % ", ".join(shop(m) for m in shops))
PY
cat >"$WORK/sales.lua" <<'LUA'
-- One counter sale per request: a random item of the next shop in turn,
-- one unit, a key no other request of this run uses.
local shops = dofile(os.getenv("TARGETS"))
local run = os.getenv("RUN")
local count = 0
local me = 0
function setup(thread)
  me = me + 1
  thread:set("me", me)
end
function request()
  count = count + 1
  local shop = shops[(count % #shops) + 1]
  local item = shop.items[math.random(#shop.items)]
  return wrk.format("POST", "/api/v1/pos/sales", {
    ["Authorization"] = "Bearer " .. shop.token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = run .. "-" .. me .. "-" .. count,
  }, '{"lines":[{"item_id":' .. item .. ',"quantity":1}]}')
end
LUA

# sales NAME ROUND: requests/s of one wrk run, failing on any non-2xx answer.
sales() {
  TARGETS="$WORK/targets-$1.lua" RUN="r$2-$1-$(date +%s%N)" \
    wrk -t2 -c16 -d"$DURATION" --latency -s "$WORK/sales.lua" "http://127.0.0.1:$PORT" \
    >"$WORK/wrk-$1-$2.txt"
  if grep -q "Non-2xx" "$WORK/wrk-$1-$2.txt"; then
    cat "$WORK/wrk-$1-$2.txt" >&2
    echo "some sales were not recorded" >&2
    exit 1
  fi
  awk '/Requests\/sec/ { print $2 }' "$WORK/wrk-$1-$2.txt"
}
p99() { awk '$1 == "99%" { print $2 }' "$WORK/wrk-$1-$2.txt"; }

printf '\n%-6s %12s %14s %7s %9s %14s %7s %9s\n' round "pgbench tps" "1 shop sales/s" ratio "p99" "8 shops sales/s" ratio "p99"
for round in $(seq 1 "$ROUNDS"); do
  tps="$(pgbench -c 16 -j 2 -T "${DURATION%s}" "$REF" 2>/dev/null | awk '/^tps/ { print $3 }')"
  one="$(sales one "$round")"
  eight="$(sales eight "$round")"
  printf '%-6s %12.0f %14.0f %7.2f %9s %14.0f %7.2f %9s\n' "$round" "$tps" "$one" \
    "$(echo "$one / $tps" | bc -l)" "$(p99 one "$round")" "$eight" \
    "$(echo "$eight / $tps" | bc -l)" "$(p99 eight "$round")"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" check --database-url "$DB" >/dev/null
echo "shelfsync check passed: every level equals its ledger"
