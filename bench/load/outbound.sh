#!/usr/bin/env bash
# Outbound load test: deliveries per second from Hookgate's delivery engine to a local sink, each
# one signed (Standard Webhooks) and recorded durably (attempt row + state change, fsync'd).
#   1. nginx on loopback is the sink: it answers 200 and logs the webhook-id/-timestamp/-signature
#      headers it received (so the script can count them and check one signature);
#   2. Hookgate runs with the management API and [outbound] allow_cidrs = ["127.0.0.1/32"]; an
#      application and one endpoint pointing at nginx are created through the API;
#   3. wrk publishes MESSAGES messages (POST /api/v1/app/{app}/msg) as fast as the API takes them
#      (publish rate = messages accepted per second);
#   4. the script polls /metrics until every delivery is delivered (deliveries/s = messages / time
#      from the first publish to the last delivery; the rate after publishing ended is shown too).
# The dispatcher runs while messages are being published: that is how it runs in production.
#
# Usage: bench/load/outbound.sh
# Environment (optional):
#   MESSAGES=20000 THREADS=2 CONNS=32    publisher settings
#   DRAIN_TIMEOUT=900                    seconds allowed for everything to be delivered
#   WORKERS / CONCURRENCY                [delivery] workers / [outbound] concurrency (default:
#                                        Hookgate's defaults, 16 and 4)
#   HOOKGATE_STORE_URL                   store (default: SQLite in the temporary directory)
#   RESULT_FILE                          also write the figures there as key=value lines
# Needs: wrk, nginx-light (scripts/setup-debian.sh). Root is not needed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

MESSAGES=${MESSAGES:-20000}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-900}

need_cmd wrk nginx awk timeout
ensure_built
bench_init

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# The sink logs what a receiver needs to verify a delivery; nothing else is written per request.
sink_log="$BENCH_TMP/nginx/logs/sink.log"
start_nginx "$BENCH_TMP/nginx" \
  "location = /sink { access_log $sink_log sink; return 200 \"ok\\n\"; }" \
  "log_format sink '\$http_webhook_id \$http_webhook_timestamp \$http_webhook_signature';"

admin_key="bench-admin-key-0123456789abcdef"
store_url=${HOOKGATE_STORE_URL:-sqlite://$BENCH_TMP/outbound.db}
{
  echo '[server]'
  echo 'listen = "127.0.0.1:0"'
  echo '[store]'
  echo "url = \"$store_url\""
  echo '[api]'
  echo 'enabled = true'
  echo "admin_keys = [\"$admin_key\"]"
  echo '[outbound]'
  echo 'allow_cidrs = ["127.0.0.1/32"]'
  [ -n "${CONCURRENCY:-}" ] && echo "concurrency = $CONCURRENCY"
  if [ -n "${WORKERS:-}" ]; then
    echo '[delivery]'
    echo "workers = $WORKERS"
  fi
} >"$BENCH_TMP/hookgate.toml"
start_hookgate "$BENCH_TMP/hookgate.toml" "$BENCH_TMP/hookgate.log"

auth="Authorization: Bearer $admin_key"
json="Content-Type: application/json"
http POST "$HG_PORT" /api/v1/app '{"name":"bench"}' "$auth" "$json"
[ "$HTTP_STATUS" = 201 ] || die "create app: $HTTP_STATUS $HTTP_BODY"
app=$(json_string id)
http POST "$HG_PORT" "/api/v1/app/$app/endpoint" "{\"url\":\"http://127.0.0.1:$NGINX_PORT/sink\"}" \
  "$auth" "$json"
[ "$HTTP_STATUS" = 201 ] || die "create endpoint: $HTTP_STATUS $HTTP_BODY"
endpoint=$(json_string id)
endpoint_secret=$(json_string secret)
log "app $app, endpoint $endpoint -> http://127.0.0.1:$NGINX_PORT/sink"

payload='{"order":{"id":"ord_123","total":4200,"currency":"eur","note":"'$(head -c 940 /dev/zero | tr '\0' 'x')'"}}'
lua="$BENCH_TMP/publish.lua"
cat "$(dirname "$0")/publish.lua" >"$lua"
wrk_result_lua >>"$lua"

events0=$(metric "$HG_PORT" hookgate_events_stored)
load_start=$(loadavg)
log "publishing $MESSAGES messages (wrk -t$THREADS -c$CONNS)"
t0=$(now)
BENCH_APP=$app BENCH_KEY=$admin_key BENCH_PAYLOAD=$payload timeout "$((DRAIN_TIMEOUT + 60))" \
  wrk -t "$THREADS" -c "$CONNS" -d "${DRAIN_TIMEOUT}s" --timeout 10s --latency -s "$lua" \
  "http://127.0.0.1:$HG_PORT" >"$BENCH_TMP/wrk-publish.txt" 2>&1 &
wrk_pid=$!
BENCH_PIDS+=("$wrk_pid")
# The store tells when MESSAGES are in; SIGINT ends wrk there (it then prints its report and our
# RESULT line). Its -d is only the outer bound.
published=0
while kill -0 "$wrk_pid" 2>/dev/null; do
  published=$(($(metric "$HG_PORT" hookgate_events_stored) - events0))
  [ "$published" -ge "$MESSAGES" ] && break
  sleep 0.1
done
t_pub=$(now)
published_at_pub=$published
delivered_at_pub=$(metric "$HG_PORT" hookgate_deliveries_delivered)
kill -INT "$wrk_pid" 2>/dev/null || true
wait "$wrk_pid" 2>/dev/null || true
line=$(grep '^RESULT ' "$BENCH_TMP/wrk-publish.txt" | tail -1)
[ -n "$line" ] || {
  cat "$BENCH_TMP/wrk-publish.txt" >&2
  die "the publisher printed no result"
}
pub_non2xx=$(kv "$line" non2xx)
pub_p50=$(awk -v u="$(kv "$line" p50_us)" 'BEGIN { printf "%.2f", u / 1000 }')
pub_p99=$(awk -v u="$(kv "$line" p99_us)" 'BEGIN { printf "%.2f", u / 1000 }')
[ "$published" -ge "$MESSAGES" ] || die "only $published of $MESSAGES messages were published"
pub_answered=$(kv "$line" requests)
log "published $published in $(elapsed "$t0" "$t_pub")s; waiting for the deliveries"

# Done when nothing is pending: publishes still in flight when wrk was interrupted are counted
# (events stored, and the count must not move between two scrapes), and each message has exactly
# one delivery.
deadline=$(($(date +%s) + DRAIN_TIMEOUT))
previous=-1
while :; do
  scrape "$HG_PORT"
  published=$(($(mval hookgate_events_stored) - events0))
  delivered=$(mval hookgate_deliveries_delivered)
  pending=$(mval hookgate_deliveries_pending)
  [ "$pending" -eq 0 ] && [ "$delivered" -ge "$published" ] && [ "$published" -eq "$previous" ] && break
  previous=$published
  [ "$(date +%s)" -lt "$deadline" ] || break
  sleep "${POLL:-0.1}"
done
t_done=$(now)
failed=$(mval hookgate_deliveries_failed)
retries=$(mval hookgate_delivery_attempts_total 'outcome="retry"')
attempts_ok=$(mval hookgate_delivery_attempts_total 'outcome="delivered"')
load_end=$(loadavg)
rss_peak=$(peak_rss_mib "$HG_PID")
stop_hookgate

received=$(wc -l <"$sink_log")
signed=$(grep -c ' v1,' "$sink_log" || true)
# One delivery checked end to end as a receiver would: Hookgate's verifier, the endpoint's secret,
# the published payload bytes and the headers the sink received.
read -r wh_id wh_ts wh_sig < <(head -1 "$sink_log")
if printf '%s' "$payload" | "$HOOKGATE_BIN" verify --scheme standard-webhooks \
  --secret "$endpoint_secret" --header "webhook-id: $wh_id" --header "webhook-timestamp: $wh_ts" \
  --header "webhook-signature: $wh_sig" >/dev/null 2>&1; then
  sig_check="valid"
else
  sig_check="INVALID"
fi

t_pub_s=$(elapsed "$t0" "$t_pub")
t_all_s=$(elapsed "$t0" "$t_done")
t_drain_s=$(elapsed "$t_pub" "$t_done")
pub_rate=$(rate "$published_at_pub" "$t_pub_s")
del_rate=$(rate "$delivered" "$t_all_s")
drain_rate=$(rate "$((delivered - delivered_at_pub))" "$t_drain_s")
verdict=ok
[ "$delivered" -eq "$published" ] || verdict="NOT ALL DELIVERED"
[ "$received" -ge "$delivered" ] || verdict="SINK GOT FEWER ($received) THAN DELIVERED"
[ "$signed" -eq "$received" ] || verdict="UNSIGNED DELIVERIES"
[ "$sig_check" = valid ] || verdict="SIGNATURE DOES NOT VERIFY"

echo
echo "## Outbound: signed deliveries to a loopback sink (nginx, 200)"
machine_line
echo "store: ${store_url%%://*}  messages: $MESSAGES (~1 KiB payload, 1 endpoint)  publisher: wrk -t$THREADS -c$CONNS  delivery: workers=${WORKERS:-16 (default)} endpoint concurrency=${CONCURRENCY:-4 (default)}"
echo "load average before/after: $load_start / $load_end"
echo
echo "| figure | value |"
echo "| --- | ---: |"
echo "| messages published (stored) | $published in ${t_pub_s}s (target $MESSAGES; $pub_answered answered to wrk) |"
echo "| publish rate (messages/s) | $pub_rate |"
echo "| publish latency p50 / p99 (ms) | $pub_p50 / $pub_p99 |"
echo "| publish non-2xx | $pub_non2xx |"
echo "| deliveries delivered | $delivered in ${t_all_s}s (first publish -> last delivery) |"
echo "| **deliveries/s (end to end)** | **$del_rate** |"
echo "| deliveries/s after publishing ended | $drain_rate ($((delivered - delivered_at_pub)) in ${t_drain_s}s) |"
echo "| attempts: delivered / retry; deliveries failed / pending | $attempts_ok / $retries; $failed / $pending |"
echo "| sink received (signed v1) | $received ($signed) |"
echo "| peak RSS of hookgate (MiB) | $rss_peak |"
echo
echo "check: first delivery's signature verified with the endpoint secret: $sig_check -> $verdict"

if [ -n "${RESULT_FILE:-}" ]; then
  {
    echo "pub_rate=$pub_rate pub_p50=$pub_p50 pub_p99=$pub_p99 pub_non2xx=$pub_non2xx"
    echo "del_rate=$del_rate drain_rate=$drain_rate delivered=$delivered retries=$retries"
    echo "rss_peak=$rss_peak verdict=${verdict// /_}"
  } >"$RESULT_FILE"
fi
[ "$verdict" = ok ] || die "outbound: $verdict"
