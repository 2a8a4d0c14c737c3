-- expect: lua-unbounded-loop
local removed = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  removed = removed + redis.call('SREM', KEYS[2], member)
end
return removed
