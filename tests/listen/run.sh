#!/usr/bin/env bash
# Runs the `hookgate listen` check with the providers' official SDKs: ./run.sh path/to/hookgate
set -euo pipefail
binary=$(realpath "${1:?usage: run.sh path/to/hookgate}")
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "node is required (Debian: apt-get install nodejs npm)" >&2; exit 2; }
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
HOOKGATE="$binary" node listen.mjs
