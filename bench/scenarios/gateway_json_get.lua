-- wrk script of gateway_json_vs_grpc.sh: JSON GetStatushouder over HTTP/1.1 through the gateway.
-- Each request is POST {"id": "..."} with the bearer token $WRK_TOKEN, the ids rotating through
-- the file $WRK_IDS (each thread starting at its own offset); done() prints one line for the
-- script: requests, seconds, non-2xx/3xx responses, socket errors and latency percentiles (µs).
local ids = {}
for line in io.lines(os.getenv("WRK_IDS")) do ids[#ids + 1] = line end
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("WRK_TOKEN"),
  ["Content-Type"] = "application/json",
}
local threads = 0
local next_id = 0

function setup(thread)
  thread:set("first", threads * 7919)
  threads = threads + 1
end

function init(args)
  next_id = first or 0
end

function request()
  next_id = next_id + 1
  return wrk.format("POST", nil, headers, '{"id":"' .. ids[next_id % #ids + 1] .. '"}')
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk_result requests=%d seconds=%.3f non2xx=%d socket_errors=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
