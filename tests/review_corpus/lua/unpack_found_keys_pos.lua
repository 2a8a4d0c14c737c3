-- expect: lua-keys-command, lua-key-not-from-keys, lua-unbounded-loop
local keys = redis.call('KEYS', ARGV[1])
local removed = 0
for i = 1, #keys, 5000 do
  removed = removed + redis.call('DEL', unpack(keys, i, math.min(i + 4999, #keys)))
end
return removed
