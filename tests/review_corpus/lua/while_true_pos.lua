-- expect: lua-unbounded-loop
local n = 0
while true do
  local v = redis.call('LPOP', KEYS[1])
  if not v then break end
  n = n + 1
end
return n
