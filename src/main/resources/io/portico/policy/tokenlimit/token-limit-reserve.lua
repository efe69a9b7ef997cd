-- Reserves one AI request in every token limit that applies to it: one request and its estimated tokens in the
-- current minute of each limit's subject, or nothing when one limit would be passed. A request of zero tokens, such
-- as a token count, passes the tokens per minute even when corrections have pushed a window past it. The logic is that of
-- io.portico.policy.tokenlimit.MinuteWindow: a window holds one minute of the clock and starts from zero in the next.
--
-- KEYS[i]    the window of limit i, a hash with fields m (minute since the epoch), t (tokens) and r (requests);
--            the keys of one call share a {hash tag}, so they live in one slot
-- ARGV[1]    the current time in milliseconds, or an empty string to read it from the server's clock (TIME)
-- ARGV[2]    the request's estimated tokens
-- ARGV[3..]  two values per limit: tokens per minute, requests per minute; 0 when that count is not limited
--
-- Returns {admitted (1 or 0), minute, index of the limit that rejected the request (0 when admitted),
-- 'r' when its requests per minute or 't' when its tokens per minute would be passed, milliseconds left in the minute}.

local now = tonumber(ARGV[1])
if not now then
  -- Redis before 5.0 replicates a script verbatim unless it calls replicate_commands, and verbatim replication
  -- forbids writes after TIME.
  if redis.replicate_commands then
    redis.replicate_commands()
  end
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local minute = math.floor(now / 60000)
local left = 60000 - (now - minute * 60000)
local estimate = tonumber(ARGV[2])

local tokens = {}
local requests = {}
for i, key in ipairs(KEYS) do
  local stored = redis.call('HMGET', key, 'm', 't', 'r')
  tokens[i] = 0
  requests[i] = 0
  if tonumber(stored[1]) == minute then
    tokens[i] = tonumber(stored[2]) or 0
    requests[i] = tonumber(stored[3]) or 0
  end
  local tokens_per_minute = tonumber(ARGV[1 + 2 * i])
  local requests_per_minute = tonumber(ARGV[2 + 2 * i])
  if requests_per_minute > 0 and requests[i] + 1 > requests_per_minute then
    return {0, minute, i, 'r', left}
  end
  if tokens_per_minute > 0 and estimate > 0 and tokens[i] + estimate > tokens_per_minute then
    return {0, minute, i, 't', left}
  end
end

for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'm', minute, 't', tokens[i] + estimate, 'r', requests[i] + 1)
  -- The window is worth nothing once its minute is over; the second of margin covers clocks that differ slightly.
  redis.call('PEXPIRE', key, left + 1000)
end
return {1, minute, 0, '', left}
