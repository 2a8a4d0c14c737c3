-- expect: none
local moved = 0
for i = 1, tonumber(ARGV[1]) do
  local v = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
  if not v then break end
  moved = moved + 1
end
return moved
