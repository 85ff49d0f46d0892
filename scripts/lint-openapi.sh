#!/usr/bin/env bash
# Lints docs/openapi.yaml with Redocly CLI (recommended ruleset, redocly.yaml), pinned in
# tools/openapi-lint and installed from its lock file on first use. Exit 0 only without errors.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null || { echo "node is required (Debian: apt-get install nodejs npm)" >&2; exit 2; }
[ -x tools/openapi-lint/node_modules/.bin/redocly ] ||
  npm ci --prefix tools/openapi-lint --no-audit --no-fund --loglevel=error
# No usage telemetry or update checks from CI machines.
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  tools/openapi-lint/node_modules/.bin/redocly lint --config redocly.yaml docs/openapi.yaml
