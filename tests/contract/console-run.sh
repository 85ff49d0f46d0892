#!/usr/bin/env bash
# Checks the console's /api/v1 resources against docs/openapi.yaml: ./console-run.sh path/to/hookgate
# (npm ci here on first run; versions pinned in package-lock.json). Loopback only.
set -euo pipefail
binary=$(realpath "${1:?usage: console-run.sh path/to/hookgate}")
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "node is required (Debian: apt-get install nodejs npm)" >&2; exit 2; }
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
node selftest.mjs
HOOKGATE="$binary" timeout 150 node console.mjs
