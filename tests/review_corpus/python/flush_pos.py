# expect: flush-outside-tests
import redis

r = redis.Redis(socket_timeout=2)


def reset_all_caches():
    r.flushall()
