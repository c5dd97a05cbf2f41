-- wrk script for scripts/load-options.sh: POST webauthn-registration as a
-- same-origin single-page app sends it, with a random seeded interaction.
-- args: cookies-file origin
local reqs = {}

function init(args)
  local origin = args[2]
  local host = origin:gsub("^https?://", "")
  for line in io.lines(args[1]) do
    reqs[#reqs + 1] = wrk.format("POST", "/api/interaction/verification/webauthn-registration",
      { ["Host"] = host, ["Origin"] = origin, ["Sec-Fetch-Site"] = "same-origin",
        ["Content-Type"] = "application/json", ["Cookie"] = "foyer_ix=" .. line }, "{}")
  end
  math.randomseed(os.time() + (wrk.thread and 0 or 0))
end

function request()
  return reqs[math.random(#reqs)]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d sockerr=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
