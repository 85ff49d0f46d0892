#!/usr/bin/env bash
# Browser tests of the console and the portal against a hookgate binary: ./run.sh path/to/hookgate
# Debian's chromium (CHROMIUM, default /usr/bin/chromium) driven by puppeteer-core from npm
# (pinned in package-lock.json; installs no browser). Loopback only; bounded by the driver's own
# deadline and this timeout. Screenshots go to docs/img/ (SCREENSHOTS to put them elsewhere).
set -euo pipefail
binary=$(realpath "${1:?usage: run.sh path/to/hookgate}")
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "node is required (Debian: apt-get install nodejs npm)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is required (Debian: apt-get install curl)" >&2; exit 2; }
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "chromium is required (Debian: apt-get install chromium)" >&2; exit 2; }
# puppeteer-core never downloads a browser; this keeps any helper from trying.
export PUPPETEER_SKIP_DOWNLOAD=1
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
HOOKGATE="$binary" CHROMIUM="$chromium" timeout 300 node console.mjs
