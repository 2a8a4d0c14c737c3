# expect: cache-set-no-ttl
import json

import redis

r = redis.Redis(socket_timeout=2)


def cache_user(user):
    r.set(f"cache:user:{user.id}", json.dumps(user.to_dict()))
