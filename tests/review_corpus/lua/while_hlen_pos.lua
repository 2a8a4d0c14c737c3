-- expect: lua-unbounded-loop
local key = KEYS[1]
local idx = tonumber(ARGV[1])
local len = redis.call('HLEN', key)
while idx < len do
  redis.call('HSET', key, idx, redis.call('HGET', key, idx + 1))
  idx = idx + 1
end
return len
