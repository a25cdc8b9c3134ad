#!/usr/bin/env bash
# The whole test suite: `npm test`. Installs redis-tools (redis-cli, redis-benchmark)
# when missing and we are root; otherwise stops with the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v redis-cli >/dev/null 2>&1 || need_pkgs+=(redis-tools)
command -v redis-benchmark >/dev/null 2>&1 || need_pkgs+=(redis-tools)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing redis-tools (redis-cli, redis-benchmark) with apt-get..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-tools >/dev/null
  else
    echo "test: redis-cli and redis-benchmark are needed. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y redis-tools" >&2
    exit 1
  fi
fi

npx tsc -p .
npx mocha --reporter ./dist/test/support/reporter.js 'dist/test/**/*.test.js' "$@"
