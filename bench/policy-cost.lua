-- Sends each request with one of 10,000 values of X-Bench-Key, chosen at random, for the /many route of
-- bench/policy-cost.sh.
math.randomseed(42)

request = function()
  wrk.headers["X-Bench-Key"] = "tenant-" .. math.random(1, 10000)
  return wrk.format(nil)
end
