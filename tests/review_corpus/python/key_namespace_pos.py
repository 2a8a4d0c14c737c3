# expect: key-no-namespace
import redis

r = redis.Redis(socket_timeout=2)


def count_signup():
    return r.incr("signups")
