-- wrk script: POSTs one fixed 1 KiB body signed the way GitHub signs it. The signature is
-- computed once by the calling script (the body never changes), so wrk spends no time on HMAC and
-- every server sees exactly the same request. X-GitHub-Delivery changes per request: it is the
-- message id Hookgate de-duplicates on, and GitHub's signature does not cover it.
-- Environment: BENCH_BODY (file with the body), BENCH_SIGNATURE ("sha256=<hex>"), BENCH_RUN
-- (a prefix that keeps ids unique across runs against the same store).

local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "GitHub-Hookshot/bench"
wrk.headers["X-GitHub-Event"] = "push"
wrk.headers["X-Hub-Signature-256"] = os.getenv("BENCH_SIGNATURE")

local run = os.getenv("BENCH_RUN") or "run"
local threads = 0
local sent = 0

-- Runs in the main Lua state: hands each thread its number so ids never collide across threads.
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function request()
  sent = sent + 1
  wrk.headers["X-GitHub-Delivery"] = run .. "-" .. tostring(tid) .. "-" .. sent
  return wrk.format()
end
