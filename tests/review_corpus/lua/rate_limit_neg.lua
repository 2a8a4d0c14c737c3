-- expect: none
-- Sliding window rate limiter. KEYS[1]: the window key; ARGV: now, window, limit.
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
local count = redis.call('ZCARD', key)
if count >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', key, now, now)
redis.call('PEXPIRE', key, window)
return 1
