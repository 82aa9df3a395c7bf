#!/usr/bin/env bash
# Installs what `npm run up`, `npm test` and `npm run loadtest` need and is missing:
# system packages (redis-server, PostgreSQL, nginx, psql; with --browser, chromium
# for the browser tests; with --test-clients, Python's socketio client for the test of
# a client we did not write; with --prometheus, Prometheus and promtool for the
# scrape and alert-rule tests — only `npm test` passes those three; PROMETHEUS=1 in the
# environment, as in `PROMETHEUS=1 npm run up`, asks for Prometheus too) through apt-get when root,
# else it prints the command; npm packages with `npm ci` when node_modules is
# missing or older than the lockfile. CHAT_SKIP_BROWSER=1 drops the browser even
# with --browser; CHAT_PYTHON names the python3 to check (default Debian's /usr/bin/python3),
# CHAT_EMOJI_FONT the emoji font file (default Noto Color Emoji's).
set -euo pipefail
cd "$(dirname "$0")/.."

browser=0
test_clients=0
prometheus=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    --test-clients) test_clients=1 ;;
    --prometheus) prometheus=1 ;;
    *) echo "ensure-deps: unknown argument $arg (known: --browser, --test-clients, --prometheus)" >&2; exit 2 ;;
  esac
done
[ "${CHAT_SKIP_BROWSER:-}" = "1" ] && browser=0
case "${PROMETHEUS:-}" in 1 | true | yes) prometheus=1 ;; esac

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 || missing+=(postgresql)
if [ "$browser" = "1" ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # Without a colour emoji font headless chromium draws emoji (reactions) as empty boxes.
  [ -f "${CHAT_EMOJI_FONT:-/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf}" ] || missing+=(fonts-noto-color-emoji)
fi
if [ "$test_clients" = "1" ]; then
  # Debian's python3, where apt puts these (a pyenv or venv python3 first on PATH would not see them).
  python="${CHAT_PYTHON:-/usr/bin/python3}"
  "$python" -c 'import socketio' >/dev/null 2>&1 || missing+=(python3-socketio)
  # python-socketio's WebSocket transport needs websocket-client.
  "$python" -c 'import websocket' >/dev/null 2>&1 || missing+=(python3-websocket)
fi
if [ "$prometheus" = "1" ]; then
  # Debian's package ships both binaries.
  { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing+=(prometheus)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: installing ${missing[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts the packaged daemons; ours run privately, so leave theirs alone.
  else
    echo "ensure-deps: missing ${missing[*]}. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
