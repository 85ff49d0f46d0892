-- wrk script: publishes messages through Hookgate's management API (POST /api/v1/app/{app}/msg)
-- as fast as the API takes them. It never stops by itself: the calling script watches the store's
-- event count and interrupts wrk (SIGINT) once MESSAGES are in, then counts what was really stored
-- (a handful more, in flight at the interrupt). A per-thread quota would be exact in theory, but
-- wrk 4.1 sometimes calls request() for a request it never sends, and a thread then waits forever
-- for its last answer.
-- Environment: BENCH_APP (application id), BENCH_KEY (admin API key), BENCH_PAYLOAD (the JSON
-- payload, ~1 KiB, the same bytes the calling script checks a delivered signature against).

local path = "/api/v1/app/" .. os.getenv("BENCH_APP") .. "/msg"
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY"),
}
local body = '{"eventType":"order.created","payload":' .. os.getenv("BENCH_PAYLOAD") .. '}'
-- Formatted on first use, not when the script loads: wrk sets the Host header in its init(),
-- after loading, and a request without Host is refused (400).
local prepared = nil

function request()
  if prepared == nil then prepared = wrk.format("POST", path, headers, body) end
  return prepared
end
