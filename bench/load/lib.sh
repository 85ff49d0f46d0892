# shellcheck shell=bash disable=SC2034  # globals set here (HTTP_STATUS, W_*) are read by the scripts
# Shared helpers of the load tests in bench/load/ (sourced, not run): a temporary directory and a
# trap that stops every server a script started, starting/stopping Hookgate, nginx and adnanh's
# `webhook`, waiting for ports, a small HTTP client on bash's /dev/tcp (so the scripts need no
# curl), reading /metrics, running wrk with a result line we can parse, and load/RSS readings.
#
# Everything listens on 127.0.0.1 only and every load run is bounded in time (wrk -d and an outer
# `timeout`). Environment knobs (all optional):
#   HOOKGATE_BIN   the hookgate binary (default: build-bench/src/hookgate, built if missing)
#   BENCH_KEEP=1   keep the temporary directory (configs, logs, databases) for inspection
#   BENCH_TMPDIR   where the temporary directory goes (default: $TMPDIR or /tmp)

BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_BUILD=${BENCH_BUILD:-$BENCH_REPO/build-bench}
HOOKGATE_BIN=${HOOKGATE_BIN:-$BENCH_BUILD/src/hookgate}
BENCH_PIDS=()
BENCH_ON_EXIT=() # commands the trap runs before stopping the processes (e.g. stop a database)

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "'$c' is missing: run scripts/setup-debian.sh"
  done
}

# The temporary directory holds every generated config, database and log; the trap stops the
# servers before the directory goes, so nothing keeps running after a failed or interrupted run.
bench_init() {
  local base=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
  BENCH_TMP=$(mktemp -d "$base/hookgate-load.XXXXXX")
  # nginx's workers drop to `nobody` when the master runs as root: they must reach the directory.
  chmod 755 "$BENCH_TMP"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup() {
  local rc=$? i
  for ((i = ${#BENCH_ON_EXIT[@]} - 1; i >= 0; i--)); do
    eval "${BENCH_ON_EXIT[i]}" || true
  done
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${BENCH_PIDS[i]}"
  done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    log "kept $BENCH_TMP"
  elif [ -n "${BENCH_TMP:-}" ]; then
    rm -rf "$BENCH_TMP"
  fi
  return "$rc"
}

# TERM first (Hookgate drains and commits on TERM), KILL if it does not end within the grace.
stop_pid() {
  local pid=$1 grace=${2:-15} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# Waits (at most 15 s) until the machine is quiet: under 10 % of the CPUs busy over one second.
# A reference server may go on working after its load ended (webhook still running the commands
# of requests it queued), and that must not be charged to the next server measured.
settle() {
  local i a b busy
  for ((i = 0; i < 15; i++)); do
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
    busy=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
      t = y[2] - x[2]; print (t > 0 ? int(100 * (y[1] - x[1]) / t) : 0) }')
    [ "$busy" -lt 10 ] && return 0
  done
  log "machine still ${busy}% busy after 15 s; measuring anyway"
}

# Builds the Release binaries the first time, so a fresh checkout runs the scripts directly.
ensure_built() {
  if [ ! -x "$HOOKGATE_BIN" ]; then
    log "building $HOOKGATE_BIN (Release)"
    # -Wno-error=restrict: GCC 12 at -O3 reports a false -Wrestrict in std::string concatenation
    # (GCC bug 105651, hit by src/net/http_url.cpp); a warning is not a reason to skip the bench.
    cmake -S "$BENCH_REPO" -B "$BENCH_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DHOOKGATE_TESTS=OFF -DCMAKE_CXX_FLAGS=-Wno-error=restrict >/dev/null
    cmake --build "$BENCH_BUILD" --target hookgate >/dev/null
  fi
  [ -x "$HOOKGATE_BIN" ] || die "no hookgate binary at $HOOKGATE_BIN"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port nobody listens on right now. Only for peers that cannot report the port they bound
# (nginx, webhook); Hookgate listens on port 0 and tells us.
free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 40000))
    port_open "$p" || {
      echo "$p"
      return 0
    }
  done
  die "no free port found"
}

# Waits until something accepts on port; gives up early if pid (when given) has died.
wait_port() {
  local port=$1 seconds=${2:-30} pid=${3:-} i
  for ((i = 0; i < seconds * 20; i++)); do
    port_open "$port" && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.05
  done
  return 1
}

# start_bg LOG CMD...: runs CMD in the background with its output in LOG; the pid goes to
# BG_PID and to the list the trap stops.
start_bg() {
  local out=$1
  shift
  "$@" >"$out" 2>&1 &
  BG_PID=$!
  BENCH_PIDS+=("$BG_PID")
}

# start_nginx DIR [SERVER-DIRECTIVES] [HTTP-DIRECTIVES]: nginx answering 200 to everything on a
# free loopback port (NGINX_PORT). Everything it writes stays in DIR; `daemon off` keeps it our
# child so the trap stops it. Two workers, like the two cores the other servers get.
start_nginx() {
  local dir=$1 extra=${2:-} http_extra=${3:-}
  mkdir -p "$dir/logs"
  chmod 755 "$dir"
  NGINX_PORT=$(free_port)
  cat >"$dir/nginx.conf" <<EOF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_max_body_size 2m;
  $http_extra
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { return 200 "ok\n"; }
    $extra
  }
}
EOF
  # The port was free a moment ago; someone else may take it first: then try another.
  local _
  for _ in 1 2 3; do
    start_bg "$dir/logs/stdout.log" nginx -e "$dir/logs/error.log" -p "$dir" -c "$dir/nginx.conf" \
      -g 'daemon off;'
    NGINX_PID=$BG_PID
    # Alive a moment later too: a port someone else holds answers while nginx fails to bind it.
    wait_port "$NGINX_PORT" 20 "$NGINX_PID" && sleep 0.3 && kill -0 "$NGINX_PID" 2>/dev/null &&
      return 0
    stop_pid "$NGINX_PID"
    local port
    port=$(free_port)
    sed -i "s/listen 127.0.0.1:$NGINX_PORT;/listen 127.0.0.1:$port;/" "$dir/nginx.conf"
    NGINX_PORT=$port
  done
  cat "$dir/logs/"*.log >&2
  die "nginx did not start"
}

# start_webhook DIR SECRET: adnanh/webhook with one hook, /hooks/github, whose trigger rule checks
# X-Hub-Signature-256 as the HMAC-SHA256 of the body and runs /bin/true. A wrong signature gets 500
# from webhook 2.8 (an evaluation error); a rule that is not satisfied otherwise gets 401 instead of
# webhook's default 200 "rules were not satisfied", which would hide a failed check.
start_webhook() {
  local dir=$1 secret=$2
  mkdir -p "$dir"
  WEBHOOK_PORT=$(free_port)
  cat >"$dir/hooks.json" <<EOF
[
  {
    "id": "github",
    "execute-command": "/bin/true",
    "command-working-directory": "$dir",
    "response-message": "ok",
    "http-methods": ["POST"],
    "trigger-rule-mismatch-http-response-code": 401,
    "trigger-rule": {
      "match": {
        "type": "payload-hmac-sha256",
        "secret": "$secret",
        "parameter": { "source": "header", "name": "X-Hub-Signature-256" }
      }
    }
  }
]
EOF
  local _
  for _ in 1 2 3; do
    start_bg "$dir/webhook.log" webhook -hooks "$dir/hooks.json" -ip 127.0.0.1 -port "$WEBHOOK_PORT"
    WEBHOOK_PID=$BG_PID
    wait_port "$WEBHOOK_PORT" 20 "$WEBHOOK_PID" && sleep 0.3 && kill -0 "$WEBHOOK_PID" 2>/dev/null &&
      return 0
    stop_pid "$WEBHOOK_PID"
    WEBHOOK_PORT=$(free_port) # taken by someone else in the meantime
  done
  cat "$dir/webhook.log" >&2
  die "webhook did not start"
}

# start_hookgate CONFIG LOG: `hookgate serve`, listening on the port its config names (0 = any);
# the port it really bound is read from its "listening on" line (HG_PORT), the pid is HG_PID.
# Request/attempt logs (one JSON line each) go to LOG, as in production they go somewhere.
start_hookgate() {
  local config=$1 out=$2 i
  : >"$out.err" # exists before the background shell opens it, so the polling below can read it
  "$HOOKGATE_BIN" serve --config "$config" >"$out" 2>"$out.err" &
  HG_PID=$!
  BENCH_PIDS+=("$HG_PID")
  HG_PORT=
  for ((i = 0; i < 600; i++)); do
    HG_PORT=$(sed -n 's#.*listening on http://[^ ]*:\([0-9]*\)$#\1#p' "$out.err" | head -1)
    [ -n "$HG_PORT" ] && break
    kill -0 "$HG_PID" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$HG_PORT" ] || {
    cat "$out.err" >&2
    die "hookgate did not start ($config)"
  }
  wait_port "$HG_PORT" 10 "$HG_PID" || die "hookgate is not accepting on $HG_PORT"
}

stop_hookgate() {
  [ -n "${HG_PID:-}" ] && stop_pid "$HG_PID" 30
  HG_PID=
}

# http METHOD PORT PATH [BODY] [HEADER]...: one HTTP/1.1 request to 127.0.0.1 over bash's /dev/tcp.
# Sets HTTP_STATUS and HTTP_BODY (bodies here are small JSON or text; chunked is not expected).
http() {
  local method=$1 port=$2 path=$3 body=${4:-} h request
  shift 4 2>/dev/null || shift $#
  request="$method $path HTTP/1.1"$'\r\n'"Host: 127.0.0.1:$port"$'\r\n'"Connection: close"$'\r\n'
  for h in "$@"; do request+="$h"$'\r\n'; done
  if [ -n "$body" ] || [ "$method" = POST ]; then
    request+="Content-Length: ${#body}"$'\r\n'
  fi
  request+=$'\r\n'"$body"
  local response
  response=$(
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf '%s' "$request" >&3
    timeout 30 cat <&3
  ) || {
    HTTP_STATUS=000
    HTTP_BODY=
    return 1
  }
  # Parameter expansion, not `printf | head -1`: under pipefail, printf may get SIGPIPE.
  HTTP_STATUS=${response#* }
  HTTP_STATUS=${HTTP_STATUS%% *}
  HTTP_BODY=${response#*$'\r\n\r\n'}
}

# json_string KEY: the first "KEY":"value" of HTTP_BODY (ids and secrets: no escapes in them).
# No pipeline: with `set -o pipefail`, `grep | head -1` fails at random (grep gets SIGPIPE when
# head has left before grep's second match), and `set -e` then ends the script without a word.
json_string() {
  local re="\"$1\":\"([^\"]*)\""
  [[ $HTTP_BODY =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
}

# scrape PORT: fetches Hookgate's /metrics once into METRICS (the store gauges are refreshed on
# each scrape, so one scrape gives numbers from one moment). mval NAME [LABEL-FILTER]: the sum of
# the matching samples in METRICS as an integer (0 if absent).
scrape() {
  if http GET "$1" /metrics; then METRICS=$HTTP_BODY; else METRICS=; fi
}
mval() {
  printf '%s\n' "$METRICS" | awk -v n="$1" -v f="${2:-}" '
    ($1 == n || index($1, n "{") == 1) && index($1, f) > 0 { v += $2; found = 1 }
    END { printf "%d\n", found ? v : 0 }'
}
# metric PORT NAME [LABEL-FILTER]: scrape + mval.
metric() {
  scrape "$1"
  mval "$2" "${3:-}"
}

# run_wrk LABEL THREADS CONNECTIONS SECONDS SCRIPT URL: wrk with --latency and a Lua script whose
# done() prints "RESULT k=v ...". Sets W_RPS W_REQ W_NON2XX W_ERR W_P50 W_P99 (ms) and keeps wrk's
# own report in $BENCH_TMP/wrk-LABEL.txt.
run_wrk() {
  local label=$1 threads=$2 conns=$3 seconds=$4 script=$5 url=$6
  local out="$BENCH_TMP/wrk-$label.txt"
  timeout $((seconds + 60)) wrk -t "$threads" -c "$conns" -d "${seconds}s" --timeout 10s --latency \
    -s "$script" "$url" >"$out" 2>&1 || log "wrk ($label) exited with $?"
  local line
  line=$(grep '^RESULT ' "$out" | tail -1)
  [ -n "$line" ] || {
    cat "$out" >&2
    die "wrk ($label) printed no result"
  }
  W_REQ=$(kv "$line" requests)
  W_NON2XX=$(kv "$line" non2xx)
  W_ERR=$(kv "$line" errors)
  W_RPS=$(awk -v r="$W_REQ" -v d="$(kv "$line" duration_us)" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  W_P50=$(awk -v u="$(kv "$line" p50_us)" 'BEGIN { printf "%.2f", u / 1000 }')
  W_P99=$(awk -v u="$(kv "$line" p99_us)" 'BEGIN { printf "%.2f", u / 1000 }')
}

kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ratio A B: A/B with two decimals ("-" when B is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }

# rate COUNT SECONDS: a per-second rate, rounded ("-" when SECONDS is 0).
rate() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.0f", a / b }'; }

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# Peak and current resident memory of a process, in MiB (VmHWM, VmRSS).
vm_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
peak_rss_mib() { awk -v k="$(vm_kib "$1" VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }'; }
rss_mib() { awk -v k="$(vm_kib "$1" VmRSS)" 'BEGIN { printf "%.1f", k / 1024 }'; }

# The wrk Lua prelude every script shares: done() prints the figures run_wrk parses.
wrk_result_lua() {
  cat <<'EOF'
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50.0), latency:percentile(99.0)))
end
EOF
}

# The commit when the script started (others may commit while it runs) and when the binary under
# test was built (it is built from the working tree, which may hold uncommitted work).
BENCH_COMMIT=$(git -C "$BENCH_REPO" rev-parse --short HEAD 2>/dev/null || echo '?')

# A header line for result tables: when, where, how loaded the machine was, what was measured.
machine_line() {
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)  load average: $(loadavg)  commit: $BENCH_COMMIT  binary built: $(date -u -r "$HOOKGATE_BIN" +%H:%MZ 2>/dev/null || echo '?')"
}
