#!/usr/bin/env bash
# Inbound load test: how many signed GitHub deliveries per second Hookgate accepts durably (verify
# HMAC-SHA256, append to the store with fsync and group commit, answer 200), measured in the same
# run and with the same wrk settings against two references on the same machine:
#   nginx    `return 200` for the same request: the HTTP floor, no verification, no storage;
#   webhook  Debian's adnanh/webhook, a hook whose trigger rule checks the same HMAC-SHA256
#            (payload-hmac-sha256 on X-Hub-Signature-256) and runs /bin/true.
# Then checks that Hookgate stored every event it answered 200 for: a run that loses events is not
# a valid figure and makes the script fail.
#
# Usage: bench/load/inbound.sh
# Environment (optional):
#   THREADS=2 CONNS=64 SECONDS_LOAD=20   the throughput runs (same for all three servers)
#   SECONDS_LATENCY=10                   the 1-connection latency runs
#   HOOKGATE_STORE_URL                   store of the Hookgate under test (default: SQLite in the
#                                        temporary directory); backends.sh passes a postgres:// URL
#   PEERS=0                              measure Hookgate only (no nginx, no webhook)
#   FORGED_EVERY=N                       every Nth request has a wrong signature (refused with 401;
#                                        the inspector keeps it): the cost of refusing and capturing
#   RESULT_FILE                          also write the figures there as key=value lines
# Needs: wrk, nginx-light, webhook (scripts/setup-debian.sh). Root is not needed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
SECONDS_LOAD=${SECONDS_LOAD:-20}
SECONDS_LATENCY=${SECONDS_LATENCY:-10}
PEERS=${PEERS:-1}

need_cmd wrk awk timeout
[ "$PEERS" = 1 ] && need_cmd nginx webhook
ensure_built
bench_init

secret="bench-github-secret-0123456789"
# A 1 KiB JSON body (exactly 1024 bytes), like a small GitHub push payload.
body="$BENCH_TMP/body.json"
prefix='{"ref":"refs/heads/main","repository":{"full_name":"acme/widgets"},"pad":"'
{
  printf '%s' "$prefix"
  head -c $((1024 - ${#prefix} - 2)) /dev/zero | tr '\0' x
  printf '"}'
} >"$body"
[ "$(wc -c <"$body")" = 1024 ] || die "body is $(wc -c <"$body") bytes, expected 1024"
# Signed once with Hookgate's own signer (the same bytes GitHub would send).
signature=$("$HOOKGATE_BIN" sign --scheme github --secret "$secret" <"$body" |
  sed -n 's/^X-Hub-Signature-256: //p')
[ -n "$signature" ] || die "could not sign the body"

# The load itself: numbered bodies of the same size and shape, each signed in advance (a replay
# of one signed body is a duplicate, which would measure de-duplication instead of accepting).
# Bodies 0..n_c64-1 serve the c$CONNS runs, the rest the c1 runs, so neither run against the same
# store repeats a body unless it outruns its block (then the duplicates show in the verdicts).
need_cmd perl
n_c64=$((SECONDS_LOAD * 60000))
n_c1=$((SECONDS_LATENCY * 20000))
load_prefix='{"ref":"refs/heads/main","repository":{"full_name":"acme/widgets"},"n":"'
load_suffix_head='","pad":"'
pad=$((1024 - ${#load_prefix} - 12 - ${#load_suffix_head} - 2))
load_suffix="$load_suffix_head$(head -c "$pad" /dev/zero | tr '\0' x)\"}"
log "signing $((n_c64 + n_c1)) bodies"
BENCH_SECRET=$secret BENCH_PREFIX=$load_prefix BENCH_SUFFIX=$load_suffix \
  perl -MDigest::SHA=hmac_sha256_hex -e '
    my ($p, $s, $k) = @ENV{qw(BENCH_PREFIX BENCH_SUFFIX BENCH_SECRET)};
    die "body is not 1 KiB\n" unless length($p) + 12 + length($s) == 1024;
    for my $i (0 .. $ARGV[0] - 1) {
      print "sha256=", hmac_sha256_hex($p . sprintf("%012d", $i) . $s, $k), "\n";
    }' $((n_c64 + n_c1)) >"$BENCH_TMP/signatures"
export BENCH_PREFIX=$load_prefix BENCH_SUFFIX=$load_suffix BENCH_SIGNATURES=$BENCH_TMP/signatures
export BENCH_FORGED_EVERY=${FORGED_EVERY:-0}

lua="$BENCH_TMP/inbound.lua"
cat "$(dirname "$0")/github_signed.lua" >"$lua"
wrk_result_lua >>"$lua"

store_url=${HOOKGATE_STORE_URL:-sqlite://$BENCH_TMP/inbound.db}
cat >"$BENCH_TMP/hookgate.toml" <<EOF
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
EOF
start_hookgate "$BENCH_TMP/hookgate.toml" "$BENCH_TMP/hookgate.log"
targets=("hookgate|http://127.0.0.1:$HG_PORT/in/github")
if [ "$PEERS" = 1 ]; then
  start_nginx "$BENCH_TMP/nginx"
  start_webhook "$BENCH_TMP/webhook" "$secret"
  targets=("nginx|http://127.0.0.1:$NGINX_PORT/in/github"
    "webhook|http://127.0.0.1:$WEBHOOK_PORT/hooks/github"
    "${targets[0]}")
fi

# The checks must really run: a wrong signature is refused by Hookgate and by webhook's rule.
sig_header="X-Hub-Signature-256: $signature"
bad_header="X-Hub-Signature-256: sha256=$(printf '%064d' 0)"
payload=$(cat "$body")
hg_before=$(metric "$HG_PORT" hookgate_events_stored)
http POST "$HG_PORT" /in/github "$payload" "$bad_header" "X-GitHub-Delivery: check-bad" \
  "X-GitHub-Event: push"
[ "$HTTP_STATUS" = 401 ] || die "hookgate answered $HTTP_STATUS to a bad signature"
http POST "$HG_PORT" /in/github "$payload" "$sig_header" "X-GitHub-Delivery: check-good-$$-$RANDOM" \
  "X-GitHub-Event: push"
[ "$HTTP_STATUS" = 200 ] || die "hookgate answered $HTTP_STATUS to a good signature: $HTTP_BODY"
if [ "$PEERS" = 1 ]; then
  # webhook 2.8 answers a signature mismatch with 500 ("error evaluating hook"): any non-2xx will do.
  http POST "$WEBHOOK_PORT" /hooks/github "$payload" "$bad_header"
  [[ $HTTP_STATUS != 2* ]] || die "webhook answered $HTTP_STATUS to a bad signature"
  http POST "$WEBHOOK_PORT" /hooks/github "$payload" "$sig_header"
  [ "$HTTP_STATUS" = 200 ] || die "webhook answered $HTTP_STATUS to a good signature"
fi
hg_ok=1 # the good check request above

declare -A rps p50 p99 non2xx errs rps1 p50_1 p99_1
load_start=$(loadavg)
run_id="$(date +%s)-$$"
for t in "${targets[@]}"; do
  name=${t%%|*}
  url=${t#*|}
  log "$name: $THREADS threads, $CONNS connections, ${SECONDS_LOAD}s"
  BENCH_FIRST=0 BENCH_COUNT=$n_c64 BENCH_THREADS=$THREADS \
    BENCH_RUN="$run_id-$name-c$CONNS" run_wrk "$name-c$CONNS" "$THREADS" "$CONNS" "$SECONDS_LOAD" "$lua" "$url"
  rps[$name]=$W_RPS p50[$name]=$W_P50 p99[$name]=$W_P99 non2xx[$name]=$W_NON2XX errs[$name]=$W_ERR
  [ "$name" = hookgate ] && hg_ok=$((hg_ok + W_REQ - W_NON2XX))
  log "$name: 1 connection, ${SECONDS_LATENCY}s"
  BENCH_FIRST=$n_c64 BENCH_COUNT=$n_c1 BENCH_THREADS=1 \
    BENCH_RUN="$run_id-$name-c1" run_wrk "$name-c1" 1 1 "$SECONDS_LATENCY" "$lua" "$url"
  rps1[$name]=$W_RPS p50_1[$name]=$W_P50 p99_1[$name]=$W_P99
  non2xx[$name]=$((non2xx[$name] + W_NON2XX)) errs[$name]=$((errs[$name] + W_ERR))
  [ "$name" = hookgate ] && hg_ok=$((hg_ok + W_REQ - W_NON2XX))
  # Each server is measured alone: a reference is stopped once measured, and the next waits
  # for the machine to be quiet.
  [ "$name" = nginx ] && stop_pid "$NGINX_PID"
  [ "$name" = webhook ] && stop_pid "$WEBHOOK_PID"
  settle
done
load_end=$(loadavg)

# Lost-event check. Server side: every "accepted" answer is a stored event. Client side: wrk saw
# hg_ok 2xx answers; the store may hold a few more (requests in flight when wrk stopped, answered
# after it stopped reading), never fewer.
sleep 1
stored=$(($(metric "$HG_PORT" hookgate_events_stored) - hg_before))
accepted=$(metric "$HG_PORT" hookgate_inbound_requests_total 'verdict="accepted"')
duplicates=$(metric "$HG_PORT" hookgate_inbound_requests_total 'verdict="duplicate"')
busy=$(metric "$HG_PORT" hookgate_inbound_requests_total 'verdict="busy"')
stop_hookgate
verdict=ok
if [ "$stored" -ne "$accepted" ] || [ "$stored" -lt "$hg_ok" ] || [ "$stored" -gt $((hg_ok + CONNS + 2)) ]; then
  verdict="LOST OR EXTRA EVENTS"
fi
if [ -z "${HOOKGATE_STORE_URL:-}" ] && command -v sqlite3 >/dev/null; then
  # Read back from the file itself, after the server stopped: what survives is what counts.
  on_disk=$(sqlite3 "$BENCH_TMP/inbound.db" "SELECT count(*) FROM events WHERE source = 'github'")
  [ "$on_disk" = "$stored" ] || verdict="DISK COUNT $on_disk != $stored"
  disk_note=", read back from the file after the server stopped=$on_disk"
fi

echo
echo "## Inbound: durable accept of signed 1 KiB GitHub deliveries"
machine_line
echo "store: ${store_url%%://*}  wrk: -t$THREADS -c$CONNS -d${SECONDS_LOAD}s --latency (and -t1 -c1 -d${SECONDS_LATENCY}s)"
echo "load average before/after: $load_start / $load_end"
echo
echo "| server | req/s (c$CONNS) | p50 ms | p99 ms | req/s (c1) | p50 ms (c1) | p99 ms (c1) | non-2xx | socket errors |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for t in "${targets[@]}"; do
  n=${t%%|*}
  echo "| $n | ${rps[$n]} | ${p50[$n]} | ${p99[$n]} | ${rps1[$n]} | ${p50_1[$n]} | ${p99_1[$n]} | ${non2xx[$n]} | ${errs[$n]} |"
done
echo
if [ "$PEERS" = 1 ]; then
  echo "| ratio | c$CONNS req/s | c1 req/s |"
  echo "| --- | ---: | ---: |"
  echo "| hookgate / nginx | $(ratio "${rps[hookgate]}" "${rps[nginx]}") | $(ratio "${rps1[hookgate]}" "${rps1[nginx]}") |"
  echo "| hookgate / webhook | $(ratio "${rps[hookgate]}" "${rps[webhook]}") | $(ratio "${rps1[hookgate]}" "${rps1[webhook]}") |"
  echo
fi
echo "stored check: wrk saw $hg_ok answers 2xx; hookgate answered accepted=$accepted (duplicate=$duplicates, busy=$busy); events stored=$stored${disk_note:-} -> $verdict"

if [ -n "${RESULT_FILE:-}" ]; then
  {
    echo "rps=${rps[hookgate]} p50=${p50[hookgate]} p99=${p99[hookgate]}"
    echo "rps1=${rps1[hookgate]} p50_1=${p50_1[hookgate]} p99_1=${p99_1[hookgate]}"
    echo "non2xx=${non2xx[hookgate]} stored=$stored ok=$hg_ok verdict=${verdict// /_}"
  } >"$RESULT_FILE"
fi
[ "$verdict" = ok ] || die "inbound: $verdict"
