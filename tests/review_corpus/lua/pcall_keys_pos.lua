-- expect: lua-keys-command
local ok = redis.pcall("keys", "session:*")
return ok
