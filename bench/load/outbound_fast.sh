#!/usr/bin/env bash
# One fast endpoint, plain HTTP and HTTPS: how close does Hookgate's delivery come to what the
# same receiver takes from wrk with keep-alive? Per scheme:
#   1. hookgate_sink answers 200 at once (HTTPS: a certificate from a CA this script makes,
#      trusted by Hookgate through [outbound] ca_file);
#   2. MESSAGES messages are published to one endpoint on it; deliveries/s = deliveries answered
#      200 from the first to the last arrival at the receiver;
#   3. the receiver counts connections and TLS handshakes (full and resumed) per 1 000 deliveries;
#   4. a fresh receiver takes wrk -c32 keep-alive POSTs of the same size for WRK_SECONDS: the
#      reference; the figure is deliveries/s / wrk req/s.
# Publishing overlaps delivering (the same 2 cores), so the script also prints the publish rate
# and the delivery rate after the last publish was answered: a delivery rate close to the publish
# rate is bound by publishing, not by the engine. QUEUE_FIRST=1 measures the engine alone: the
# messages are published to a node limited to one attempt in flight whose receiver holds it (as in
# outbound_slow.sh), then the receiver comes back on the same port answering at once and a node
# with default settings on the same store delivers the backlog.
#
# Usage: bench/load/outbound_fast.sh
# Environment (optional): MESSAGES=5000 WRK_SECONDS=5 SCHEMES="http https" DRAIN_TIMEOUT=600,
#   CONCURRENCY=32 ([outbound] concurrency: attempts in flight to the endpoint, as wrk -c32),
#   QUEUE_FIRST=0, NODES=1 (with QUEUE_FIRST=1 and a PostgreSQL STORE_URL: how many nodes on
#   the one store deliver the backlog together; the figures are then theirs together),
#   STORE_URL=postgresql://... (default SQLite), HOOKGATE_BIN, SINK_BIN.
# Needs: wrk, openssl.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=outbound_lib.sh
. "$(dirname "$0")/outbound_lib.sh"

MESSAGES=${MESSAGES:-5000}
WRK_SECONDS=${WRK_SECONDS:-5}
SCHEMES=${SCHEMES:-http https}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-600}

need_cmd wrk awk timeout openssl
NODES=${NODES:-1}
if [ "$NODES" != 1 ] && { [ "${QUEUE_FIRST:-0}" != 1 ] || [ -z "${STORE_URL:-${HOOKGATE_STORE_URL:-}}" ]; }; then
  die "NODES > 1 needs QUEUE_FIRST=1 and a PostgreSQL STORE_URL"
fi
ensure_built
ensure_sink
bench_init
base_url=${STORE_URL:-${HOOKGATE_STORE_URL:-}}

# A CA and a certificate for 127.0.0.1 signed by it (the receiver's).
pki=$BENCH_TMP/pki
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=hookgate bench CA" \
  -keyout "$pki/ca.key" -out "$pki/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$pki/sink.key" \
  -out "$pki/sink.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$pki/ext"
openssl x509 -req -in "$pki/sink.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 2 -extfile "$pki/ext" -out "$pki/sink.pem" 2>/dev/null

body_file=$BENCH_TMP/wrk-body.lua
cat >"$body_file" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"n":1,"pad":"' .. string.rep("x", 900) .. '"}'
LUA
wrk_result_lua >>"$body_file"

load_start=$(loadavg)
declare -A RATE REF CONN HS RESUMED PUBRATE TAIL
for scheme in $SCHEMES; do
  tls=()
  extra=('require_https = false')
  if [ "$scheme" = https ]; then
    tls=(--cert "$pki/sink.pem" --key "$pki/sink.key")
    extra=("ca_file = \"$pki/ca.pem\"")
  fi
  # The endpoint may hold as many attempts at once as wrk holds connections: the comparison is
  # of the same concurrency (the default [outbound] concurrency is 4).
  extra+=("concurrency = ${CONCURRENCY:-32}")
  if [ -n "$base_url" ]; then
    need_cmd psql
    db="hookgate_fast_${scheme}_$$"
    psql "$base_url" -qc "CREATE DATABASE $db" >/dev/null
    STORE_URL="${base_url%/*}/$db"
  else
    STORE_URL="sqlite://$BENCH_TMP/fast-$scheme.db"
  fi
  hookgate_config "$BENCH_TMP/hookgate-$scheme.toml" "${extra[@]}"
  queued=
  if [ "${QUEUE_FIRST:-0}" = 1 ]; then
    # Held for 10 minutes: the one attempt the queueing node starts never ends while it runs.
    start_sink "$BENCH_TMP/sink-$scheme-hold" --delay-ms 600000 --threads 1 "${tls[@]}"
    { cat "$BENCH_TMP/hookgate-$scheme.toml"; echo '[delivery]'; echo 'max_in_flight = 1'; } \
      >"$BENCH_TMP/hookgate-$scheme-queue.toml"
    start_hookgate "$BENCH_TMP/hookgate-$scheme-queue.toml" "$BENCH_TMP/hookgate-$scheme-queue.log"
  else
    start_sink "$BENCH_TMP/sink-$scheme" --threads 1 "${tls[@]}"
    start_hookgate "$BENCH_TMP/hookgate-$scheme.toml" "$BENCH_TMP/hookgate-$scheme.log"
  fi
  make_app "fast-$scheme"
  make_endpoint "$scheme://127.0.0.1:$SINK_PORT/fast" t0
  log "$scheme: publishing $MESSAGES messages to one endpoint"
  publish_rr "$MESSAGES" 1
  queued=$PUB_STORED
  if [ "${QUEUE_FIRST:-0}" = 1 ]; then
    log "$scheme: queued $PUB_STORED; the receiver answers at once again, a default node delivers"
    stop_hookgate
    port=$SINK_PORT
    stop_sink
    start_sink "$BENCH_TMP/sink-$scheme" --port "$port" --threads 1 "${tls[@]}"
    [ "$SINK_PORT" = "$port" ] || die "the receiver did not get port $port back"
    # The attempt the queueing node held is still leased to it: it is not waited for.
    queued=$((PUB_STORED - 1))
    nodes=()
    for ((node = 1; node <= NODES; node++)); do
      start_hookgate "$BENCH_TMP/hookgate-$scheme.toml" "$BENCH_TMP/hookgate-$scheme-$node.log"
      nodes+=("$HG_PID")
    done
  fi
  wait_delivered "$queued" "$DRAIN_TIMEOUT" || log "$scheme: not all delivered in time"
  if [ "${QUEUE_FIRST:-0}" = 1 ]; then
    for pid in "${nodes[@]}"; do stop_pid "$pid" 30; done
    HG_PID=
  fi
  stop_hookgate
  stop_sink
  read -r n _ rate < <(arrival_rate '^/fast')
  RATE[$scheme]=$rate
  PUBRATE[$scheme]=$(awk -v n="$PUB_STORED" -v a="$PUB_T0" -v b="$PUB_T1" \
    'BEGIN { printf "%.0f", (b > a ? n / (b - a) : 0) }')
  # Deliveries answered after publishing ended (the sink's unix ms), per second from then to the
  # last one.
  TAIL[$scheme]=$(awk -v t="$PUB_T1" '$3 == 200 && $4 ~ /^\/fast/ && $1 >= t * 1000 {
      n++; if ($1 > max) max = $1 }
    END { s = (max - t * 1000) / 1000; printf "%s (%d)", (n && s > 0 ? sprintf("%.0f", n / s) : "-"), n }' \
    "$SINK_DIR/arrivals.log")
  CONN[$scheme]=$(awk -v c="$SINK_CONNECTIONS" -v n="$n" 'BEGIN { printf "%.1f", n ? 1000 * c / n : 0 }')
  HS[$scheme]=$(awk -v c="$SINK_HANDSHAKES" -v n="$n" 'BEGIN { printf "%.1f", n ? 1000 * c / n : 0 }')
  RESUMED[$scheme]=$(awk -v c="$SINK_RESUMED" -v n="$n" 'BEGIN { printf "%.1f", n ? 1000 * c / n : 0 }')
  settle
  start_sink "$BENCH_TMP/sink-$scheme-wrk" --threads 1 "${tls[@]}"
  run_wrk "sink-$scheme" 2 32 "$WRK_SECONDS" "$body_file" "$scheme://127.0.0.1:$SINK_PORT/fast"
  REF[$scheme]=$W_RPS
  stop_sink
  [ -n "$base_url" ] && psql "$base_url" -qc "DROP DATABASE $db" >/dev/null 2>&1 || true
  settle
done
load_end=$(loadavg)

echo
echo "## Outbound: one fast endpoint (hookgate_sink, 200 at once) vs wrk with keep-alive"
machine_line
echo "store: ${BENCH_STORE_URL%%://*}  delivering nodes: $NODES  messages: $MESSAGES per scheme  wrk: -t2 -c32 -d${WRK_SECONDS}s  load average before/after: $load_start / $load_end"
for scheme in $SCHEMES; do
  echo "RESULT fast_${scheme}_deliveries_per_s=${RATE[$scheme]} wrk_rps=${REF[$scheme]} ratio=$(ratio "${RATE[$scheme]}" "${REF[$scheme]}")"
  echo "RESULT fast_${scheme}_connections_per_1000=${CONN[$scheme]}"
  echo "RESULT fast_${scheme}_publish_per_s=${PUBRATE[$scheme]} deliveries_per_s_after_publishing=${TAIL[$scheme]}"
  [ "$scheme" = https ] && echo "RESULT fast_https_tls_handshakes_per_1000=${HS[$scheme]} (resumed ${RESUMED[$scheme]})"
done
if [[ " $SCHEMES " == *" http "* && " $SCHEMES " == *" https "* ]]; then
  echo "RESULT fast_https_vs_http=$(ratio "${RATE[https]}" "${RATE[http]}")"
fi
