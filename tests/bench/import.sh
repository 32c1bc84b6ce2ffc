#!/usr/bin/env bash
# Catalogue import and export (issue 13), on SQLite: ROWS items imported from
# a CSV file, all new and then all changed (every price), the preview
# (`--dry-run`) and the apply timed separately; the export of the same
# catalogue; the peak RSS of each command; and the machine's floor for the
# same file, the sqlite3 shell's `.import` into a bare table, measured in
# the same run.
#
# Usage: bash tests/bench/import.sh     Environment: ROWS (100000), KEEP=1.
# Builds the release binary; writes only under a temporary work dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/bench/lib.sh

ROWS="${ROWS:-100000}"
new_work_dir shelfsync-import
say "building the release binary"
cargo build --release --quiet --bin shelfsync
BIN="${CARGO_TARGET_DIR:-target}/release/shelfsync"
DB="$WORK/shop.db"

say "seeding the demo shop in $DB"
"$BIN" demo --database-url "$DB" >/dev/null 2>&1

python3 - "$WORK" "$ROWS" <<'PY'
import csv, sys
work, rows = sys.argv[1], int(sys.argv[2])
header = ["sku", "name", "description", "price", "barcode", "in_store", "online",
          "archived", "online_buffer", "backorder", "stock:Downtown", "stock:Riverside"]
for name, cents in (("new.csv", 25), ("changed.csv", 75)):
    with open(f"{work}/{name}", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i in range(rows):
            w.writerow([f"BENCH-{i:06d}", f"Bench item {i}", "A plain description of the item.",
                        f"{i % 500 + 1}.{cents}", "", "yes", "for_sale" if i % 3 else "view_only",
                        "no", "", "no", i % 9, i % 5])
PY

# timed LABEL COMMAND…: wall seconds and peak RSS (MiB) of one command.
timed() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || {
    cat "$WORK/err" >&2; return 1; }
  read -r seconds kib <"$WORK/time"
  printf '%-34s %8.2f s %8.0f MiB\n' "$label" "$seconds" "$((kib / 1024))"
}

say "results ($ROWS rows)"
timed "sqlite3 .import (floor)" sqlite3 "$WORK/floor.db" \
  "CREATE TABLE t(sku,name,description,price,barcode,in_store,online,archived,online_buffer,backorder,s1,s2);" \
  ".import --csv --skip 1 $WORK/new.csv t"
timed "preview, all new (--dry-run)" "$BIN" import "$WORK/new.csv" --database-url "$DB" --merchant corner-goods --dry-run
timed "apply, all new" "$BIN" import "$WORK/new.csv" --database-url "$DB" --merchant corner-goods
timed "preview, all changed (--dry-run)" "$BIN" import "$WORK/changed.csv" --database-url "$DB" --merchant corner-goods --dry-run
timed "apply, all changed" "$BIN" import "$WORK/changed.csv" --database-url "$DB" --merchant corner-goods
timed "export" "$BIN" export --database-url "$DB" --merchant corner-goods --output "$WORK/export.csv"
timed "import of its own export (no-op)" "$BIN" import "$WORK/export.csv" --database-url "$DB" --merchant corner-goods
"$BIN" check --database-url "$DB" >/dev/null
echo "exported rows: $(($(wc -l <"$WORK/export.csv") - 1)); the ledger check passes"
