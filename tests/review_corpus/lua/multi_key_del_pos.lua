-- expect: lua-key-not-from-keys
local jobKey = KEYS[1]
return redis.call('DEL', jobKey, jobKey .. ':logs', jobKey .. ':dependencies')
