#!/usr/bin/env bash
# Many slow endpoints: ENDPOINTS endpoints (default 1000) on one receiver that answers every POST
# after DELAY_MS (default 200 ms), as customers' servers do. MESSAGES messages are published
# round-robin (each endpoint subscribes to its own event type, so each message is one delivery).
# Figures: deliveries/s of the node (first to last arrival at the receiver), peak RSS of Hookgate
# (VmHWM), and TCP connections the receiver accepted per 1 000 deliveries.
#
# The messages are queued first (QUEUE_FIRST=1, the default), so the figure is the engine's and not
# the publisher's: they are published to a node limited to one attempt in flight
# ([delivery] max_in_flight = 1) whose receiver holds every request, so at most one delivery
# leaves; that node is stopped, the receiver restarted on the same port answering after DELAY_MS,
# and a node with the default settings started on the same store delivers the backlog.
# QUEUE_FIRST=0 publishes to the delivering node (delivery overlaps publishing, as before).
#
# Usage: bench/load/outbound_slow.sh
# Environment (optional): ENDPOINTS=1000 MESSAGES=5000 DELAY_MS=200 DRAIN_TIMEOUT=600 QUEUE_FIRST=1,
#   STORE_URL=postgresql://... (default SQLite), HOOKGATE_BIN, SINK_BIN.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=outbound_lib.sh
. "$(dirname "$0")/outbound_lib.sh"

ENDPOINTS=${ENDPOINTS:-1000}
MESSAGES=${MESSAGES:-5000}
DELAY_MS=${DELAY_MS:-200}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-600}
QUEUE_FIRST=${QUEUE_FIRST:-1}

need_cmd wrk awk timeout
ensure_built
ensure_sink
bench_init

if [ "$QUEUE_FIRST" = 1 ]; then
  # Held for 10 minutes: the one attempt the queueing node starts never ends while it runs.
  start_sink "$BENCH_TMP/sink-hold" --delay-ms 600000 --threads 1
else
  start_sink "$BENCH_TMP/sink" --delay-ms "$DELAY_MS" --threads 2
fi
hookgate_config "$BENCH_TMP/hookgate.toml" 'require_https = false'
# The queueing node: same store and sealing key, one attempt in flight.
{
  cat "$BENCH_TMP/hookgate.toml"
  echo '[delivery]'
  echo 'max_in_flight = 1'
} >"$BENCH_TMP/hookgate-queue.toml"
if [ "$QUEUE_FIRST" = 1 ]; then
  start_hookgate "$BENCH_TMP/hookgate-queue.toml" "$BENCH_TMP/hookgate-queue.log"
else
  start_hookgate "$BENCH_TMP/hookgate.toml" "$BENCH_TMP/hookgate.log"
fi
make_app slow
log "creating $ENDPOINTS endpoints"
for ((i = 0; i < ENDPOINTS; i++)); do
  make_endpoint "http://127.0.0.1:$SINK_PORT/e$i" "t$i"
done
load_start=$(loadavg)
log "publishing $MESSAGES messages"
publish_rr "$MESSAGES" "$ENDPOINTS"
queued=$PUB_STORED
if [ "$QUEUE_FIRST" = 1 ]; then
  log "queued $PUB_STORED; restarting the receiver (answers after $DELAY_MS ms) and the node"
  stop_hookgate
  port=$SINK_PORT
  stop_sink
  start_sink "$BENCH_TMP/sink" --port "$port" --delay-ms "$DELAY_MS" --threads 2
  [ "$SINK_PORT" = "$port" ] || die "the receiver did not get port $port back"
  # The attempt the queueing node held may still be leased to it: it is not waited for.
  queued=$((PUB_STORED - 1))
  load_start=$(loadavg)
  start_hookgate "$BENCH_TMP/hookgate.toml" "$BENCH_TMP/hookgate.log"
fi
log "published $PUB_STORED; waiting for the deliveries (at most ${DRAIN_TIMEOUT}s)"
wait_delivered "$queued" "$DRAIN_TIMEOUT" || log "not all delivered in time"
delivered=$(metric "$HG_PORT" hookgate_deliveries_delivered)
load_end=$(loadavg)
rss_peak=$(peak_rss_mib "$HG_PID")
stop_hookgate
stop_sink
read -r n secs rate < <(arrival_rate '^/e')
per_1000=$(awk -v c="$SINK_CONNECTIONS" -v n="$n" 'BEGIN { printf "%.0f", n ? 1000 * c / n : 0 }')

echo
echo "## Outbound: $ENDPOINTS endpoints answering after $DELAY_MS ms"
machine_line
echo "store: ${BENCH_STORE_URL%%://*}  messages: $PUB_STORED (1 delivery each)  load average before/after: $load_start / $load_end"
echo "delivered $delivered; receiver got $n answered 200 in ${secs}s, $SINK_CONNECTIONS connections"
echo "RESULT slow_deliveries_per_s=$rate endpoints=$ENDPOINTS delay_ms=$DELAY_MS queue_first=$QUEUE_FIRST"
echo "RESULT slow_peak_rss_mib=$rss_peak"
echo "RESULT slow_connections_per_1000=$per_1000"
