-- expect: none
-- Never call redis.call('KEYS', '*') here: the caller passes the keys.
local total = 0
for i, key in ipairs(KEYS) do
  total = total + redis.call('SCARD', key)
end
return total
