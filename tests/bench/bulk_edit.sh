#!/usr/bin/env bash
# The bulk editor (issue 17): opening the editor for 1,000 items (target:
# server time ≤ 100 ms) and saving 1,000 changed rows (target: ≤ 1 s), on
# SQLite and, when BENCH_POSTGRES_URL names a server, on PostgreSQL. A
# release shelfsync on 127.0.0.1 with the demo and ITEMS generated items;
# the editor opened with "select all matching" on their SKU prefix, with the
# name, SKU, price and Downtown stock columns. curl's time to the first byte
# of the answer is the server time (loopback, so the network adds ~0); each
# figure is the median of RUNS, and each save changes every price again.
#
# Usage: bash tests/bench/bulk_edit.sh
# Environment: ITEMS (1000), RUNS (5), KEEP=1, BENCH_POSTGRES_URL (e.g.
# postgres://postgres@127.0.0.1:5432/postgres: a database of its own is
# created on that server for the run and dropped afterwards).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/bench/lib.sh

ITEMS="${ITEMS:-1000}"
RUNS="${RUNS:-5}"
new_work_dir shelfsync-bulk-edit
say "building the release binary"
cargo build --release --quiet --bin shelfsync
BIN="${CARGO_TARGET_DIR:-target}/release/shelfsync"

PG_DB=""
cleanup_pg() {
  if [ -n "$PG_DB" ]; then dropdb --if-exists --maintenance-db="$BENCH_POSTGRES_URL" "$PG_DB" 2>/dev/null || true; fi
  bench_cleanup
}
trap cleanup_pg EXIT

# median: the middle of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# bench LABEL DATABASE_URL: seeds, serves and measures one database.
bench() {
  local label="$1" url="$2"
  say "$label: seeding the demo with $ITEMS more items"
  "$BIN" demo --database-url "$url" --items "$ITEMS" >/dev/null 2>&1
  local port base jar
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  jar="$WORK/$label.cookies"
  RUST_LOG=warn "$BIN" serve --database-url "$url" --bind "127.0.0.1:$port" --no-demo \
    >"$WORK/$label.log" 2>&1 &
  SHELFSYNC_PID=$!
  wait_for "$base/healthz" 200

  # Sign in like a browser: the login form's token, then the form.
  local token
  token="$(curl -fs -c "$jar" "$base/login" | python3 -c '
import re, sys; print(re.search(r"name=\"csrf_token\" value=\"([^\"]+)\"", sys.stdin.read()).group(1))')"
  curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=sam@cornergoods.example" --data-urlencode "password=shelfsync-demo" "$base/login"
  token="$(curl -fs -b "$jar" "$base/items" | python3 -c '
import re, sys; print(re.search(r"name=\"csrf_token\" value=\"([^\"]+)\"", sys.stdin.read()).group(1))')"
  local store
  store="$(curl -fs -b "$jar" "$base/items/bulk-edit?all_matching=1&q=GEN-&filter=all" | python3 -c '
import re, sys; print(re.search(r"value=\"stock-(\d+)\"", sys.stdin.read()).group(1))')"
  curl -fs -b "$jar" -o /dev/null --data "csrf_token=$token&all_matching=1&q=GEN-&filter=all&column=name&column=sku&column=price&column=stock-$store" \
    "$base/items/bulk-edit/columns"
  local editor="$base/items/bulk-edit?all_matching=1&q=GEN-&filter=all"

  : >"$WORK/open.txt"
  : >"$WORK/save.txt"
  for run in $(seq 1 "$RUNS"); do
    curl -fs -b "$jar" -o "$WORK/editor.html" -w '%{time_starttransfer}\n' "$editor" >>"$WORK/open.txt"
    # Every row's price up by one cent (or back down), the rest as drawn.
    python3 - "$WORK/editor.html" "$WORK/grid.form" "$run" <<'PY'
import html.parser, sys, urllib.parse
source, target, run = sys.argv[1], sys.argv[2], int(sys.argv[3])
class Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.inside = False; self.fields = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "bulk-edit": self.inside = True
        elif self.inside and tag == "input" and a.get("name"):
            if a.get("type") == "checkbox" and "checked" not in a: return
            value = a.get("value") or ""
            if a["name"].startswith("cell-") and a["name"].endswith("-price"):
                cents = round(float(value) * 100) + (1 if run % 2 else -1)
                value = f"{max(cents, 0) / 100:.2f}"
            self.fields.append((a["name"], value))
    def handle_endtag(self, tag):
        if tag == "form": self.inside = False
form = Form(); form.feed(open(source, encoding="utf-8").read())
rows = sum(1 for name, _ in form.fields if name == "row")
assert rows > 0, "the editor drew no rows"
open(target, "w").write(urllib.parse.urlencode(form.fields))
print(rows, file=sys.stderr)
PY
    curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}\n' \
      -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$WORK/grid.form" \
      "$base/items/bulk-edit" >>"$WORK/save.txt"
  done
  if grep -qv '^303 ' "$WORK/save.txt"; then
    echo "$label: a save was not accepted:" >&2; cat "$WORK/save.txt" >&2; exit 1
  fi
  local rows open save
  rows="$(grep -c 'name="row"' "$WORK/editor.html")"
  open="$(median <"$WORK/open.txt")"
  save="$(cut -d' ' -f2 "$WORK/save.txt" | median)"
  printf '%-10s %5d rows   open (server time, median of %d): %6.0f ms   save all rows: %6.0f ms\n' \
    "$label" "$rows" "$RUNS" "$(echo "$open * 1000" | bc -l)" "$(echo "$save * 1000" | bc -l)" >>"$WORK/results.txt"
  kill "$SHELFSYNC_PID" 2>/dev/null || true
  wait "$SHELFSYNC_PID" 2>/dev/null || true
  SHELFSYNC_PID=""
}

: >"$WORK/results.txt"
bench sqlite "$WORK/shop.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  PG_DB="shelfsync_bench_bulk_edit_$$"
  createdb --maintenance-db="$BENCH_POSTGRES_URL" "$PG_DB"
  bench postgres "${BENCH_POSTGRES_URL%/*}/$PG_DB"
fi
say "results"
cat "$WORK/results.txt"
"$BIN" check --database-url "$WORK/shop.db" >/dev/null
echo "the ledger check passes (SQLite)"
