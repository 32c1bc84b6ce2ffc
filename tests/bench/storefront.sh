#!/usr/bin/env bash
# The storefront benchmark (issue 4): shelfsync serving the hosted storefront
# page (100 items, from a catalogue of 100k) against nginx serving the very same
# bytes from a file, both on loopback, with wrk at 64 connections, for the 200
# path and the 304 (If-None-Match) path; the same for the JSON online list; then
# "toggle, then the feed shows the change" latency with examples/bench_feed.rs.
#
# Usage: bash tests/bench/storefront.sh
# Environment: ITEMS (100000), DURATION (8s per run), ROUNDS (3), CONNECTIONS
#              (64), THREADS (2), FEED_ITERATIONS (1000), KEEP=1 keeps the work dir.
#
# Each pair (shelfsync, nginx) runs back to back, ROUNDS times over, and the
# table shows each one's median run: on a shared machine the load moves, and
# interleaving keeps the comparison fair.
#
# Installs wrk and nginx-light from Debian when missing. Everything listens on
# 127.0.0.1 only and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

ITEMS="${ITEMS:-100000}"
DURATION="${DURATION:-8s}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
FEED_ITERATIONS="${FEED_ITERATIONS:-1000}"

. tests/bench/lib.sh
install_tools

say "building shelfsync and the feed benchmark (release)"
cargo build --release --quiet --bin shelfsync --example bench_feed
BIN=target/release/shelfsync

new_work_dir shelfsync-bench

DB="$WORK/bench.db"
say "seeding the demo merchant with $ITEMS more items"
"$BIN" demo --database-url "$DB" --items "$ITEMS" >&2
STOREFRONT_TOKEN="$("$BIN" token create --database-url "$DB" --merchant corner-goods --name bench-storefront --scope storefront 2>/dev/null)"
ADMIN_TOKEN="$("$BIN" token create --database-url "$DB" --merchant corner-goods --name bench-admin --scope admin 2>/dev/null)"

PORT="$(free_port)"
say "starting shelfsync on 127.0.0.1:$PORT"
RUST_LOG=warn "$BIN" serve --database-url "$DB" --bind "127.0.0.1:$PORT" --no-demo >"$WORK/shelfsync.log" 2>&1 &
SHELFSYNC_PID=$!
SHOP="http://127.0.0.1:$PORT/shop/corner-goods"
API="http://127.0.0.1:$PORT/api/v1/storefront/items"
wait_for "$SHOP"

# The exact bytes shelfsync serves, as files for nginx.
mkdir -p "$WORK/www"
# nginx's workers run as an unprivileged user when started by root: let them read.
chmod 755 "$WORK" "$WORK/www"
curl -fs -D "$WORK/shop.headers" -o "$WORK/www/shop.html" "$SHOP"
curl -fs -D "$WORK/api.headers" -o "$WORK/www/items.json" -H "Authorization: Bearer $STOREFRONT_TOKEN" "$API"
SHOP_ETAG="$(grep -i '^etag:' "$WORK/shop.headers" | cut -d' ' -f2- | tr -d '\r')"
API_ETAG="$(grep -i '^etag:' "$WORK/api.headers" | cut -d' ' -f2- | tr -d '\r')"
ITEMS_ON_PAGE="$(grep -c '<article class="product"' "$WORK/www/shop.html" || true)"

start_nginx
NGINX_SHOP_ETAG="$(curl -fsI "$NGINX_BASE/shop.html" | grep -i '^etag:' | cut -d' ' -f2- | tr -d '\r')"
NGINX_API_ETAG="$(curl -fsI "$NGINX_BASE/items.json" | grep -i '^etag:' | cut -d' ' -f2- | tr -d '\r')"

# Checks that each 304 request really is a 304 before timing it.
expect_status() {
  local want="$1"; shift
  local got
  got="$(curl -s -o /dev/null -w '%{http_code}' "$@")"
  if [ "$got" != "$want" ]; then echo "expected $want, got $got from: $*" >&2; exit 1; fi
}
expect_status 304 -H "If-None-Match: $SHOP_ETAG" "$SHOP"
expect_status 304 -H "If-None-Match: $NGINX_SHOP_ETAG" "$NGINX_BASE/shop.html"
expect_status 304 -H "If-None-Match: $API_ETAG" -H "Authorization: Bearer $STOREFRONT_TOKEN" "$API"
expect_status 304 -H "If-None-Match: $NGINX_API_ETAG" "$NGINX_BASE/items.json"

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
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

AUTH=(-H "Authorization: Bearer $STOREFRONT_TOKEN")
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
  say "round $round of $ROUNDS"
  run_wrk "shop 200 shelfsync" "$SHOP"
  run_wrk "shop 200 nginx" "$NGINX_BASE/shop.html"
  run_wrk "shop 304 shelfsync" "$SHOP" -H "If-None-Match: $SHOP_ETAG"
  run_wrk "shop 304 nginx" "$NGINX_BASE/shop.html" -H "If-None-Match: $NGINX_SHOP_ETAG"
  run_wrk "json 200 shelfsync" "$API" "${AUTH[@]}"
  run_wrk "json 200 nginx" "$NGINX_BASE/items.json"
  run_wrk "json 304 shelfsync" "$API" "${AUTH[@]}" -H "If-None-Match: $API_ETAG"
  run_wrk "json 304 nginx" "$NGINX_BASE/items.json" -H "If-None-Match: $NGINX_API_ETAG"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# The median run of LABEL: "rps p50 p99".
median() {
  awk -F'\t' -v l="$1" '$1 == l {print $2, $3, $4}' "$RESULTS" | sort -n | awk '{ rows[NR] = $0 } END { print rows[int((NR + 1) / 2)] }'
}

say "toggle, then the feed shows the change ($FEED_ITERATIONS times)"
# Generated items follow the demo's 60, so the last id is 60 + ITEMS on a fresh database.
FEED_ITEM=$((60 + ITEMS))
FEED_OUT="$(target/release/examples/bench_feed "http://127.0.0.1:$PORT" "$ADMIN_TOKEN" "$STOREFRONT_TOKEN" "$FEED_ITEM" "$FEED_ITERATIONS")"

echo
echo "shelfsync storefront benchmark — $(nproc) cores, $(date -u +%Y-%m-%d), catalogue of $((60 + ITEMS)) items, page of $ITEMS_ON_PAGE items ($(wc -c <"$WORK/www/shop.html") bytes HTML, $(wc -c <"$WORK/www/items.json") bytes JSON)"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, median of $ROUNDS interleaved runs, loopback, both servers without access logs"
echo "load average before / after: $LOAD_BEFORE / $LOAD_AFTER"
echo
printf '| %-6s | %-4s | %14s | %14s | %7s | %-18s | %-18s |\n' "page" "path" "shelfsync req/s" "nginx req/s" "ratio" "shelfsync p50/p99" "nginx p50/p99"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "--------" "------" "----------------:" "----------------:" "--------:" "--------------------" "--------------------"
for page in shop json; do
  for path in 200 304; do
    read -r -a s <<<"$(median "$page $path shelfsync")"
    read -r -a n <<<"$(median "$page $path nginx")"
    ratio="$(awk -v a="${s[0]}" -v b="${n[0]}" 'BEGIN { printf "%.2f", a / b }')"
    printf '| %-6s | %-4s | %16s | %16s | %7s | %-18s | %-18s |\n' "$page" "$path" "${s[0]}" "${n[0]}" "$ratio" "${s[1]} / ${s[2]}" "${n[1]} / ${n[2]}"
  done
done
echo
echo "$FEED_OUT"
