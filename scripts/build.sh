#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Hookgate (release) and runs the gateway on its embedded
# default store (SQLite): a signed GitHub event goes in, is stored durably and forwarded to a
# JSON-lines file, and is pulled back through the pull API; then the gateway stops.
# `build/src/hookgate serve --config examples/hookgate.toml` runs it for real.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHOOKGATE_TESTS=OFF -DHOOKGATE_BENCH=OFF
cmake --build build
hookgate=$PWD/build/src/hookgate
echo "== built $hookgate ($("$hookgate" schemes | wc -l) signature schemes)"

demo=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$demo"' EXIT
secret=$("$hookgate" secret --scheme github | sed -n 's/^secret: //p')
cat >"$demo/hookgate.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[store]
url = "sqlite://hookgate.db"
[[source]]
name = "github"
scheme = "github"
secrets = ["env:DEMO_GITHUB_SECRET"]
event_type_from = "header:X-GitHub-Event"
pull_token = "demo-pull-token"
[[destination]]
name = "archive"
file = "forwarded.jsonl"
[[route]]
from = "github"
to = ["archive"]
TOML
DEMO_GITHUB_SECRET=$secret "$hookgate" serve --config "$demo/hookgate.toml" \
  >"$demo/requests.log" 2>"$demo/serve.err" &
pid=$!
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$demo/serve.err")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$demo/serve.err"; exit 1; }
echo "== hookgate serve is listening on 127.0.0.1:$port (store: $demo/hookgate.db)"

body='{"ref":"refs/heads/main","commits":[{"id":"c0ffee"}]}'
# `hookgate sign` prints the headers GitHub would send, one per line.
headers=()
while IFS= read -r line; do headers+=(-H "$line"); done < <(
  printf '%s' "$body" | "$hookgate" sign --scheme github --secret "$secret" --id demo-1)
echo "== POST /in/github, signed as GitHub signs: ${headers[*]}"
curl -sS -X POST "http://127.0.0.1:$port/in/github" "${headers[@]}" -H 'X-GitHub-Event: push' \
  -H 'Content-Type: application/json' --data-binary "$body"
echo
echo "== the same delivery again (a provider's retry): acknowledged, stored once"
curl -sS -X POST "http://127.0.0.1:$port/in/github" "${headers[@]}" -H 'X-GitHub-Event: push' \
  --data-binary "$body"
echo
echo "== a forged one"
curl -sS -X POST "http://127.0.0.1:$port/in/github" -H 'X-Hub-Signature-256: sha256=00' \
  --data-binary "$body" || true
for _ in $(seq 100); do [ -s "$demo/forwarded.jsonl" ] && break; sleep 0.1; done
echo "== forwarded to the file destination:"
cat "$demo/forwarded.jsonl"
echo "== pulled back: GET /pull/github"
curl -sS "http://127.0.0.1:$port/pull/github" -H 'Authorization: Bearer demo-pull-token'
echo
echo "== metrics (excerpt)"
curl -sS "http://127.0.0.1:$port/metrics" | grep -E '^hookgate_(inbound_requests|delivery_attempts)_total'
kill -TERM "$pid"
wait "$pid" || true
echo "== stopped; request log:"
cat "$demo/requests.log"
