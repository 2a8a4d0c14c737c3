-- expect: none
local n = redis.call('DEL', unpack(KEYS))
return n
