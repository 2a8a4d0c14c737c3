# expect: del-on-collection
import redis

r = redis.Redis(socket_timeout=2)


def push(name, item):
    r.rpush(f"work:{name}", item)


def take(name):
    item = r.lindex(f"work:{name}", 0)
    r.ltrim(f"work:{name}", 1, -1)
    return item


def clear(name):
    r.delete(f"work:{name}")
