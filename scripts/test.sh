#!/usr/bin/env bash
# The whole suite on SQLite, then on PostgreSQL when one is reachable (always in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

if { [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; } || ! command -v xgettext >/dev/null 2>&1; then
  echo "Installing Debian's chromium (browser tests) and gettext (translation checks)..."
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium gettext >/dev/null
fi

pg_url="${DATABASE_URL:-}"
if [ -z "$pg_url" ] && $BIN/python - <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
except OSError:
    sys.exit(1)
PY
then
  pg_url="postgres://postgres@127.0.0.1:5432/townsquare"
fi

export TOWNSQUARE_DATA_DIR="${TOWNSQUARE_DATA_DIR:-$(pwd)/var/test}"
export DJANGO_ALLOW_ASYNC_UNSAFE=1  # Playwright's sync API runs an event loop in the test thread

echo "== Tests on SQLite"
env -u DATABASE_URL $BIN/pytest "$@"

if [ -n "$pg_url" ] && [[ "$pg_url" == postgres* ]]; then
  echo "== Tests on PostgreSQL"
  DATABASE_URL="$pg_url" $BIN/pytest "$@"
else
  echo "== PostgreSQL not reachable: the PostgreSQL run was skipped (set DATABASE_URL)."
fi
