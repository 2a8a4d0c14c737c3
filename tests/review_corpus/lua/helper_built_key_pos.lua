-- expect: lua-key-not-from-keys
local function prefix(name)
  return 'ql:q:' .. name
end
return redis.call('ZCARD', prefix(ARGV[1]))
