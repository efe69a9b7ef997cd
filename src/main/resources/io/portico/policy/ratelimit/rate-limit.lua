-- Checks every limit of one rate-limit policy for one key, and takes the request from all of them only when all
-- admit it. The formulas are those of io.portico.policy.ratelimit.Algorithm; times are microseconds.
--
-- KEYS[i]    the state of limit i, a hash; the keys of one call share a {hash tag}, so they live in one slot
-- ARGV[1]    the current time, or an empty string to read it from the server's clock (TIME)
-- ARGV[2]    the cost of the request
-- ARGV[3..]  four values per limit: algorithm (f fixed window, s sliding window, t token bucket), max requests
--            per window, window, burst
--
-- Returns {admitted, then per limit: allowed, remaining, reset, retry after}, admitted and allowed as 1 or 0.

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
local EPSILON = 1e-9

local function floor(value)
  return math.floor(value + EPSILON)
end

local function ceil(micros)
  return math.max(1, math.ceil(micros - EPSILON))
end

-- Milliseconds for PEXPIRE, rounded up, so a key outlives the state it holds.
local function ttl(micros)
  return math.ceil(micros / 1000) + 1
end

local results = {1}
local writes = {}

for i, key in ipairs(KEYS) do
  local base = 3 + (i - 1) * 4
  local algorithm = ARGV[base]
  local max = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2])
  local burst = tonumber(ARGV[base + 3])
  local allowed, remaining, reset, retry

  if algorithm == 't' then
    local interval = window / max
    local capacity = burst * interval
    local tat = tonumber(redis.call('HGET', key, 't')) or now
    if tat < now then
      tat = now
    end
    local next_tat = tat + cost * interval
    local room = (capacity - (next_tat - now)) / interval
    if room >= -EPSILON then
      allowed, remaining, reset, retry = 1, floor(room), ceil(next_tat - now), 0
      writes[#writes + 1] = {key, {'t', string.format('%.17g', next_tat)}, ttl(next_tat - now)}
    else
      allowed = 0
      remaining = math.max(0, floor((capacity - (tat - now)) / interval))
      reset, retry = ceil(tat - now), ceil(next_tat - capacity - now)
    end
  else
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
    reset = window - elapsed
    if algorithm == 'f' then
      if current + cost <= max then
        allowed, remaining, retry = 1, max - current - cost, 0
        writes[#writes + 1] = {key, {'w', index, 'c', current + cost}, ttl(reset)}
      else
        allowed, remaining, retry = 0, math.max(0, max - current), reset
      end
    else
      local estimate = previous * (window - elapsed) / window + current
      if estimate + cost <= max + EPSILON then
        allowed, remaining, retry = 1, floor(max - estimate - cost), 0
        writes[#writes + 1] = {key, {'w', index, 'c', current + cost, 'p', previous}, ttl(reset + window)}
      else
        allowed, remaining = 0, math.max(0, floor(max - estimate))
        if current + cost <= max then
          retry = ceil(window - window * (max - current - cost) / previous - elapsed)
        else
          retry = ceil(window - elapsed + math.max(0, window - window * (max - cost) / current))
        end
      end
    end
  end

  if allowed == 0 then
    results[1] = 0
  end
  results[#results + 1] = allowed
  results[#results + 1] = remaining
  results[#results + 1] = reset
  results[#results + 1] = retry
end

if results[1] == 1 then
  for _, write in ipairs(writes) do
    redis.call('HSET', write[1], unpack(write[2]))
    redis.call('PEXPIRE', write[1], write[3])
  end
end
return results
