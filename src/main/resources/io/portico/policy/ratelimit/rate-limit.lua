-- Checks COUNT requests of one rate-limit policy for one key, as if they arrived one after another at the same
-- time: admits as many as every limit allows, in order, and takes them from all limits at once. The formulas are
-- those of io.portico.policy.ratelimit.Algorithm; times are microseconds. A node sends several requests in one
-- call when they check the same key while it waits for the event loop's next write to Redis.
--
-- KEYS[i]    the state of limit i, a hash; the keys of one call share a {hash tag}, so they live in one slot.
--            A window limit stores w (window index), c (count) and p (previous count). A token bucket stores t
--            (theoretical arrival time), and m (max) and b (burst), the settings t was computed for.
-- ARGV[1]    the current time, or an empty string to read it from the server's clock (TIME)
-- ARGV[2]    the cost of each request
-- ARGV[3]    COUNT, the number of requests, at least 1
-- ARGV[4..]  four values per limit: algorithm (f fixed window, s sliding window, t token bucket), max requests
--            per window, window, burst
--
-- Returns {admitted, then, when admitted > 0, per limit: allowed, remaining, reset, retry after of the last
-- admitted request, then, when admitted < COUNT, per limit the same four values for the first rejected request}.
-- admitted is the number of admitted requests, and allowed is 1 or 0.

local now = tonumber(ARGV[1])
if not now then
  -- Redis before 5.0 replicates scripts verbatim unless told otherwise, which forbids writes after TIME.
  if redis.replicate_commands then
    redis.replicate_commands()
  end
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local cost = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local EPSILON = 1e-9

local function floor(value)
  return math.floor(value + EPSILON)
end

local function ceil(micros)
  return math.max(0, math.ceil(micros - EPSILON))
end

-- Milliseconds for PEXPIRE, rounded up, so a key outlives the state it holds.
local function ttl(micros)
  return math.ceil(micros / 1000) + 1
end

-- Evaluates one limit for a request of the given cost (0 reports the state without taking anything). Returns
-- allowed, remaining, reset, retry after, and the write that records the request: {key, fields, ttl} or nil.
local function evaluate(key, algorithm, max, window, burst, amount)
  if algorithm == 't' then
    local interval = window / max
    local capacity = burst * interval
    local tat = tonumber(redis.call('HGET', key, 't')) or now
    if tat < now then
      tat = now
    end
    local next_tat = tat + amount * interval
    local room = (capacity - (next_tat - now)) / interval
    if room >= -EPSILON then
      return 1, floor(room), ceil(next_tat - now), 0,
          {key, {'t', string.format('%.17g', next_tat), 'm', max, 'b', burst}, ttl(next_tat - now)}
    end
    local remaining = math.max(0, floor((capacity - (tat - now)) / interval))
    return 0, remaining, ceil(tat - now), math.max(1, ceil(next_tat - capacity - now)), nil
  end

  local index = math.floor(now / window)
  local elapsed = now - index * window
  local stored = redis.call('HMGET', key, 'w', 'c', 'p')
  local stored_index = tonumber(stored[1])
  local current, previous = 0, 0
  if stored_index == index then
    current, previous = tonumber(stored[2]) or 0, tonumber(stored[3]) or 0
  elseif stored_index == index - 1 and algorithm == 's' then
    previous = tonumber(stored[2]) or 0
  end
  local reset = window - elapsed

  if algorithm == 'f' then
    if current + amount <= max then
      return 1, max - current - amount, reset, 0, {key, {'w', index, 'c', current + amount}, ttl(reset)}
    end
    return 0, math.max(0, max - current), reset, reset, nil
  end

  -- Counts above max remain after max was lowered, and count as max, as in Algorithm.SLIDING_WINDOW.
  current = math.min(current, max)
  previous = math.min(previous, max)
  local estimate = previous * (window - elapsed) / window + current
  if estimate + amount <= max + EPSILON then
    return 1, floor(max - estimate - amount), reset, 0,
        {key, {'w', index, 'c', current + amount, 'p', previous}, ttl(reset + window)}
  end
  local retry
  if current + amount <= max then
    -- The previous window's weight decays until the estimate leaves room, within this window.
    retry = window - window * (max - current - amount) / previous - elapsed
  else
    -- This window's count becomes the previous one, whose weight must decay far enough.
    retry = window - elapsed + math.max(0, window - window * (max - amount) / current)
  end
  return 0, math.max(0, floor(max - estimate)), reset, math.max(1, ceil(retry)), nil
end

-- Converts a token bucket computed for another max or burst, as Algorithm.TOKEN_BUCKET.carryOver does: the tokens
-- taken stay taken, at most burst of them, and refill at the new rate. The result is stored at once, because it
-- depends on the time of the conversion. A bucket without m, written by a version that did not store it, stays
-- as it is until its next admitted request stores m and b.
local function carry_over(key, max, window, burst)
  local stored = redis.call('HMGET', key, 't', 'm', 'b')
  local stored_max, stored_burst = tonumber(stored[2]), tonumber(stored[3])
  if not stored_max or (stored_max == max and stored_burst == burst) then
    return
  end
  local until_full = math.max(0, (tonumber(stored[1]) or now) - now)
  local carried = math.min(until_full * stored_max / max, burst * window / max)
  redis.call('HSET', key, 't', string.format('%.17g', now + carried), 'm', max, 'b', burst)
  redis.call('PEXPIRE', key, ttl(carried))
end

local limits = {}
for i, key in ipairs(KEYS) do
  local base = 4 + (i - 1) * 4
  limits[i] = {key, ARGV[base], tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])}
  if limits[i][2] == 't' then
    carry_over(key, limits[i][3], limits[i][4], limits[i][5])
  end
end

-- Evaluates every limit for `amount`; returns whether all allow it, and each limit's results.
local function evaluate_all(amount)
  local results = {}
  local all = true
  for i, limit in ipairs(limits) do
    local allowed, remaining, reset, retry, write = evaluate(limit[1], limit[2], limit[3], limit[4], limit[5],
        amount)
    results[i] = {allowed, remaining, reset, retry, write}
    if allowed == 0 then
      all = false
    end
  end
  return all, results
end

-- The largest number of requests, at most `count`, that every limit admits together. Admission is monotonic in
-- the amount, so a binary search finds it with the same comparisons a single request makes.
local admitted, admitted_results = 0, nil
local low, high = 1, count
while low <= high do
  local middle = math.floor((low + high) / 2)
  local all, results = evaluate_all(middle * cost)
  if all then
    admitted, admitted_results = middle, results
    low = middle + 1
  else
    high = middle - 1
  end
end

local reply = {admitted}
if admitted_results then
  for _, result in ipairs(admitted_results) do
    redis.call('HSET', result[5][1], unpack(result[5][2]))
    redis.call('PEXPIRE', result[5][1], result[5][3])
    for j = 1, 4 do
      reply[#reply + 1] = result[j]
    end
  end
end

if admitted < count then
  -- The next request is evaluated against the state after the admitted ones. A limit that allowed it reports its
  -- state without it, since it is not counted.
  local _, rejected = evaluate_all(cost)
  for i, limit in ipairs(limits) do
    local allowed, remaining, reset, retry = rejected[i][1], rejected[i][2], rejected[i][3], rejected[i][4]
    if allowed == 1 then
      allowed, remaining, reset, retry = evaluate(limit[1], limit[2], limit[3], limit[4], limit[5], 0)
    end
    reply[#reply + 1] = allowed
    reply[#reply + 1] = remaining
    reply[#reply + 1] = reset
    reply[#reply + 1] = retry
  end
end
return reply
