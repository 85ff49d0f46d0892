#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Hookgate (release) and shows it working:
# lists the schemes and signs + verifies a sample event.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHOOKGATE_TESTS=OFF
cmake --build build
echo "== built build/src/hookgate; schemes:"
./build/src/hookgate schemes
echo "== sign and verify a sample Standard Webhooks event:"
body='{"type":"invoice.paid","id":"evt_1"}'
secret=$(./build/src/hookgate secret --scheme standard-webhooks | sed -n 's/^secret: //p')
headers=$(printf '%s' "$body" | ./build/src/hookgate sign --scheme standard-webhooks --secret "$secret")
echo "$headers"
args=()
while IFS= read -r line; do args+=(--header "$line"); done <<<"$headers"
printf '%s' "$body" | ./build/src/hookgate verify --scheme standard-webhooks --secret "$secret" "${args[@]}"
