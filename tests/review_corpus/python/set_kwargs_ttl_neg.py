# expect: none
import json

import redis

r = redis.Redis(socket_timeout=2)
CACHE_OPTIONS = {"ex": 300, "nx": False}


def cache_user(user, **options):
    r.set(f"cache:user:{user.id}", json.dumps(user.to_dict()), **CACHE_OPTIONS)
    r.set(f"cache:user:{user.id}:name", user.name, **options)
