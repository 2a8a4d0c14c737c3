-- expect: none
local total = 0
for i = 1, tonumber(ARGV[1]) do
  total = total + redis.call('INCR', KEYS[1])
end
return total
