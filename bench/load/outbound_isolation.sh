#!/usr/bin/env bash
# Isolation: do hanging endpoints take capacity the healthy ones need? Two runs on fresh stores:
#   A. HEALTHY endpoints only;
#   B. the same HEALTHY endpoints plus HANGING ones (default 10 % of all) whose receiver never
#      answers, so each attempt to them lasts the [outbound] timeout (TIMEOUT_MS).
# Every endpoint gets PER_ENDPOINT messages, published round-robin. Figures: the healthy endpoints'
# delivery rate (deliveries answered 200 per second, first publish to last healthy arrival), B/A,
# and p99 accept->delivery of the healthy ones in B (the message's timestamp from the API to its
# first arrival at the receiver).
#
# Usage: bench/load/outbound_isolation.sh
# Environment (optional): HEALTHY=90 HANGING=10 PER_ENDPOINT=20 TIMEOUT_MS=5000 DELAY_MS=0
#   DRAIN_TIMEOUT=300, STORE_URL=postgresql://... (default SQLite; each run gets its own
#   database there: give a URL the script may CREATE DATABASE on), HOOKGATE_BIN, SINK_BIN.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=outbound_lib.sh
. "$(dirname "$0")/outbound_lib.sh"

HEALTHY=${HEALTHY:-90}
HANGING=${HANGING:-10}
PER_ENDPOINT=${PER_ENDPOINT:-20}
TIMEOUT_MS=${TIMEOUT_MS:-5000}
DELAY_MS=${DELAY_MS:-0}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-300}

need_cmd wrk awk timeout
ensure_built
ensure_sink
bench_init
base_url=${STORE_URL:-${HOOKGATE_STORE_URL:-}}

# run LABEL HANGING: one run; sets RATE_<LABEL> and P99_<LABEL> (ms), N_<LABEL>.
run() {
  local label=$1 hanging=$2 total i
  total=$((HEALTHY + hanging))
  if [ -n "$base_url" ]; then
    need_cmd psql
    local db="hookgate_iso_${label,,}_$$"
    psql "$base_url" -qc "CREATE DATABASE $db" >/dev/null
    STORE_URL="${base_url%/*}/$db"
  else
    STORE_URL="sqlite://$BENCH_TMP/iso-$label.db"
  fi
  start_sink "$BENCH_TMP/sink-$label" --delay-ms "$DELAY_MS" --threads 2
  hookgate_config "$BENCH_TMP/hookgate-$label.toml" 'require_https = false' "timeout_ms = $TIMEOUT_MS"
  start_hookgate "$BENCH_TMP/hookgate-$label.toml" "$BENCH_TMP/hookgate-$label.log"
  make_app "iso-$label"
  for ((i = 0; i < total; i++)); do
    if [ "$i" -lt "$HEALTHY" ]; then
      make_endpoint "http://127.0.0.1:$SINK_PORT/ok/e$i" "t$i"
    else
      make_endpoint "http://127.0.0.1:$SINK_PORT/hang/e$i" "t$i"
    fi
  done
  log "$label: $HEALTHY healthy + $hanging hanging endpoints, $((total * PER_ENDPOINT)) messages"
  publish_rr $((total * PER_ENDPOINT)) "$total"
  # Healthy deliveries only: the hanging ones never end before the timeout.
  local want=$((HEALTHY * PER_ENDPOINT)) deadline=$(($(date +%s) + DRAIN_TIMEOUT))
  while [ "$(metric "$HG_PORT" hookgate_deliveries_delivered)" -lt "$want" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || {
      log "$label: healthy deliveries not all done in ${DRAIN_TIMEOUT}s"
      break
    }
    sleep 0.1
  done
  message_times "$BENCH_TMP/times-$label"
  stop_hookgate
  stop_sink
  local t0_ms n last
  t0_ms=$(awk -v t="$PUB_T0" 'BEGIN { printf "%.0f", t * 1000 }')
  read -r n last < <(awk '$3 == 200 && $4 ~ /^\/ok\// { n++; if ($1 > m) m = $1 } END { printf "%d %.0f\n", n, m }' \
    "$SINK_DIR/arrivals.log")
  printf -v "N_$label" '%s' "$n"
  printf -v "RATE_$label" '%s' "$(awk -v n="$n" -v a="$t0_ms" -v b="$last" 'BEGIN { s = (b - a) / 1000; printf "%.0f", (s > 0 ? n / s : 0) }')"
  # accept -> first arrival, healthy endpoints only
  printf -v "P99_$label" '%s' "$(awk 'NR == FNR { t[$1] = $2; next }
      $3 == 200 && $4 ~ /^\/ok\// && ($5 in t) && !seen[$5]++ { print $1 - t[$5] }' \
    "$BENCH_TMP/times-$label" "$SINK_DIR/arrivals.log" | percentile 99)"
  [ -n "$base_url" ] && psql "$base_url" -qc "DROP DATABASE hookgate_iso_${label,,}_$$" >/dev/null 2>&1 || true
}

load_start=$(loadavg)
run A 0
settle
run B "$HANGING"
load_end=$(loadavg)

echo
echo "## Outbound isolation: $HANGING of $((HEALTHY + HANGING)) endpoints hanging (timeout $TIMEOUT_MS ms)"
machine_line
echo "store: ${BENCH_STORE_URL%%://*}  $PER_ENDPOINT messages per endpoint  load average before/after: $load_start / $load_end"
echo "A (healthy only): $N_A healthy deliveries, $RATE_A/s, p99 accept->delivery $P99_A ms"
echo "B (with hanging): $N_B healthy deliveries, $RATE_B/s, p99 accept->delivery $P99_B ms"
echo "RESULT isolation_healthy_rate_ratio=$(ratio "$RATE_B" "$RATE_A") with_hanging=$RATE_B without=$RATE_A"
echo "RESULT isolation_healthy_p99_accept_to_delivery_ms=$P99_B"
