#!/usr/bin/env bash
# Reads under writes (issue 10): the JSON online list and the hosted storefront
# page, read by wrk at 64 connections while a separate client records counter
# sales across random items at 50 per second, against nginx serving the same
# bytes from a file; the sales' own latency meanwhile; 304 revalidation under
# the same writes; a full pass over the online list (limit=1000) warm and right
# after one change; the server's RSS with both lists warm; and, as in
# storefront.sh, "toggle, then the feed shows the change" (examples/bench_feed.rs).
#
# Usage: bash tests/bench/reads_under_writes.sh                  # SQLite
#        BACKEND=postgres bash tests/bench/reads_under_writes.sh # PostgreSQL
# Environment: ITEMS (100000), DURATION (8s per wrk run), ROUNDS (3),
#   CONNECTIONS (64), THREADS (2), SALES_RATE (50), PASSES (3),
#   PG_URL (postgres://postgres@127.0.0.1:5432), KEEP=1 keeps the work dir.
#
# The seeded catalogue is kept for the next run (SQLite: /tmp/shelfsync-reads-
# seed-ITEMS.db; PostgreSQL: database shelfsync_reads_seed_ITEMS) and copied,
# since seeding 100k items through the service takes minutes. Delete it to reseed.
#
# Installs wrk and nginx-light from Debian when missing. Everything listens on
# 127.0.0.1 only and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

BACKEND="${BACKEND:-sqlite}"
ITEMS="${ITEMS:-100000}"
DURATION="${DURATION:-8s}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
SALES_RATE="${SALES_RATE:-50}"
PASSES="${PASSES:-3}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
export PGSSLMODE="${PGSSLMODE:-disable}"

. tests/bench/lib.sh
install_tools

say "building shelfsync and the read/sales client (release)"
cargo build --release --quiet --bin shelfsync --example bench_reads --example bench_feed
BIN=target/release/shelfsync
CLIENT=target/release/examples/bench_reads

new_work_dir shelfsync-reads

# A fresh copy of the seeded catalogue.
if [ "$BACKEND" = postgres ]; then
  SEED_DB="shelfsync_reads_seed_$ITEMS"
  if ! psql "$PG_URL/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$SEED_DB'" | grep -q 1; then
    say "seeding the demo merchant with $ITEMS more items on PostgreSQL (once)"
    createdb -d "$PG_URL/postgres" "$SEED_DB" 2>/dev/null || psql "$PG_URL/postgres" -qc "CREATE DATABASE $SEED_DB"
    "$BIN" demo --database-url "$PG_URL/$SEED_DB" --items "$ITEMS" >&2
  fi
  RUN_DB="shelfsync_reads_run"
  psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $RUN_DB" >/dev/null
  psql "$PG_URL/postgres" -qc "CREATE DATABASE $RUN_DB TEMPLATE $SEED_DB" >/dev/null
  DB="$PG_URL/$RUN_DB"
else
  SEED_FILE="/tmp/shelfsync-reads-seed-$ITEMS.db"
  if [ ! -f "$SEED_FILE" ]; then
    say "seeding the demo merchant with $ITEMS more items on SQLite (once)"
    "$BIN" demo --database-url "$SEED_FILE.partial" --items "$ITEMS" >&2
    sqlite3 "$SEED_FILE.partial" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null 2>&1 || true
    mv "$SEED_FILE.partial" "$SEED_FILE"
    rm -f "$SEED_FILE.partial-wal" "$SEED_FILE.partial-shm"
  fi
  DB="$WORK/bench.db"
  cp "$SEED_FILE" "$DB"
fi
STOREFRONT_TOKEN="$("$BIN" token create --database-url "$DB" --merchant corner-goods --name bench-storefront --scope storefront 2>/dev/null)"
ADMIN_TOKEN="$("$BIN" token create --database-url "$DB" --merchant corner-goods --name bench-admin --scope admin 2>/dev/null)"
POS_TOKEN="$("$BIN" token create --database-url "$DB" --merchant corner-goods --name bench-counter --scope pos --location Downtown 2>/dev/null)"

PORT="$(free_port)"
say "starting shelfsync ($BACKEND) on 127.0.0.1:$PORT"
RUST_LOG=warn "$BIN" serve --database-url "$DB" --bind "127.0.0.1:$PORT" --no-demo >"$WORK/shelfsync.log" 2>&1 &
SHELFSYNC_PID=$!
BASE="http://127.0.0.1:$PORT"
SHOP="$BASE/shop/corner-goods"
API="$BASE/api/v1/storefront/items"
wait_for "$SHOP" 600
rss() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$SHELFSYNC_PID/status"; }

# The exact bytes shelfsync serves, as files for nginx.
mkdir -p "$WORK/www"
chmod 755 "$WORK" "$WORK/www"
curl -fs -o "$WORK/www/shop.html" "$SHOP"
curl -fs -o "$WORK/www/items.json" -H "Authorization: Bearer $STOREFRONT_TOKEN" "$API"
etag_of() { curl -fs -D - -o /dev/null "$@" | grep -i '^etag:' | cut -d' ' -f2- | tr -d '\r'; }

start_nginx
NGINX_SHOP_ETAG="$(etag_of "$NGINX_BASE/shop.html")"
NGINX_API_ETAG="$(etag_of "$NGINX_BASE/items.json")"
AUTH=(-H "Authorization: Bearer $STOREFRONT_TOKEN")

RESULTS="$WORK/results.tsv"
SALES="$WORK/sales.txt"
: >"$RESULTS"
: >"$SALES"
# run_wrk LABEL URL [wrk header args…]: a 1 s warm-up, then the measured run.
run_wrk() {
  local label="$1" url="$2"; shift 2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "$@" "$url" >/dev/null
  local out
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")"
  echo "$out" >>"$WORK/wrk-$(echo "$label" | tr ' /' '__').txt"
  if grep -q 'Non-2xx or 3xx' <<<"$out"; then echo "$label: errors: $(grep 'Non-2xx' <<<"$out")" >&2; exit 1; fi
  local rps p50 p99
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  printf '%s\t%s\t%s\t%s\n' "$label" "$rps" "$p50" "$p99" >>"$RESULTS"
  say "$label: $rps req/s (p50 $p50, p99 $p99)"
}
# under_writes LABEL URL [wrk args…]: the same while sales are recorded.
SALES_SECONDS="$(awk -v d="${DURATION%s}" 'BEGIN { print d + 1.5 }')"
under_writes() {
  local label="$1"
  "$CLIENT" sales "$BASE" "$POS_TOKEN" "$SALES_RATE" "$SALES_SECONDS" "$WORK/store-items.txt" >"$WORK/sales-now.txt" &
  local sales_pid=$!
  run_wrk "$@"
  wait "$sales_pid"
  printf '%s\t%s\n' "$label" "$(cat "$WORK/sales-now.txt")" >>"$SALES"
  say "$label: $(cat "$WORK/sales-now.txt")"
}

# The items the counter sells, read once so the sales client does no reads while timed.
"$CLIENT" store-items "$BASE" "$POS_TOKEN" >"$WORK/store-items.txt"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
  say "round $round of $ROUNDS"
  SHOP_ETAG="$(etag_of "$SHOP")"
  API_ETAG="$(etag_of "${AUTH[@]}" "$API")"
  run_wrk "json 200 idle shelfsync" "$API" "${AUTH[@]}"
  run_wrk "json 200 idle nginx" "$NGINX_BASE/items.json"
  run_wrk "shop 200 idle shelfsync" "$SHOP"
  run_wrk "shop 200 idle nginx" "$NGINX_BASE/shop.html"
  run_wrk "json 304 idle shelfsync" "$API" "${AUTH[@]}" -H "If-None-Match: $API_ETAG"
  run_wrk "json 304 idle nginx" "$NGINX_BASE/items.json" -H "If-None-Match: $NGINX_API_ETAG"
  run_wrk "shop 304 idle shelfsync" "$SHOP" -H "If-None-Match: $SHOP_ETAG"
  run_wrk "shop 304 idle nginx" "$NGINX_BASE/shop.html" -H "If-None-Match: $NGINX_SHOP_ETAG"
  under_writes "json 200 writes shelfsync" "$API" "${AUTH[@]}"
  under_writes "shop 200 writes shelfsync" "$SHOP"
  API_ETAG="$(etag_of "${AUTH[@]}" "$API")"
  under_writes "json 304 writes shelfsync" "$API" "${AUTH[@]}" -H "If-None-Match: $API_ETAG"
  SHOP_ETAG="$(etag_of "$SHOP")"
  under_writes "shop 304 writes shelfsync" "$SHOP" -H "If-None-Match: $SHOP_ETAG"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

say "full passes over the online list (limit=1000): warm, then right after one sale"
"$CLIENT" pass "$BASE" "$STOREFRONT_TOKEN" >/dev/null
PASS_OUT=""
for n in $(seq 1 "$PASSES"); do
  warm="$("$CLIENT" pass "$BASE" "$STOREFRONT_TOKEN")"
  "$CLIENT" sales "$BASE" "$POS_TOKEN" 1 1 "$WORK/store-items.txt" >/dev/null
  after="$("$CLIENT" pass "$BASE" "$STOREFRONT_TOKEN")"
  PASS_OUT+="warm: $warm | after one sale: $after"$'\n'
  say "warm: $warm / after one sale: $after"
done

say "warming every /shop page, then RSS"
SHOP_PASS="$("$CLIENT" shop-pass "$BASE" corner-goods)"
SHOP_PASS_WARM="$("$CLIENT" shop-pass "$BASE" corner-goods)"
"$CLIENT" pass "$BASE" "$STOREFRONT_TOKEN" >/dev/null
RSS_WARM="$(rss)"

say "toggle, then the feed shows the change (1000 times, as in storefront.sh)"
FEED_OUT="$(target/release/examples/bench_feed "$BASE" "$ADMIN_TOKEN" "$STOREFRONT_TOKEN" "$((60 + ITEMS))" 1000)"

say "RSS of a fresh server after one pass over the JSON list and every /shop page"
kill "$SHELFSYNC_PID"; wait "$SHELFSYNC_PID" 2>/dev/null || true
RUST_LOG=warn "$BIN" serve --database-url "$DB" --bind "127.0.0.1:$PORT" --no-demo >>"$WORK/shelfsync.log" 2>&1 &
SHELFSYNC_PID=$!
wait_for "$SHOP" 600
"$CLIENT" pass "$BASE" "$STOREFRONT_TOKEN" >/dev/null
"$CLIENT" shop-pass "$BASE" corner-goods >/dev/null
RSS_FRESH="$(rss)"

median() {
  awk -F'\t' -v l="$1" '$1 == l {print $2, $3, $4}' "$RESULTS" | sort -n | awk '{ rows[NR] = $0 } END { print rows[int((NR + 1) / 2)] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "shelfsync reads under writes — $BACKEND, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), catalogue of $((60 + ITEMS)) items, page of 100 ($(wc -c <"$WORK/www/shop.html") bytes HTML, $(wc -c <"$WORK/www/items.json") bytes JSON)"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, median of $ROUNDS interleaved runs; sales at $SALES_RATE/s from examples/bench_reads.rs"
echo "load average before / after: $LOAD_BEFORE / $LOAD_AFTER"
echo
printf '| %-6s | %-4s | %-6s | %14s | %14s | %7s | %-18s |\n' "page" "path" "sales" "shelfsync req/s" "nginx idle req/s" "ratio" "shelfsync p50/p99"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "--------" "------" "--------" "----------------:" "----------------:" "--------:" "--------------------"
for page in json shop; do
  for path in 200 304; do
    for load in idle writes; do
      read -r -a s <<<"$(median "$page $path $load shelfsync")"
      read -r -a n <<<"$(median "$page $path idle nginx")"
      printf '| %-6s | %-4s | %-6s | %16s | %16s | %7s | %-18s |\n' "$page" "$path" "$load" "${s[0]}" "${n[0]}" "$(ratio "${s[0]}" "${n[0]}")" "${s[1]} / ${s[2]}"
    done
  done
done
echo
echo "sales recorded during each run under writes:"
cat "$SALES"
echo
echo "full passes over the online list (limit=1000):"
printf '%s' "$PASS_OUT"
echo
echo "/shop, every page: first $SHOP_PASS; again $SHOP_PASS_WARM"
echo "server RSS with both lists warm: $RSS_FRESH MiB on a fresh server; $RSS_WARM MiB after all of the above"
echo
echo "$FEED_OUT"
