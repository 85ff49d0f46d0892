#!/usr/bin/env bash
# Publish vs inbound in the same run: both are one durable append, so a publish
# (POST /api/v1/app/{app}/msg, API key, JSON parse, fan-out read) should cost about what a signed
# inbound delivery (POST /in/github, HMAC check) costs. One Hookgate serves both; wrk alternates
# between them ROUNDS times (inbound, publish, inbound, publish, ...) so a neighbour's load on the
# shared machine hits both, and the medians and their ratio are printed.
#   - inbound: signed 1 KiB GitHub deliveries, each a new event (github_signed.lua), no route;
#   - publish: 1 KiB payloads to an application with one endpoint that is disabled (the fan-out
#     reads it, nothing is delivered: the append is all that is measured, as for inbound).
#
# Usage: bench/load/publish.sh
# Environment (optional): ROUNDS=3 SECONDS_LOAD=8 THREADS=2 CONNS=64,
#   STORE_URL (or HOOKGATE_STORE_URL; default SQLite in the temporary directory), RESULT_FILE.
# Needs: wrk, perl (scripts/setup-debian.sh).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
SECONDS_LOAD=${SECONDS_LOAD:-8}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}

need_cmd wrk perl awk timeout
ensure_built
bench_init

secret="bench-github-secret-0123456789"
admin_key="bench-admin-key-0123456789abcdef"
store_url=${STORE_URL:-${HOOKGATE_STORE_URL:-sqlite://$BENCH_TMP/publish.db}}

# Inbound bodies: numbered, signed in advance (wrk spends no time on HMAC), one block per round.
per_round=$((SECONDS_LOAD * 60000))
n_bodies=$((per_round * ROUNDS))
load_prefix='{"ref":"refs/heads/main","repository":{"full_name":"acme/widgets"},"n":"'
load_suffix_head='","pad":"'
pad=$((1024 - ${#load_prefix} - 12 - ${#load_suffix_head} - 2))
load_suffix="$load_suffix_head$(head -c "$pad" /dev/zero | tr '\0' x)\"}"
log "signing $n_bodies bodies"
BENCH_SECRET=$secret BENCH_PREFIX=$load_prefix BENCH_SUFFIX=$load_suffix \
  perl -MDigest::SHA=hmac_sha256_hex -e '
    my ($p, $s, $k) = @ENV{qw(BENCH_PREFIX BENCH_SUFFIX BENCH_SECRET)};
    for my $i (0 .. $ARGV[0] - 1) {
      print "sha256=", hmac_sha256_hex($p . sprintf("%012d", $i) . $s, $k), "\n";
    }' "$n_bodies" >"$BENCH_TMP/signatures"
export BENCH_PREFIX=$load_prefix BENCH_SUFFIX=$load_suffix BENCH_SIGNATURES=$BENCH_TMP/signatures
inbound_lua="$BENCH_TMP/inbound.lua"
cat "$(dirname "$0")/github_signed.lua" >"$inbound_lua"
wrk_result_lua >>"$inbound_lua"
publish_lua="$BENCH_TMP/publish.lua"
cat "$(dirname "$0")/publish.lua" >"$publish_lua"
wrk_result_lua >>"$publish_lua"

cat >"$BENCH_TMP/hookgate.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[store]
url = "$store_url"
[[source]]
name = "github"
scheme = "github"
secrets = ["$secret"]
event_type_from = "header:X-GitHub-Event"
keep_headers = ["X-GitHub-Event", "X-GitHub-Delivery"]
[api]
enabled = true
admin_keys = ["$admin_key"]
[outbound]
allow_cidrs = ["127.0.0.1/32"]
require_https = false
secret_key = "$(head -c 32 /dev/urandom | base64)"
TOML
start_hookgate "$BENCH_TMP/hookgate.toml" "$BENCH_TMP/hookgate.log"

auth="Authorization: Bearer $admin_key"
json="Content-Type: application/json"
http POST "$HG_PORT" /api/v1/app '{"name":"bench"}' "$auth" "$json"
[ "$HTTP_STATUS" = 201 ] || die "create app: $HTTP_STATUS $HTTP_BODY"
app=$(json_string id)
http POST "$HG_PORT" "/api/v1/app/$app/endpoint" '{"url":"http://127.0.0.1:9/off","disabled":true}' \
  "$auth" "$json"
[ "$HTTP_STATUS" = 201 ] || die "create endpoint: $HTTP_STATUS $HTTP_BODY"
payload='{"order":{"id":"ord_123","total":4200,"currency":"eur","note":"'$(head -c 940 /dev/zero | tr '\0' 'x')'"}}'

# Answers 2xx per second of the last run_wrk (a refusal is not an append).
ok_rate() {
  local d
  d=$(kv "$(grep '^RESULT ' "$BENCH_TMP/wrk-$1.txt" | tail -1)" duration_us)
  awk -v r="$((W_REQ - W_NON2XX))" -v d="$d" 'BEGIN { printf "%.0f", r / (d / 1e6) }'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

in_rates="" pub_rates="" in_bad=0 pub_bad=0 in_ok=0 pub_ok=0
events0=$(metric "$HG_PORT" hookgate_events_stored)
load_start=$(loadavg)
run_id="$(date +%s)-$$"
for ((r = 0; r < ROUNDS; r++)); do
  log "round $((r + 1)): inbound ${SECONDS_LOAD}s"
  BENCH_FIRST=$((r * per_round)) BENCH_COUNT=$per_round BENCH_THREADS=$THREADS \
    BENCH_RUN="$run_id-$r" run_wrk "inbound-$r" "$THREADS" "$CONNS" "$SECONDS_LOAD" "$inbound_lua" \
    "http://127.0.0.1:$HG_PORT/in/github"
  in_rates+=" $(ok_rate "inbound-$r")" in_bad=$((in_bad + W_NON2XX + W_ERR)) in_ok=$((in_ok + W_REQ - W_NON2XX))
  settle
  log "round $((r + 1)): publish ${SECONDS_LOAD}s"
  BENCH_APP=$app BENCH_KEY=$admin_key BENCH_PAYLOAD=$payload \
    run_wrk "publish-$r" "$THREADS" "$CONNS" "$SECONDS_LOAD" "$publish_lua" "http://127.0.0.1:$HG_PORT"
  pub_rates+=" $(ok_rate "publish-$r")" pub_bad=$((pub_bad + W_NON2XX + W_ERR)) pub_ok=$((pub_ok + W_REQ - W_NON2XX))
  pub_p99=$W_P99
  settle
done
load_end=$(loadavg)
sleep 1
stored=$(($(metric "$HG_PORT" hookgate_events_stored) - events0))
rss_peak=$(peak_rss_mib "$HG_PID")
stop_hookgate
in_med=$(echo "$in_rates" | median)
pub_med=$(echo "$pub_rates" | median)
verdict=ok
# Every 2xx is a stored event; a few more may be stored (in flight when wrk stopped reading).
[ "$stored" -ge $((in_ok + pub_ok)) ] || verdict="STORED $stored < ANSWERED 2xx $((in_ok + pub_ok))"

echo
echo "## Publish vs inbound: durable appends through the API and through a source, same run"
machine_line
echo "store: ${store_url%%://*}  wrk: -t$THREADS -c$CONNS -d${SECONDS_LOAD}s, $ROUNDS rounds alternating  load average before/after: $load_start / $load_end"
echo
echo "inbound accepts/s per round:$in_rates (median $in_med; non-2xx+errors $in_bad)"
echo "publish msgs/s per round:$pub_rates (median $pub_med; non-2xx+errors $pub_bad; last p99 ${pub_p99} ms)"
echo "stored $stored for $((in_ok + pub_ok)) answered 2xx; peak RSS $rss_peak MiB -> $verdict"
echo "RESULT publish_vs_inbound=$(ratio "$pub_med" "$in_med") publish_rps=$pub_med inbound_rps=$in_med store=${store_url%%://*}"
if [ -n "${RESULT_FILE:-}" ]; then
  echo "publish_rps=$pub_med inbound_rps=$in_med ratio=$(ratio "$pub_med" "$in_med") verdict=${verdict// /_}" >"$RESULT_FILE"
fi
[ "$verdict" = ok ] || die "publish: $verdict"
