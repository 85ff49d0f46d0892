#!/usr/bin/env bash
# Cross-node wake-up on one PostgreSQL: how long after node two accepts an event does a long poll
# parked on node one answer with it? Node one hears of the append through LISTEN/NOTIFY (see
# docs/scaling.md "How nodes wake each other"); without it the poll would wait for its next look.
# Per trial: a poll `GET /pull/github?after=SEQ&wait=10` is parked on node one (its
# hookgate_pull_parked gauge says so), a signed GitHub event is posted to node two, and the
# figure is the time from node two's 200 to the poll's answer (negative when the poll answered
# first: the notice is sent at node two's COMMIT, before its 200 leaves).
#
# Usage: STORE_URL=postgresql://postgres@127.0.0.1:55432/postgres bench/load/cross_node.sh
#   (a URL the script may CREATE DATABASE on; scripts/start-postgres.sh starts one)
# Environment (optional): TRIALS=50, HOOKGATE_BIN.
# Needs: psql, python3.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TRIALS=${TRIALS:-50}
[ -n "${STORE_URL:-}" ] || die "set STORE_URL to a PostgreSQL URL (scripts/start-postgres.sh)"
need_cmd psql python3
ensure_built
bench_init

db="hookgate_cross_$$"
psql "$STORE_URL" -qc "CREATE DATABASE $db" >/dev/null
BENCH_ON_EXIT+=("psql '$STORE_URL' -qc 'DROP DATABASE IF EXISTS $db' >/dev/null 2>&1")
secret=cross-node-secret
cat >"$BENCH_TMP/hookgate.toml" <<EOF
[server]
listen = "127.0.0.1:0"
[store]
url = "${STORE_URL%/*}/$db"
[[source]]
name = "github"
scheme = "github"
secrets = ["$secret"]
pull_token = "cross-node-pull-token"
EOF
start_hookgate "$BENCH_TMP/hookgate.toml" "$BENCH_TMP/node-one.log"
one=$HG_PORT
start_hookgate "$BENCH_TMP/hookgate.toml" "$BENCH_TMP/node-two.log"
two=$HG_PORT
log "node one on $one, node two on $two: $TRIALS trials"

load_start=$(loadavg)
results=$(ONE=$one TWO=$two SECRET=$secret TRIALS=$TRIALS python3 - <<'PY'
import hashlib, hmac, http.client, json, os, threading, time

one, two, trials = int(os.environ["ONE"]), int(os.environ["TWO"]), int(os.environ["TRIALS"])
secret = os.environ["SECRET"].encode()
auth = {"Authorization": "Bearer cross-node-pull-token"}

def parked():
    c = http.client.HTTPConnection("127.0.0.1", one, timeout=10)
    c.request("GET", "/metrics")
    body = c.getresponse().read().decode()
    c.close()
    for line in body.splitlines():
        if line.startswith("hookgate_pull_parked "):
            return int(float(line.split()[1]))
    return 0

after = 0
lat = []
for i in range(trials):
    answer = {}
    def poll():
        c = http.client.HTTPConnection("127.0.0.1", one, timeout=30)
        c.request("GET", f"/pull/github?after={after}&wait=10", headers=auth)
        r = c.getresponse()
        answer["body"] = r.read()
        answer["t"] = time.monotonic()
        c.close()
    t = threading.Thread(target=poll)
    t.start()
    deadline = time.monotonic() + 10
    while parked() < 1:
        if time.monotonic() > deadline:
            raise SystemExit("the poll was never parked on node one")
        time.sleep(0.005)
    body = json.dumps({"trial": i}).encode()
    sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    c = http.client.HTTPConnection("127.0.0.1", two, timeout=10)
    c.request("POST", "/in/github", body=body, headers={
        "X-Hub-Signature-256": sig, "X-GitHub-Event": "push",
        "X-GitHub-Delivery": f"cross-{os.getpid()}-{i}", "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    accepted = time.monotonic()
    c.close()
    if r.status != 200:
        raise SystemExit(f"node two answered {r.status}")
    t.join(30)
    page = json.loads(answer["body"])
    if not page["events"]:
        raise SystemExit("the poll ended without the event (waited its whole wait)")
    after = page["next"]
    lat.append((answer["t"] - accepted) * 1000)
lat.sort()
pick = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
print(f"p50={pick(50):.1f} p99={pick(99):.1f} max={lat[-1]:.1f}")
PY
)
load_end=$(loadavg)

echo
echo "## Cross-node wake-up: node two's accept -> node one's parked long poll answers"
machine_line
echo "store: postgresql  trials: $TRIALS  load average before/after: $load_start / $load_end"
echo "RESULT cross_node_poll_wake_ms $results"
