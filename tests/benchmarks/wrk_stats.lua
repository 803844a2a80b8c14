-- wrk script for `make bench-http`: prints one JSON line of figures at the end
-- (wrk's own summary has no 95th percentile).
--
-- With a file of paths after `--` (one per line), each request asks for the next path,
-- each path once: the cache-miss walk (every path must answer with an HTML page). The
-- thread stops once every path has answered and says so on stdout (wrk itself sleeps until
-- -d; the benchmark then sends it SIGINT, on which it prints its summary at once); the
-- duration printed is from the first request to that answer, on the thread's own clock.
-- The few requests sent after the last path (one per connection at most) go to
-- `/robots.txt`, which is not counted.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local function now_us()
  local t = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, t) -- CLOCK_MONOTONIC
  return tonumber(t.tv_sec) * 1000000 + math.floor(tonumber(t.tv_nsec) / 1000)
end

local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end

-- In each thread's own Lua state:
paths = nil
sent, answered, first_us, last_us = 0, 0, 0, 0

init = function(args)
  if not args[1] then return end -- a plain run: wrk's own static request, no callbacks
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(paths, line) end
  end
  request = function()
    if sent == 0 then first_us = now_us() end
    sent = sent + 1
    if sent > #paths then return wrk.format("GET", "/robots.txt") end
    return wrk.format("GET", paths[sent])
  end
  response = function(status, headers, body)
    -- Only the list's pages count (HTML); the robots.txt sent once the list is used up
    -- (text/plain) do not, whichever order the connections answer in.
    local kind = headers["Content-Type"] or headers["content-type"] or ""
    if not string.find(kind, "text/html", 1, true) then return end
    answered = answered + 1
    if answered == #paths then
      last_us = now_us()
      wrk.thread:stop()
      io.write("WRK_WALK_DONE\n") -- the benchmark then interrupts wrk's sleep (SIGINT)
      io.flush()
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local duration, count = summary.duration, summary.requests
  local thread = threads[1]
  if thread and thread:get("paths") ~= nil then
    local first, last = thread:get("first_us"), thread:get("last_us")
    count = thread:get("answered")
    if last > 0 then duration = last - first end
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    count, duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
