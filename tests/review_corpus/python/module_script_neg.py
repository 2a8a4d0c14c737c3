# expect: none
import redis

r = redis.Redis(socket_timeout=2)
ACQUIRE = "local n = redis.call('INCR', KEYS[1]) "
ACQUIRE_AND_EXPIRE = ACQUIRE + "redis.call('EXPIRE', KEYS[1], ARGV[1]) return n"
acquire = r.register_script(ACQUIRE_AND_EXPIRE)
