# shellcheck shell=bash disable=SC2034  # globals set here (SINK_*, APP, ENDPOINT_ID) are read by the scripts
# Shared pieces of the outbound benchmarks (outbound_slow.sh, outbound_isolation.sh,
# outbound_fast.sh, outbound_retry.sh), sourced after lib.sh: the receiver (hookgate_sink, built
# from bench/tools/sink.cpp), a Hookgate config with the API and loopback endpoints allowed, the
# application and endpoints created through the API as a new user would, publishing by wrk
# round-robin over event types (one endpoint each), and reading the sink's arrivals.
#
# Environment (all optional):
#   STORE_URL (or HOOKGATE_STORE_URL)  postgresql://... to run on PostgreSQL (default: SQLite)
#   SINK_BIN                           the receiver (default: build-bench/bench/hookgate_sink)

SINK_BIN=${SINK_BIN:-$BENCH_BUILD/bench/hookgate_sink}
BENCH_ADMIN_KEY="bench-admin-key-0123456789abcdef"

ensure_sink() {
  if [ ! -x "$SINK_BIN" ]; then
    log "building $SINK_BIN (Release, HOOKGATE_BENCH=ON)"
    cmake -S "$BENCH_REPO" -B "$BENCH_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DHOOKGATE_TESTS=OFF -DHOOKGATE_BENCH=ON -DCMAKE_CXX_FLAGS=-Wno-error=restrict >/dev/null
    cmake --build "$BENCH_BUILD" --target hookgate_sink >/dev/null
  fi
  [ -x "$SINK_BIN" ] || die "no sink binary at $SINK_BIN"
}

# start_sink DIR [SINK-OPTIONS...]: the receiver on a loopback port it picks (SINK_PORT); its
# arrivals go to DIR/arrivals.log and its counters to DIR/stdout.log when it is stopped.
start_sink() {
  local dir=$1 i
  shift
  mkdir -p "$dir"
  rm -f "$dir/port"
  start_bg "$dir/stdout.log" "$SINK_BIN" --port 0 --port-file "$dir/port" \
    --log "$dir/arrivals.log" "$@"
  SINK_PID=$BG_PID SINK_DIR=$dir
  for ((i = 0; i < 200; i++)); do
    [ -s "$dir/port" ] && break
    sleep 0.05
  done
  SINK_PORT=$(cat "$dir/port" 2>/dev/null) || die "the sink did not start: $(cat "$dir/stdout.log")"
}

# stop_sink: TERM makes the sink write its arrivals and print its counters (SINK_CONNECTIONS,
# SINK_REQUESTS, SINK_HANDSHAKES, SINK_RESUMED).
stop_sink() {
  stop_pid "$SINK_PID"
  local stats
  stats=$(grep '^{"connections"' "$SINK_DIR/stdout.log" | tail -1)
  SINK_CONNECTIONS=$(printf '%s' "$stats" | sed 's/.*"connections":\([0-9]*\).*/\1/')
  SINK_REQUESTS=$(printf '%s' "$stats" | sed 's/.*"requests":\([0-9]*\).*/\1/')
  SINK_HANDSHAKES=$(printf '%s' "$stats" | sed 's/.*"tls_handshakes":\([0-9]*\).*/\1/')
  SINK_RESUMED=$(printf '%s' "$stats" | sed 's/.*"tls_resumed":\([0-9]*\).*/\1/')
}

# hookgate_config FILE [TOML...]: API on, endpoints on loopback allowed, a sealing key (PostgreSQL
# nodes must share one; SQLite is fine with it too). Extra TOML lines are appended as given
# (sections included), so a script adds [delivery] or more [outbound] keys.
hookgate_config() {
  local file=$1
  shift
  BENCH_STORE_URL=${STORE_URL:-${HOOKGATE_STORE_URL:-sqlite://$BENCH_TMP/outbound.db}}
  {
    echo '[server]'
    echo 'listen = "127.0.0.1:0"'
    echo '[store]'
    echo "url = \"$BENCH_STORE_URL\""
    echo '[api]'
    echo 'enabled = true'
    echo "admin_keys = [\"$BENCH_ADMIN_KEY\"]"
    echo '[outbound]'
    echo 'allow_cidrs = ["127.0.0.1/32"]'
    echo "secret_key = \"$(head -c 32 /dev/urandom | base64)\""
    local line
    for line in "$@"; do echo "$line"; done
  } >"$file"
}

api() {
  http "$1" "$HG_PORT" "$2" "${3:-}" "Authorization: Bearer $BENCH_ADMIN_KEY" \
    "Content-Type: application/json"
}

# make_app NAME -> APP
make_app() {
  api POST /api/v1/app "{\"name\":\"$1\"}"
  [ "$HTTP_STATUS" = 201 ] || die "create app: $HTTP_STATUS $HTTP_BODY"
  APP=$(json_string id)
}

# make_endpoint URL EVENT-TYPE -> ENDPOINT_ID (subscribed to that one event type)
make_endpoint() {
  api POST "/api/v1/app/$APP/endpoint" "{\"url\":\"$1\",\"eventTypes\":[\"$2\"]}"
  [ "$HTTP_STATUS" = 201 ] || die "create endpoint $1: $HTTP_STATUS $HTTP_BODY"
  ENDPOINT_ID=$(json_string id)
}

# publish_rr COUNT NTYPES: publishes COUNT messages to APP with wrk, event types t0..t(NTYPES-1)
# in turn (so each endpoint subscribed to one type gets every NTYPES-th message). Stops wrk once
# the store holds COUNT more events (a few in flight at the interrupt are stored too). Sets
# PUB_T0 / PUB_T1 (epoch seconds, fractional) and PUB_STORED (COUNT plus the few in flight).
publish_rr() {
  local count=$1 ntypes=$2 lua="$BENCH_TMP/publish_rr.lua" events0 pid conns=32
  cat >"$lua" <<'LUA'
-- Round-robin over event types: thread t sends types t, t + threads, ... so all types get their
-- share whatever the number of threads.
local path = "/api/v1/app/" .. os.getenv("BENCH_APP") .. "/msg"
local ntypes = tonumber(os.getenv("BENCH_NTYPES"))
local headers = {["Content-Type"] = "application/json",
                 ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")}
local pad = string.rep("x", 900)
local quota = math.ceil(tonumber(os.getenv("BENCH_COUNT")) / 2)
local threads, n, step, answered = 0, 0, 1, 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  n = (tid or 1) - 1
  step = 2
end
function request()
  local t = n % ntypes
  n = n + step
  return wrk.format("POST", path, headers,
    '{"eventType":"t' .. t .. '","payload":{"n":' .. n .. ',"pad":"' .. pad .. '"}}')
end
-- Each of the two threads stops after its half has been answered (requests still in flight then
-- are stored too: at most one per connection more).
function response(status, headers, body)
  answered = answered + 1
  if answered >= quota then wrk.thread:stop() end
end
LUA
  [ "$count" -lt 1000 ] && conns=4
  events0=$(metric "$HG_PORT" hookgate_events_stored)
  PUB_T0=$(date +%s.%N)
  BENCH_APP=$APP BENCH_KEY=$BENCH_ADMIN_KEY BENCH_NTYPES=$ntypes BENCH_COUNT=$count timeout 900 \
    wrk -t 2 -c "$conns" -d 600s --timeout 10s -s "$lua" "http://127.0.0.1:$HG_PORT" \
    >"$BENCH_TMP/wrk-publish-rr.txt" 2>&1 &
  pid=$!
  BENCH_PIDS+=("$pid")
  PUB_STORED=0
  while kill -0 "$pid" 2>/dev/null; do
    PUB_STORED=$(($(metric "$HG_PORT" hookgate_events_stored) - events0))
    [ "$PUB_STORED" -ge "$count" ] && break
    sleep 0.05
  done
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  PUB_T1=$(date +%s.%N)
  sleep 0.5
  PUB_STORED=$(($(metric "$HG_PORT" hookgate_events_stored) - events0))
}

# wait_delivered N SECONDS: until Hookgate counts N deliveries delivered (or the time is up).
# Polled every POLL_SECONDS (0.5): each poll forks a few processes (a subshell, timeout, cat, awk)
# and has Hookgate count its tables, which on 2 cores took CPU from the run it watches (0.1 s
# polls: about a third of a core). Rates come from the receiver's arrival times, not from here.
wait_delivered() {
  local n=$1 deadline=$((SECONDS + $2))
  while [ "$(metric "$HG_PORT" hookgate_deliveries_delivered)" -lt "$n" ]; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep "${POLL_SECONDS:-0.5}"
  done
}

# message_times FILE: "msg_... received_ms" for every message of APP (the accept time, from
# the API's timestamp), to join with the sink's arrivals by webhook-id (the message id).
message_times() {
  local out=$1 cursor="" q ids times
  : >"$out"
  ids=$(mktemp) times=$(mktemp)
  for ((page = 0; page < 100000; page++)); do
    q="/api/v1/app/$APP/msg?limit=250&with_content=false"
    [ -n "$cursor" ] && q+="&iterator=$cursor"
    api GET "$q"
    [ "$HTTP_STATUS" = 200 ] || die "list messages: $HTTP_STATUS"
    # Each message has one id and one timestamp, in the same order.
    printf '%s' "$HTTP_BODY" | grep -o '"id":"msg_[0-9A-Za-z]*"' | sed 's/"id":"\(.*\)"/\1/' >"$ids" || true
    printf '%s' "$HTTP_BODY" | grep -o '"timestamp":"[^"]*"' | sed 's/"timestamp":"\(.*\)"/\1/' |
      { date -u -f - +%s%3N 2>/dev/null || true; } >"$times"
    paste -d' ' "$ids" "$times" | grep -v ' $' >>"$out" || true
    cursor=$(printf '%s' "$HTTP_BODY" | grep -o '"iterator":"[^"]*"' | sed 's/.*:"\(.*\)"/\1/' || true)
    [ -n "$cursor" ] || break
  done
  rm -f "$ids" "$times"
}

# percentile P < numbers (one a line): the P-th percentile (nearest rank).
percentile() {
  sort -n | awk -v p="$1" '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit }
    i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print a[i] }'
}

# arrival_rate FILTER-REGEX: deliveries answered 200 per second at the sink, first to last
# arrival, for paths matching the regex. Prints "count seconds rate".
arrival_rate() {
  awk -v re="$1" '$3 == 200 && $4 ~ re { n++; if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 }
    END { s = (max - min) / 1000; printf "%d %.2f %s\n", n, s, (s > 0 ? sprintf("%.0f", n / s) : "-") }' \
    "$SINK_DIR/arrivals.log"
}
