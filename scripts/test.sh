#!/usr/bin/env bash
# The whole test suite: `npm test`.
#
# The tests use Debian packages beside Node: redis-cli/redis-benchmark
# (redis-tools), redis-server (the reference for compatibility tests),
# python3-redis (a second real client), libfaketime (clock faults), nftables
# and iproute2 (network namespaces and packet faults), docker-compose (checks
# docker-compose.yml). As root we install whatever is missing with apt-get;
# otherwise we stop and print the exact command. Set RAFTCACHE_TEST_NO_INSTALL=1
# to run with what is there (tests needing a missing tool then skip or fail).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(redis-tools redis-server python3-redis libfaketime nftables iproute2 docker-compose)

# A package counts as present when dpkg says it is installed; without dpkg
# (not Debian) we look for the commands and files the tests use.
present() {
  if command -v dpkg-query >/dev/null 2>&1; then
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
    return
  fi
  case "$1" in
    redis-tools) command -v redis-cli >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1 ;;
    redis-server) command -v redis-server >/dev/null 2>&1 ;;
    python3-redis) python3 -c 'import redis' >/dev/null 2>&1 ;;
    libfaketime) ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 ;;
    nftables) command -v nft >/dev/null 2>&1 ;;
    iproute2) command -v ip >/dev/null 2>&1 ;;
    docker-compose) command -v docker-compose >/dev/null 2>&1 ;;
  esac
}

missing=()
for p in "${packages[@]}"; do present "$p" || missing+=("$p"); done

if [ ${#missing[@]} -gt 0 ] && [ "${RAFTCACHE_TEST_NO_INSTALL:-}" != 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing ${missing[*]} with apt-get..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # Debian starts the packaged redis-server on 6379; tests start their own.
    if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
    still=()
    for p in "${missing[@]}"; do present "$p" || still+=("$p"); done
    if [ ${#still[@]} -gt 0 ]; then
      echo "test: apt-get did not install: ${still[*]}" >&2
      exit 1
    fi
  else
    echo "test: these Debian packages are needed by the tests: ${missing[*]}. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    echo "(or run as root, and npm test installs them; RAFTCACHE_TEST_NO_INSTALL=1 runs without them)" >&2
    exit 1
  fi
fi

npx tsc -p .
npx mocha --reporter ./dist/test/support/reporter.js 'dist/test/**/*.test.js' "$@"
