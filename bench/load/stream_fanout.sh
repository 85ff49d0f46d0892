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
#
# On one machine the consumers share the CPUs with the gateway and wrk, so the accepts/s ratio
# mixes the gateway's cost of a stream with its consumers' own. Each phase therefore also reads
# the CPU time (utime + stime, /proc/PID/stat) that the gateway and the consumer process used
# during wrk's run, and the machine's busy time (/proc/stat): the report gives the gateway's CPU
# per accept in each phase, its extra CPU per stream-event (per accept per stream, "same" minus
# "none"), the consumers' CPU per stream-event (user and system apart) and the bytes each
# stream-event is on the wire.
# Usage: bench/load/stream_fanout.sh
# Environment (optional): STREAMS=100 ROUNDS=2 SECONDS_LOAD=10 THREADS=2 CONNS=64,
# READER=python (one epoll process in Python) or c (the same loop in C, compiled here with cc:
# the cheapest consumer, to show the gateway's side), HOOKGATE_BIN as in lib.sh.
# Needs: wrk, python3, perl (cc for READER=c). No root.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

STREAMS=${STREAMS:-100}
ROUNDS=${ROUNDS:-2}
SECONDS_LOAD=${SECONDS_LOAD:-10}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
READER=${READER:-python}
need_cmd wrk python3 perl awk timeout getconf
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
# client side costs one wake-up per batch of ready sockets, not one process per stream. Each
# counts the bytes it read and writes the total to its BYTES-FILE when it gets SIGTERM.
cat >"$BENCH_TMP/readers.py" <<'PY'
import selectors, signal, socket, sys
port, token, source, k, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
total = 0
def done(*_):
    with open(out, "w") as f:
        f.write("%d\n" % total)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
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
            n = len(key.fileobj.recv(1 << 20))
            total += n
            if not n:
                sel.unregister(key.fileobj)
        except BlockingIOError:
            pass
PY
if [ "$READER" = c ]; then
  need_cmd cc
  cat >"$BENCH_TMP/readers.c" <<'C'
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }
int main(int argc, char** argv) {
  if (argc != 6) return 2;
  int port = atoi(argv[1]), k = atoi(argv[4]);
  static char buf[1 << 20];
  char req[512];
  int len = snprintf(req, sizeof req,
                     "GET /stream/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n",
                     argv[3], argv[2]);
  int ep = epoll_create1(0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  for (int i = 0; i < k; i++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr*)&a, sizeof a) != 0 || write(s, req, len) != len) return 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
  }
  unsigned long long total = 0;
  struct epoll_event ready[256];
  while (!stop) {
    int n = epoll_wait(ep, ready, 256, -1);
    for (int i = 0; i < n; i++) {
      ssize_t r = read(ready[i].data.fd, buf, sizeof buf);
      if (r > 0) total += (unsigned long long)r;
      else epoll_ctl(ep, EPOLL_CTL_DEL, ready[i].data.fd, NULL);
    }
  }
  FILE* f = fopen(argv[5], "w");
  if (f) fprintf(f, "%llu\n", total), fclose(f);
  return 0;
}
C
  cc -O2 -o "$BENCH_TMP/readers" "$BENCH_TMP/readers.c" || die "cc failed on the C reader"
fi
READERS=
READER_BYTES=
open_streams() { # SOURCE: STREAMS readers of /stream/SOURCE, from the head
  READER_BYTES="$BENCH_TMP/reader-bytes-$phase"
  if [ "$READER" = c ]; then
    "$BENCH_TMP/readers" "$HG_PORT" "$token" "$1" "$STREAMS" "$READER_BYTES" >/dev/null &
  else
    python3 "$BENCH_TMP/readers.py" "$HG_PORT" "$token" "$1" "$STREAMS" "$READER_BYTES" >/dev/null &
  fi
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
  kill -TERM "$READERS" 2>/dev/null || true
  wait "$READERS" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(metric "$HG_PORT" hookgate_streams_open)" = 0 ] && return 0
    sleep 0.1
  done
  die "streams still open after their clients left"
}

# CPU time of a process so far, in clock ticks: "user system" (fields 14 and 15 of its stat,
# counted after the command name, which may hold spaces).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12, $13 }' || echo "0 0"; }
# The machine's busy and total ticks over all CPUs so far.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }
HZ=$(getconf CLK_TCK)

declare -A sum acc gw rdu rds busy total bytes
for name in none other same; do
  sum[$name]=0 acc[$name]=0 gw[$name]=0 rdu[$name]=0 rds[$name]=0 busy[$name]=0 total[$name]=0
  bytes[$name]=0
done
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
    read -r g0u g0s < <(cpu_ticks "$HG_PID")
    r0u=0 r0s=0
    [ "$name" = none ] || read -r r0u r0s < <(cpu_ticks "$READERS")
    read -r m0b m0t < <(machine_ticks)
    BENCH_FIRST=$((phase * per_phase)) BENCH_COUNT=$per_phase BENCH_THREADS=$THREADS \
      run_wrk "$name-$r" "$THREADS" "$CONNS" "$SECONDS_LOAD" "$lua" "$url"
    read -r g1u g1s < <(cpu_ticks "$HG_PID")
    r1u=0 r1s=0
    [ "$name" = none ] || read -r r1u r1s < <(cpu_ticks "$READERS")
    read -r m1b m1t < <(machine_ticks)
    phase=$((phase + 1))
    log "round $r, $name: $W_RPS accepts/s (non-2xx $W_NON2XX, errors $W_ERR)," \
      "gateway $((g1u + g1s - g0u - g0s)) ticks, consumers $((r1u - r0u))+$((r1s - r0s)) ticks"
    sum[$name]=$((sum[$name] + W_RPS))
    acc[$name]=$((acc[$name] + W_REQ - W_NON2XX))
    gw[$name]=$((gw[$name] + g1u + g1s - g0u - g0s))
    rdu[$name]=$((rdu[$name] + r1u - r0u))
    rds[$name]=$((rds[$name] + r1s - r0s))
    busy[$name]=$((busy[$name] + m1b - m0b))
    total[$name]=$((total[$name] + m1t - m0t))
    if [ "$name" != none ]; then
      open=$(metric "$HG_PORT" hookgate_streams_open)
      [ "$open" = "$STREAMS" ] || cut=$((cut + STREAMS - open))
      close_streams
      if [ -s "$READER_BYTES" ]; then bytes[$name]=$((bytes[$name] + $(cat "$READER_BYTES"))); fi
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
echo
# Per phase, over its rounds: CPU in cores (ticks / HZ / seconds), the gateway's CPU per accept,
# and the machine's busy share (everything: gateway, consumers, wrk, and whatever else runs).
secs=$((ROUNDS * SECONDS_LOAD))
echo "CPU during the load (consumers: $READER reader, one process)"
printf '%-40s %10s %12s %10s %10s\n' "phase" "gateway" "gateway" "consumers" "machine"
printf '%-40s %10s %12s %10s %10s\n' "" "cores" "us/accept" "cores" "busy"
for name in none other same; do
  case $name in
    none) label="no stream" ;;
    other) label="$STREAMS streams on another source" ;;
    same) label="$STREAMS streams reading this source" ;;
  esac
  awk -v l="$label" -v g="${gw[$name]}" -v ru="${rdu[$name]}" -v rs="${rds[$name]}" \
    -v a="${acc[$name]}" -v b="${busy[$name]}" -v t="${total[$name]}" -v hz="$HZ" -v s="$secs" \
    'BEGIN { printf "%-40s %10.2f %12.1f %10.2f %9.0f%%\n", l, g / hz / s,
      (a > 0 ? g / hz * 1e6 / a : 0), (ru + rs) / hz / s, (t > 0 ? 100 * b / t : 0) }'
done
awk -v gn="${gw[none]}" -v an="${acc[none]}" -v gs="${gw[same]}" -v as="${acc[same]}" \
  -v ru="${rdu[same]}" -v rs="${rds[same]}" -v by="${bytes[same]}" -v k="$STREAMS" -v hz="$HZ" \
  'BEGIN {
    if (an == 0 || as == 0) exit
    extra = (gs / hz * 1e6 / as - gn / hz * 1e6 / an) / k
    printf "gateway CPU per stream-event (us/accept, same - none, / %d streams): %.2f us\n", k, extra
    printf "consumers CPU per stream-event: %.2f us (user %.2f, system %.2f)\n",
      (ru + rs) / hz * 1e6 / (as * k), ru / hz * 1e6 / (as * k), rs / hz * 1e6 / (as * k)
    if (by <= 0) exit
    printf "bytes per stream-event on the wire: %.0f\n", by / (as * k)
    # Per byte delivered: still meaningful when consumers were cut off (they read less).
    printf "per MiB the consumers read: gateway %.0f us extra, consumers %.0f us\n",
      (gs / hz * 1e6 - gn / hz * 1e6 / an * as) / (by / 1048576), (ru + rs) / hz * 1e6 / (by / 1048576)
  }'
