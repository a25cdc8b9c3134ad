#!/usr/bin/env bash
# The whole test suite: `npm test`. Installs redis-tools (redis-cli, redis-benchmark)
# when missing and we are root; otherwise stops with the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

# redis-server and python3-redis are optional: the protocol compatibility test
# compares against redis-server, and the lock-client test runs redis-py's Lock;
# both skip without them. As root we install them along with redis-tools.
missing_tools=0
command -v redis-cli >/dev/null 2>&1 || missing_tools=1
command -v redis-benchmark >/dev/null 2>&1 || missing_tools=1
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  pkgs=()
  [ $missing_tools = 1 ] && pkgs+=(redis-tools)
  command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
  { python3 -c 'import redis' || /usr/bin/python3 -c 'import redis'; } >/dev/null 2>&1 || pkgs+=(python3-redis)
  if [ ${#pkgs[@]} -gt 0 ]; then
    echo "test: installing ${pkgs[*]} with apt-get..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
    # Debian starts the packaged redis-server on 6379; tests start their own.
    if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
  fi
elif [ $missing_tools = 1 ]; then
  echo "test: redis-cli and redis-benchmark are needed. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y redis-tools" >&2
  exit 1
fi

npx tsc -p .
npx mocha --reporter ./dist/test/support/reporter.js 'dist/test/**/*.test.js' "$@"
