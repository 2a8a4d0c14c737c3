# expect: none
import redis

r = redis.Redis.from_url("redis://localhost:6379/0?socket_timeout=2")
settings = {"app:ttl": 60, "app:prefix": "user"}


def config_names():
    names = list(settings.keys())
    for name in settings.keys():
        names.append(name.upper())
    return names


def cached(user_id):
    return r.get(f"user:profile:{user_id}")
