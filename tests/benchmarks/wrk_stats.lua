-- wrk script for `make bench-http`: prints one JSON line of figures at the end
-- (wrk's own summary has no 95th percentile).
--
-- With a file of paths after `--` (one per line), each request asks for the next path,
-- each path once: the cache-miss walk (the paths answer with HTML pages). Once the list is
-- used up, requests go to `/robots.txt` (text/plain, not counted) until 64 of them have
-- answered: by then no page of the list is in flight. The thread then stops and says so on
-- stdout (wrk itself sleeps until -d; the benchmark sends it SIGINT, on which it prints its
-- summary at once). Printed: the pages answered, and the time from the first request to
-- the last page's answer on the thread's own clock. (wrk drops the odd request it has
-- generated when gunicorn closes a connection, so a walk may answer a path or two fewer
-- than the list holds.)
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
sent, answered, after, first_us, last_us = 0, 0, 0, 0, 0

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
    local kind = headers["Content-Type"] or headers["content-type"] or ""
    if string.find(kind, "text/html", 1, true) then -- one of the list's pages
      answered = answered + 1
      last_us = now_us()
    elseif sent > #paths then
      -- A robots.txt sent after the list: once many have answered, each connection has
      -- finished its last page of the list (one request at a time per connection).
      after = after + 1
      if after == 64 then
        wrk.thread:stop()
        io.write("WRK_WALK_DONE\n") -- the benchmark then interrupts wrk's sleep (SIGINT)
        io.flush()
      end
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
