#!/usr/bin/env bash
# Long differential run: raftcache against a real redis-server 7.0, many seeds.
#
#   scripts/differential.sh                 # seeds 1..2000, 500 commands each, families raftcache implements
#   scripts/differential.sh 5000 1000       # seeds 1..5000, 1000 commands each
#   scripts/differential.sh 1 200 --families hash,set --keep-going
#
# Arguments: [last-seed [count]] then any option of test/differential/cli.js
# (--seeds A..B overrides the range, --families, --resp 2|3, --no-shrink,
# --keep-going, --with-known-bugs). Stops at the first failing seed unless
# --keep-going; each failure prints the one command that reproduces it.
# The short range runs in npm test (test/differential/differential.test.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "differential: redis-server is not on PATH (apt-get install redis-server; the reference is Redis 7.0)" >&2
  exit 2
fi

last=2000
count=500
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then last=$1; shift; fi
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then count=$1; shift; fi

npx tsc -p .
# Servers log at warn: the run prints progress and failures, not every connection.
export RAFTCACHE_LOG_LEVEL="${RAFTCACHE_LOG_LEVEL:-warn}"
exec node dist/test/differential/cli.js --seeds "1..$last" --count "$count" "$@"
