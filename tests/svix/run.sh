#!/usr/bin/env bash
# Runs the svix client e2e driver against a hookgate binary: ./run.sh path/to/hookgate
# (npm ci on first run here, in tests/contract and in examples/sealed-receiver; versions pinned in
# each package-lock.json). Loopback only; bounded by the driver's own deadline and this timeout.
set -euo pipefail
binary=$(realpath "${1:?usage: run.sh path/to/hookgate}")
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "node is required (Debian: apt-get install nodejs npm)" >&2; exit 2; }
for dir in . ../contract ../../examples/sealed-receiver; do
  [ -d "$dir/node_modules" ] || (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
done
node ../contract/selftest.mjs
HOOKGATE="$binary" timeout 240 node svix.mjs
