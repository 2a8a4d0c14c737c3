-- expect: lua-unbounded-loop
local moved = 0
while redis.call('RPOPLPUSH', KEYS[1], KEYS[2]) do
  moved = moved + 1
end
return moved
