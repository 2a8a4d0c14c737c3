-- expect: lua-key-not-from-keys
local key = 'user:profile:' .. ARGV[1]
return redis.call('HGET', key, 'name')
