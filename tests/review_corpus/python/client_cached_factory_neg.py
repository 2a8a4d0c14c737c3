# expect: none
from functools import lru_cache

import redis

pool = redis.ConnectionPool(host="cache", max_connections=20, socket_timeout=2)


@lru_cache(maxsize=1)
def get_redis():
    return redis.Redis(connection_pool=pool)


def show_user(uid):
    return get_redis().get(f"user:profile:{uid}")
