# expect: none
"""An in-process cache in front of Redis: the dict named cache is not Redis."""
import redis

r = redis.Redis(socket_timeout=2)
cache = {}


def price(sku):
    if sku in cache:
        return cache.get(sku)
    value = r.get(f"catalog:price:{sku}")
    cache["last"] = value
    return value
