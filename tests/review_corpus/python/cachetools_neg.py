# expect: none
from cachetools import LRUCache

import redis


class Prices:
    def __init__(self):
        self.cache = LRUCache(maxsize=1000)
        self.redis = redis.Redis(socket_timeout=2)

    def price(self, sku):
        hit = self.cache.get(sku)
        if hit is None:
            hit = self.redis.get(f"catalog:price:{sku}")
            self.cache[sku] = hit
        return hit
