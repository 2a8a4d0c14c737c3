# expect: lua-keys-command, lua-unbounded-loop
import redis

r = redis.Redis(socket_timeout=2)

PURGE = """
for _, key in ipairs(redis.call('KEYS', ARGV[1])) do
  redis.call('UNLINK', key)
end
"""
purge = r.register_script(PURGE)
