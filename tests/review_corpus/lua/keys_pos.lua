-- expect: lua-keys-command
local found = redis.call('KEYS', ARGV[1])
return #found
