#!/usr/bin/env bash
# Retry lateness: how long after its due time does a retry really go out? The receiver fails the
# first FAIL_FIRST attempts of every message (500); the schedule retries DELAY_S seconds after each
# failure, without jitter. Lateness of a retry = its arrival - (the previous arrival of the same
# message + DELAY_S), from the receiver's own clock (it includes the failed attempt's round trip,
# a millisecond on loopback). MESSAGES messages to one endpoint, published at once.
#
# Usage: bench/load/outbound_retry.sh
# Environment (optional): MESSAGES=50 FAIL_FIRST=2 DELAY_S=1 DRAIN_TIMEOUT=120,
#   STORE_URL=postgresql://... (default SQLite), HOOKGATE_BIN, SINK_BIN.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=outbound_lib.sh
. "$(dirname "$0")/outbound_lib.sh"

MESSAGES=${MESSAGES:-50}
FAIL_FIRST=${FAIL_FIRST:-2}
DELAY_S=${DELAY_S:-1}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-120}

need_cmd wrk awk timeout
ensure_built
ensure_sink
bench_init

start_sink "$BENCH_TMP/sink" --fail-first "$FAIL_FIRST" --threads 1
# The circuit breaker would pause the endpoint after a few failures in a row: this measures the
# schedule, so the breaker is out of the way.
hookgate_config "$BENCH_TMP/hookgate.toml" 'require_https = false' 'breaker_failures = 1000' '[delivery]' \
  "schedule = [$(printf '%s, ' $(seq -s ' ' 1 $((FAIL_FIRST + 2)) | sed "s/[0-9]*/$DELAY_S/g") | sed 's/, $//')]" \
  'jitter = 0'
start_hookgate "$BENCH_TMP/hookgate.toml" "$BENCH_TMP/hookgate.log"
make_app retry
make_endpoint "http://127.0.0.1:$SINK_PORT/retry" t0
load_start=$(loadavg)
publish_rr "$MESSAGES" 1
wait_delivered "$PUB_STORED" "$DRAIN_TIMEOUT" || log "not all delivered in time"
load_end=$(loadavg)
stop_hookgate
stop_sink
lateness=$BENCH_TMP/lateness
awk -v d="$((DELAY_S * 1000))" '$4 == "/retry" { if ($5 in last) print $2 - last[$5] - d; last[$5] = $2 }' \
  "$SINK_DIR/arrivals.log" >"$lateness"

echo
echo "## Outbound: retry lateness (receiver fails the first $FAIL_FIRST attempts, retry after ${DELAY_S}s, no jitter)"
machine_line
echo "store: ${BENCH_STORE_URL%%://*}  messages: $PUB_STORED  retries measured: $(wc -l <"$lateness")  load average before/after: $load_start / $load_end"
echo "RESULT retry_lateness_ms p50=$(percentile 50 <"$lateness") p99=$(percentile 99 <"$lateness") max=$(percentile 100 <"$lateness")"
