# expect: none
import redis

r = redis.Redis(socket_timeout=2)


def profiles(ids):
    return r.mget([f"user:profile:{i}" for i in ids])
