#!/usr/bin/env bash
# Store backends side by side: the inbound test (inbound.sh, Hookgate only) and the outbound test
# (outbound.sh) on SQLite and on PostgreSQL, in the same run on the same machine, then one table.
# PostgreSQL is a throwaway cluster of its own (scripts/start-postgres.sh with a private data
# directory and port, so it never touches the cluster the test suite may be using), with a fresh
# database per test and PostgreSQL's default durability (fsync on, synchronous_commit on): a 2xx
# means the commit is flushed, as with SQLite. The cluster is stopped and deleted at the end.
#
# Usage: bench/load/backends.sh
# Environment (optional): ROUNDS=1 (more rounds: medians, backend order swapped each round);
#   passed through to the two scripts: THREADS, CONNS, SECONDS_LOAD, SECONDS_LATENCY, MESSAGES,
#   WORKERS, CONCURRENCY, ...; HOOKGATE_PG_PORT (default 56432).
# Needs: wrk, nginx-light, postgresql (scripts/setup-debian.sh). Run as root, PostgreSQL runs as
# the `postgres` user (start-postgres.sh does that); otherwise as the calling user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

need_cmd wrk nginx awk timeout
ensure_built
bench_init

pg_bin=${HOOKGATE_PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$pg_bin/pg_ctl" ] || die "no PostgreSQL 15 in $pg_bin (apt-get install postgresql)"
export HOOKGATE_PG_DIR="$BENCH_TMP/pg"
export HOOKGATE_PG_PORT=${HOOKGATE_PG_PORT:-56432}
as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
BENCH_ON_EXIT+=("${as_pg[*]} $pg_bin/pg_ctl -D $HOOKGATE_PG_DIR/data stop -m fast >/dev/null 2>&1")
log "starting PostgreSQL in $HOOKGATE_PG_DIR"
pg_url=$("$BENCH_REPO/scripts/start-postgres.sh")
pg_base=${pg_url%/*}
pg_sql() { PGOPTIONS='-c client_min_messages=warning' "$pg_bin/psql" "$pg_base/postgres" -XqtA -c "$1"; }

declare -A r
# run_case NAME SCRIPT STORE_URL: runs one script and loads its key=value figures into r[NAME.key].
run_case() {
  local name=$1 script=$2 url=$3 file="$BENCH_TMP/$1.result" kv_pair
  log "== $name"
  if [ -n "$url" ]; then
    HOOKGATE_STORE_URL=$url PEERS=0 RESULT_FILE=$file "$here/$script" | tee "$BENCH_TMP/$name.txt"
  else
    PEERS=0 RESULT_FILE=$file "$here/$script" | tee "$BENCH_TMP/$name.txt"
  fi
  for kv_pair in $(<"$file"); do
    r[$name.${kv_pair%%=*}]=${kv_pair#*=}
  done
}

pg_db() { # a fresh database for one test
  pg_sql "DROP DATABASE IF EXISTS $1" >/dev/null
  pg_sql "CREATE DATABASE $1" >/dev/null
  echo "$pg_base/$1"
}

# Several rounds, the order of the backends swapped every other round, so a disturbance (another
# process compiling) does not always land on the same backend; the table shows medians.
ROUNDS=${ROUNDS:-1}
load_start=$(loadavg)
for ((round = 1; round <= ROUNDS; round++)); do
  order=(sqlite pg)
  ((round % 2 == 0)) && order=(pg sqlite)
  for direction in in out; do
    for backend in "${order[@]}"; do
      script=inbound.sh
      [ "$direction" = out ] && script=outbound.sh
      url=""
      [ "$backend" = pg ] && url=$(pg_db "hookgate_bench_$direction")
      run_case "$round.$backend-$direction" "$script" "$url"
    done
  done
done
load_end=$(loadavg)

# median KEY BACKEND: the median over the rounds of r[ROUND.BACKEND-KEY].
median() {
  local i
  for ((i = 1; i <= ROUNDS; i++)); do echo "${r[$i.$2-$1]}"; done | sort -g |
    awk '{ v[NR] = $1 } END {
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf (m >= 100 || m == int(m) ? "%.0f\n" : "%.2f\n"), m }'
}
# spread KEY: the lowest and highest PostgreSQL / SQLite ratio of one round.
spread() {
  local i
  for ((i = 1; i <= ROUNDS; i++)); do
    ratio "${r[$i.pg-$1]}" "${r[$i.sqlite-$1]}"
    echo
  done | sort -g |
    awk '$1 == "-" { next } !n++ { lo = $1 } { hi = $1 } END { print (!n ? "-" : lo == hi ? lo : lo " - " hi) }'
}
row() { # LABEL KEY
  local s p
  s=$(median "$2" sqlite)
  p=$(median "$2" pg)
  echo "| $1 | $s | $p | $(ratio "$p" "$s") | $(spread "$2") |"
}
echo
echo "## Store backends: SQLite vs PostgreSQL (same run, same machine)"
machine_line
echo "PostgreSQL 15 on 127.0.0.1 (own cluster, defaults: fsync on, synchronous_commit on); inbound: wrk -t${THREADS:-2} -c${CONNS:-64} -d${SECONDS_LOAD:-20}s and -t1 -c1 -d${SECONDS_LATENCY:-10}s; outbound: ${MESSAGES:-20000} messages, 1 endpoint; rounds: $ROUNDS (medians)"
echo "load average before/after: $load_start / $load_end"
echo
echo "| figure | SQLite | PostgreSQL | PostgreSQL / SQLite | ratio per round (min - max) |"
echo "| --- | ---: | ---: | ---: | ---: |"
row "inbound accepted req/s (c${CONNS:-64})" in.rps
row "inbound p50 ms (c${CONNS:-64})" in.p50
row "inbound p99 ms (c${CONNS:-64})" in.p99
row "inbound req/s (c1)" in.rps1
row "inbound p50 ms (c1)" in.p50_1
row "inbound non-2xx" in.non2xx
row "publish messages/s" out.pub_rate
row "publish p99 ms" out.pub_p99
row "deliveries/s (end to end)" out.del_rate
row "deliveries/s after publishing" out.drain_rate
row "delivery retries" out.retries
row "peak RSS MiB (outbound)" out.rss_peak
echo
checks=""
for ((i = 1; i <= ROUNDS; i++)); do
  checks+=" round $i: inbound ${r[$i.sqlite-in.verdict]}/${r[$i.pg-in.verdict]} (stored ${r[$i.sqlite-in.stored]}/${r[$i.pg-in.stored]}), outbound ${r[$i.sqlite-out.verdict]}/${r[$i.pg-out.verdict]};"
done
echo "checks (SQLite/PostgreSQL):$checks"
