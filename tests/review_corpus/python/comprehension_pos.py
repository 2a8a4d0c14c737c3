# expect: loop-no-pipeline
import redis

r = redis.Redis(socket_timeout=2)


def names(ids):
    return [r.hget(f"user:profile:{i}", "name") for i in ids]
