#!/usr/bin/env bash
# Event streams under load, on the real `hookgate serve` over loopback (SQLite store):
#   1. throughput: EVENTS events (~250 B bodies) are stored first, then one consumer reads
#      /stream/github?after=0 until it has them all: events/s a stream delivers while catching up
#      (the consumer counts id: lines and parses nothing, so the gateway is what is measured);
#   2. idle streams: the gateway's resident memory (VmRSS) before and after STREAMS idle streams
#      are open (each past its ready message): RSS per idle stream.
# Usage: bench/load/stream.sh
# Environment (optional): EVENTS=100000 STREAMS=1000, HOOKGATE_BIN as in lib.sh.
# Needs: python3. No root (the open-file limit is raised as far as the hard limit allows).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

EVENTS=${EVENTS:-100000}
STREAMS=${STREAMS:-1000}
CLIENT="$(dirname "$0")/stream_client.py"
need_cmd python3 awk
ensure_built
bench_init
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

secret="bench-stream-secret"
token="bench-stream-token"
port=$(free_port)
cat >"$BENCH_TMP/hookgate.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
max_connections = $((STREAMS + 1000))
max_connections_per_ip = $((STREAMS + 1000))
[store]
url = "sqlite://$BENCH_TMP/stream.db"
[streams]
max_streams = $((STREAMS + 10))
max_streams_per_ip = $((STREAMS + 10))
[[source]]
name = "github"
scheme = "github"
secrets = ["$secret"]
pull_token = "$token"
keep_headers = ["X-GitHub-Event", "X-GitHub-Delivery"]
TOML
start_bg "$BENCH_TMP/hookgate.log" "$HOOKGATE_BIN" serve --config "$BENCH_TMP/hookgate.toml"
gw=$BG_PID
wait_port "$port" 30 "$gw" || die "hookgate did not start: $(cat "$BENCH_TMP/hookgate.log")"

log "storing $EVENTS events"
python3 "$CLIENT" fill "$port" "$secret" "$EVENTS"
settle
log "one stream reading them"
python3 "$CLIENT" throughput "$port" "$token" "$EVENTS"

settle
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$gw/status"; }
before=$(rss)
python3 "$CLIENT" idle "$port" "$token" "$STREAMS" 20 >"$BENCH_TMP/idle.out" &
idle_pid=$!
BENCH_PIDS+=("$idle_pid")
for ((i = 0; i < 600; i++)); do
  grep -q "^open" "$BENCH_TMP/idle.out" 2>/dev/null && break
  kill -0 "$idle_pid" 2>/dev/null || die "idle streams failed: $(cat "$BENCH_TMP/idle.out")"
  sleep 0.1
done
sleep 2
after=$(rss)
echo "RSS before ${before} KiB, with $STREAMS idle streams ${after} KiB:" \
  "$(( (after - before) * 1024 / STREAMS )) bytes per stream"
wait "$idle_pid" || true
