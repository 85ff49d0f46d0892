#!/usr/bin/env bash
# Inbound accepts/s while event streams are connected, against the same `hookgate serve` in one
# run (SQLite store): wrk posts signed 1 KiB GitHub deliveries (as inbound.sh does) with
#   none     no stream open;
#   other    STREAMS streams open on another source (they never get these events: what idle
#            streams cost an accept);
#   same     STREAMS streams open on the source under load, each reading every event (one
#            epoll reader process): what delivering each accept to STREAMS consumers costs.
# The phases alternate for ROUNDS rounds so a change in the machine's load hits all of them; the
# ratios to "none" of the same run are the figures. After the "same" phases the script checks that
# no stream was cut off (hookgate_streams_open still STREAMS), i.e. every consumer kept up.
# Usage: bench/load/stream_fanout.sh
# Environment (optional): STREAMS=100 ROUNDS=2 SECONDS_LOAD=10 THREADS=2 CONNS=64, HOOKGATE_BIN
# as in lib.sh.
# Needs: wrk, python3, perl. No root.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

STREAMS=${STREAMS:-100}
ROUNDS=${ROUNDS:-2}
SECONDS_LOAD=${SECONDS_LOAD:-10}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
need_cmd wrk python3 perl awk timeout
ensure_built
bench_init
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

secret="bench-fanout-secret-0123456789"
token="bench-fanout-token"
# Numbered 1 KiB bodies signed in advance (wrk spends no time on HMAC), one block per phase.
per_phase=$((SECONDS_LOAD * 40000))
phases=$((ROUNDS * 3))
load_prefix='{"ref":"refs/heads/main","repository":{"full_name":"acme/widgets"},"n":"'
load_suffix_head='","pad":"'
pad=$((1024 - ${#load_prefix} - 12 - ${#load_suffix_head} - 2))
load_suffix="$load_suffix_head$(head -c "$pad" /dev/zero | tr '\0' x)\"}"
log "signing $((per_phase * phases)) bodies"
BENCH_SECRET=$secret BENCH_PREFIX=$load_prefix BENCH_SUFFIX=$load_suffix \
  perl -MDigest::SHA=hmac_sha256_hex -e '
    my ($p, $s, $k) = @ENV{qw(BENCH_PREFIX BENCH_SUFFIX BENCH_SECRET)};
    for my $i (0 .. $ARGV[0] - 1) {
      print "sha256=", hmac_sha256_hex($p . sprintf("%012d", $i) . $s, $k), "\n";
    }' $((per_phase * phases)) >"$BENCH_TMP/signatures"
export BENCH_PREFIX=$load_prefix BENCH_SUFFIX=$load_suffix BENCH_SIGNATURES=$BENCH_TMP/signatures
lua="$BENCH_TMP/inbound.lua"
cat "$(dirname "$0")/github_signed.lua" >"$lua"
wrk_result_lua >>"$lua"

cat >"$BENCH_TMP/hookgate.toml" <<TOML
[server]
listen = "127.0.0.1:0"
max_connections = $((STREAMS * 2 + 1000))
max_connections_per_ip = $((STREAMS * 2 + 1000))
[store]
url = "sqlite://$BENCH_TMP/fanout.db"
[streams]
max_streams = $((STREAMS * 2 + 10))
max_streams_per_ip = $((STREAMS * 2 + 10))
[[source]]
name = "github"
scheme = "github"
secrets = ["$secret"]
pull_token = "$token"
event_type_from = "header:X-GitHub-Event"
keep_headers = ["X-GitHub-Event", "X-GitHub-Delivery"]
[[source]]
name = "quiet"
path = "/in/quiet"
scheme = "github"
secrets = ["$secret"]
pull_token = "$token"
TOML
start_hookgate "$BENCH_TMP/hookgate.toml" "$BENCH_TMP/hookgate.log"

# The consumers: one process reading STREAMS streams with epoll and discarding the bytes, so the
# client side costs one wake-up per batch of ready sockets, not one process per stream.
cat >"$BENCH_TMP/readers.py" <<'PY'
import selectors, socket, sys
port, token, source, k = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
sel = selectors.DefaultSelector()
for _ in range(k):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("GET /stream/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n"
               % (source, token)).encode())
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("open", flush=True)
while True:
    for key, _ in sel.select():
        try:
            if not key.fileobj.recv(1 << 20):
                sel.unregister(key.fileobj)
        except BlockingIOError:
            pass
PY
READERS=
open_streams() { # SOURCE: STREAMS readers of /stream/SOURCE, from the head
  python3 "$BENCH_TMP/readers.py" "$HG_PORT" "$token" "$1" "$STREAMS" >/dev/null &
  READERS=$!
  BENCH_PIDS+=("$READERS")
  local i
  for ((i = 0; i < 200; i++)); do
    [ "$(metric "$HG_PORT" hookgate_streams_open)" = "$STREAMS" ] && return 0
    sleep 0.1
  done
  die "only $(metric "$HG_PORT" hookgate_streams_open) of $STREAMS streams opened"
}
close_streams() {
  kill "$READERS" 2>/dev/null || true
  wait "$READERS" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(metric "$HG_PORT" hookgate_streams_open)" = 0 ] && return 0
    sleep 0.1
  done
  die "streams still open after their clients left"
}

declare -A sum
sum[none]=0 sum[other]=0 sum[same]=0
cut=0
phase=0
url="http://127.0.0.1:$HG_PORT/in/github"
load_start=$(loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
  for name in none other same; do
    case $name in
      other) open_streams quiet ;;
      same) open_streams github ;;
    esac
    settle
    log "round $r, $name: $THREADS threads, $CONNS connections, ${SECONDS_LOAD}s"
    BENCH_FIRST=$((phase * per_phase)) BENCH_COUNT=$per_phase BENCH_THREADS=$THREADS \
      run_wrk "$name-$r" "$THREADS" "$CONNS" "$SECONDS_LOAD" "$lua" "$url"
    phase=$((phase + 1))
    log "round $r, $name: $W_RPS accepts/s (non-2xx $W_NON2XX, errors $W_ERR)"
    sum[$name]=$((sum[$name] + W_RPS))
    if [ "$name" != none ]; then
      open=$(metric "$HG_PORT" hookgate_streams_open)
      [ "$open" = "$STREAMS" ] || cut=$((cut + STREAMS - open))
      close_streams
    fi
  done
done

none=$((sum[none] / ROUNDS))
other=$((sum[other] / ROUNDS))
same=$((sum[same] / ROUNDS))
echo
machine_line
echo "load average at start: $load_start; $ROUNDS rounds of ${SECONDS_LOAD}s per phase, wrk -t$THREADS -c$CONNS"
printf '%-40s %10s %8s\n' "inbound accepts/s" "mean" "vs none"
printf '%-40s %10s %8s\n' "no stream" "$none" "1.00"
printf '%-40s %10s %8s\n' "$STREAMS streams on another source" "$other" "$(ratio "$other" "$none")"
printf '%-40s %10s %8s\n' "$STREAMS streams reading this source" "$same" "$(ratio "$same" "$none")"
echo "streams cut off during the load: $cut"
