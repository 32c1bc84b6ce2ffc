#!/usr/bin/env bash
# The whole test suite, on SQLite and PostgreSQL, browser tests included.
# Usage: bash tests/run.sh [extra nextest arguments]
#
# Installs what the browser tests need (Debian's chromium and chromium-driver),
# Debian's nginx-light for the tests behind nginx, and the Python tools
# (schemathesis and the standardwebhooks verifier, from PyPI into target/pyenv)
# when missing. PostgreSQL is expected at SHELFSYNC_TEST_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/test); each test creates its own
# database there. Outside CI an unreachable PostgreSQL is reported and the
# PostgreSQL tests are skipped; in CI (CI=true) it fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

export SHELFSYNC_TEST_POSTGRES_URL="${SHELFSYNC_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
# The local test server needs no TLS. With TLS negotiated, libpq initialises
# OpenSSL, whose exit handler (OPENSSL_cleanup) now and then crashed a test
# process that had passed (SIGSEGV) while server threads were still alive.
export PGSSLMODE="${PGSSLMODE:-disable}"

say() { printf '\n== %s\n' "$*"; }

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing chromium and chromium-driver for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# tests/push/behind_nginx.rs and rolling_restart.rs run deploy/nginx.conf in a
# real nginx (started by the test as a child process, on loopback ports).
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  say "installing nginx-light for the tests behind nginx"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nginx-light >/dev/null
fi

filter=()
if command -v psql >/dev/null && psql "$SHELFSYNC_TEST_POSTGRES_URL" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  # Databases left by earlier runs (a test's database is not dropped while its server runs).
  stale=$(psql "$SHELFSYNC_TEST_POSTGRES_URL" -qAtc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'shelfsync_test_%'" || true)
  for name in $stale; do
    psql "$SHELFSYNC_TEST_POSTGRES_URL" -qAtc "DROP DATABASE IF EXISTS \"$name\"" >/dev/null 2>&1 || true
  done
else
  if [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL is not reachable at $SHELFSYNC_TEST_POSTGRES_URL; in CI the PostgreSQL tests must run." >&2
    exit 1
  fi
  say "PostgreSQL is NOT reachable at $SHELFSYNC_TEST_POSTGRES_URL: running the SQLite tests only."
  say "Start PostgreSQL or set SHELFSYNC_TEST_POSTGRES_URL to run the whole suite."
  # The schema tests that compare the two databases need both.
  filter=(-E 'not test(/::postgres$/) and not test(/sqlite_and_postgres/)')
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest"
  cargo install --locked cargo-nextest
fi

# Python tools the suite drives, in a venv of their own under target/:
# schemathesis fuzzes the API against its OpenAPI document (tests/contract),
# and the Standard Webhooks reference verifier (`standardwebhooks`) checks
# real deliveries (tests/push/standard.rs). Pinned, installed when missing.
pyenv=target/pyenv
schemathesis_version=4.32.5
if ! "$pyenv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $schemathesis_version" \
  || ! "$pyenv/bin/python" -c 'import standardwebhooks' >/dev/null 2>&1; then
  say "installing schemathesis $schemathesis_version and standardwebhooks into $pyenv"
  python=$(command -v python3.11 || command -v python3)
  "$python" -m venv "$pyenv"
  "$pyenv/bin/pip" install -q --disable-pip-version-check "schemathesis==$schemathesis_version" standardwebhooks
fi
export SHELFSYNC_SCHEMATHESIS="$PWD/$pyenv/bin/schemathesis"
export SHELFSYNC_TEST_PYTHON="${SHELFSYNC_TEST_PYTHON:-$PWD/$pyenv/bin/python}"

say "tests per backend"
listing=$(cargo nextest list --all-targets --message-format oneline "${filter[@]}" 2>/dev/null || true)
printf 'sqlite: %s  postgres: %s  backend-independent: %s\n' \
  "$(grep -c '::sqlite$' <<<"$listing" || true)" \
  "$(grep -c '::postgres$' <<<"$listing" || true)" \
  "$(grep -vcE '::(sqlite|postgres)$' <<<"$listing" || true)"

say "running the suite"
cargo nextest run --all-targets --no-fail-fast "${filter[@]}" "$@"
