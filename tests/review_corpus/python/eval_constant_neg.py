# expect: none
import redis

r = redis.Redis(socket_timeout=2)

RATE_LIMIT = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return current
"""
limiter = r.register_script(RATE_LIMIT)


def hit(ip):
    return limiter(keys=[f"rate:limit:ip:{ip}"], args=[60])
