-- wrk script for `make bench-http`: prints one JSON line of figures at the end.
-- With WRK_PATHS=<file> (one path a line) and WRK_CYCLE=1 the paths are asked round and
-- round until the time is up; otherwise wrk repeats its URL.
local paths = nil
local next_path = 1

local file = os.getenv("WRK_PATHS")
if file and file ~= "" and os.getenv("WRK_CYCLE") == "1" then
  paths = {}
  for line in io.lines(file) do
    if line ~= "" then paths[#paths + 1] = line end
  end
end

request = function()
  if paths then
    if next_path > #paths then next_path = 1 end
    local path = paths[next_path]
    next_path = next_path + 1
    return wrk.format("GET", path)
  end
  return wrk.format()
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
