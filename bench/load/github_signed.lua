-- wrk script: POSTs 1 KiB bodies signed the way GitHub signs them, each request a different
-- body. A replay (the same body and signature again) is a duplicate to Hookgate, so every request
-- must be a new event: the body carries a 12-digit number and the calling script signs each
-- numbered body in advance (wrk spends no time on HMAC; every server sees the same requests).
-- Environment:
--   BENCH_PREFIX, BENCH_SUFFIX  the body around the number (their lengths make it 1 KiB)
--   BENCH_SIGNATURES            file of fixed-width lines "sha256=<64 hex>\n", line i signing body i
--   BENCH_FIRST, BENCH_COUNT    the block of bodies this run uses; wrk's threads split it, and a
--                               thread that runs out starts its share again (then duplicates)
--   BENCH_THREADS               wrk's -t (to split the block)
--   BENCH_FORGED_EVERY          if N > 0, every Nth request carries a wrong signature (a forged
--                               request the server refuses; measures the cost of refusing them)

local prefix = os.getenv("BENCH_PREFIX")
local suffix = os.getenv("BENCH_SUFFIX")
local first = tonumber(os.getenv("BENCH_FIRST"))
local count = tonumber(os.getenv("BENCH_COUNT"))
local nthreads = tonumber(os.getenv("BENCH_THREADS"))
local line_len = 7 + 64 + 1
local forged_every = tonumber(os.getenv("BENCH_FORGED_EVERY") or "0")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "GitHub-Hookshot/bench"
wrk.headers["X-GitHub-Event"] = "push"

local threads = 0

-- Runs in the main Lua state: hands each thread its number so blocks and ids never collide.
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local sigs, share, start, sent

function init()
  math.randomseed(os.time() * 1000 + tid)
  share = math.floor(count / nthreads)
  start = first + (tid - 1) * share
  sigs = assert(io.open(os.getenv("BENCH_SIGNATURES"), "rb"))
  sent = 0
end

function request()
  local k = sent % share
  if k == 0 then sigs:seek("set", start * line_len) end
  local n = start + k
  local sig = sigs:read(line_len):sub(1, line_len - 1)
  sent = sent + 1
  if forged_every > 0 and sent % forged_every == 0 then sig = "sha256=" .. string.rep("0", 64) end
  wrk.headers["X-Hub-Signature-256"] = sig
  -- A random GUID, as GitHub sends: a store that keyed de-duplication on it saw random keys too.
  wrk.headers["X-GitHub-Delivery"] = string.format("%08x-%04x-%04x-%04x-%08x%04x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xffff),
    math.random(0, 0xffff), math.random(0, 0x7fffffff), math.random(0, 0xffff))
  return wrk.format(nil, nil, nil, prefix .. string.format("%012d", n) .. suffix)
end
