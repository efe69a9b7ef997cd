-- Replaces a reserved estimate with a request's real tokens: adds the difference to each window that is still at
-- the minute of the reservation, never going below zero. A window of a later minute started from zero anyway.
--
-- KEYS[i]  the windows the request was reserved in, as in token-limit-reserve.lua
-- ARGV[1]  the minute of the reservation
-- ARGV[2]  the real tokens minus the estimate, an integer that may be negative

local minute = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('HGET', key, 'm')) == minute then
    if redis.call('HINCRBY', key, 't', ARGV[2]) < 0 then
      redis.call('HSET', key, 't', 0)
    end
  end
end
return 1
