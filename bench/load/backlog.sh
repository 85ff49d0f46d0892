#!/usr/bin/env bash
# Backlog test: does the gateway's memory stay flat when the queue is huge? The design claims it
# does, because the dispatcher claims due work from the store's (state, due_ms) index in batches
# no larger than its free workers, never loading the queue into memory.
# For each backlog size (a small one, then BACKLOG, default 1 000 000):
#   1. Hookgate starts on a fresh SQLite store; an application and one endpoint pointing at a
#      loopback nginx sink are created through the API; Hookgate stops;
#   2. hookgate_backlog_fill (bench/backlog_fill.cpp) appends that many messages, each with one
#      delivery due now, straight through the Store interface (the API would take far longer);
#   3. Hookgate starts again and drains for WINDOW seconds; the script samples its resident memory
#      every second and reports the peak (VmHWM), the drain rate (deliveries delivered per second)
#      and what is left pending.
# Same peak RSS for both sizes = memory bounded independently of the backlog.
#
# Usage: bench/load/backlog.sh
# Environment (optional): BACKLOG=1000000 SMALL=10000 WINDOW=60 FILL_THREADS=128
#   PAYLOAD_BYTES=256 (each message's body), WORKERS / CONCURRENCY as in outbound.sh
# Needs: nginx-light (scripts/setup-debian.sh), ~1 GB free in the temporary directory. No root.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BACKLOG=${BACKLOG:-1000000}
SMALL=${SMALL:-10000}
WINDOW=${WINDOW:-60}
FILL_THREADS=${FILL_THREADS:-128}
PAYLOAD_BYTES=${PAYLOAD_BYTES:-256}
FILL_BIN=${FILL_BIN:-$BENCH_BUILD/bench/hookgate_backlog_fill}

need_cmd nginx awk timeout
ensure_built
if [ ! -x "$FILL_BIN" ]; then
  log "building $FILL_BIN"
  cmake --build "$BENCH_BUILD" --target hookgate_backlog_fill >/dev/null
fi
bench_init
start_nginx "$BENCH_TMP/nginx"

admin_key="bench-admin-key-0123456789abcdef"
auth="Authorization: Bearer $admin_key"
json="Content-Type: application/json"

write_config() { # DB
  cat >"$BENCH_TMP/hookgate.toml" <<EOF
[server]
listen = "127.0.0.1:0"
[store]
url = "sqlite://$1"
[api]
enabled = true
admin_keys = ["$admin_key"]
[outbound]
allow_cidrs = ["127.0.0.1/32"]
require_https = false
$([ -n "${CONCURRENCY:-}" ] && echo "concurrency = $CONCURRENCY")
$([ -n "${WORKERS:-}" ] && printf '[delivery]\nworkers = %s\n' "$WORKERS")
EOF
}

declare -A fill_rate peak rss_timeline drained drain_rate left db_size first_s
sizes=("$SMALL" "$BACKLOG")
load_start=$(loadavg)
for size in "${sizes[@]}"; do
  db="$BENCH_TMP/backlog-$size.db"
  write_config "$db"
  start_hookgate "$BENCH_TMP/hookgate.toml" "$BENCH_TMP/hookgate-setup-$size.log"
  http POST "$HG_PORT" /api/v1/app '{"name":"backlog"}' "$auth" "$json"
  [ "$HTTP_STATUS" = 201 ] || die "create app: $HTTP_STATUS $HTTP_BODY"
  app=$(json_string id)
  http POST "$HG_PORT" "/api/v1/app/$app/endpoint" "{\"url\":\"http://127.0.0.1:$NGINX_PORT/sink\"}" \
    "$auth" "$json"
  [ "$HTTP_STATUS" = 201 ] || die "create endpoint: $HTTP_STATUS $HTTP_BODY"
  endpoint=$(json_string id)
  stop_hookgate

  log "filling a backlog of $size deliveries ($FILL_THREADS threads)"
  fill_out=$(timeout 3600 "$FILL_BIN" "sqlite://$db" "$app" "$endpoint" "$size" "$FILL_THREADS" \
    "$PAYLOAD_BYTES")
  log "$fill_out"
  fill_rate[$size]=$(printf '%s' "$fill_out" | sed -n 's/.*(\([0-9]*\)\/s).*/\1/p')
  db_size[$size]=$(du -sm "$db"* | awk '{ s += $1 } END { print s }')

  # Drain: memory sampled every second from /proc, progress from the attempt log (one JSON line per
  # attempt), so the gateway is not asked anything while it drains; the store is asked for its
  # counts once, at the end (a count over a million rows is work it would not otherwise do).
  drain_log="$BENCH_TMP/hookgate-drain-$size.log"
  start_hookgate "$BENCH_TMP/hookgate.toml" "$drain_log"
  t0=$(date +%s%N)
  timeline=""
  first=""
  all_ns=""
  delivered=0
  for ((s = 1; s <= WINDOW; s++)); do
    sleep 1
    kill -0 "$HG_PID" 2>/dev/null || die "hookgate died while draining (see $drain_log)"
    delivered=$(grep -c '"outcome":"delivered"' "$drain_log" || true)
    [ -z "$first" ] && [ "$delivered" -gt 0 ] && first=$s
    # Keeps sampling after the last delivery: both sizes get the same lifetime to compare.
    if [ -z "$all_ns" ] && [ "$delivered" -ge "$size" ]; then
      all_ns=$(($(date +%s%N) - t0))
    fi
    case $s in 1 | 5 | 10 | 20 | 30 | 45 | 60 | 90 | 120) timeline+="${s}s:$(rss_mib "$HG_PID") " ;; esac
  done
  t1=$(date +%s%N)
  pending=$(metric "$HG_PORT" hookgate_deliveries_pending)
  peak[$size]=$(peak_rss_mib "$HG_PID")
  rss_timeline[$size]=$timeline
  drained[$size]=$delivered
  # While work was left: the whole window, or until the last delivery when all were delivered.
  drain_rate[$size]=$(awk -v d="$delivered" -v ns=$((${all_ns:-$((t1 - t0))})) 'BEGIN { printf "%.0f", d / (ns / 1e9) }')
  [ -n "$all_ns" ] && drained[$size]="$delivered (all, in $(awk -v ns="$all_ns" 'BEGIN { printf "%.0f", ns / 1e9 }')s)"
  left[$size]=$pending
  first_s[$size]=${first:-none}
  stop_hookgate
  rm -f "$db"*
done
load_end=$(loadavg)

echo
echo "## Backlog: memory while draining a large queue"
machine_line
echo "store: sqlite  window: ${WINDOW}s per size  payload: $PAYLOAD_BYTES bytes  delivery: workers=${WORKERS:-16 (default)} endpoint concurrency=${CONCURRENCY:-4 (default)}"
echo "load average before/after: $load_start / $load_end"
echo
echo "| backlog | fill rate (appends/s) | db MiB | first delivery within (s) | delivered in window | drain rate (/s, while work was left) | pending at end | peak RSS MiB (VmHWM) | RSS MiB over time |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for size in "${sizes[@]}"; do
  echo "| $size | ${fill_rate[$size]} | ${db_size[$size]} | ${first_s[$size]} | ${drained[$size]} | ${drain_rate[$size]} | ${left[$size]} | ${peak[$size]} | ${rss_timeline[$size]} |"
done
echo
echo "peak RSS ratio (backlog $BACKLOG / backlog $SMALL): $(ratio "${peak[$BACKLOG]}" "${peak[$SMALL]}")"
