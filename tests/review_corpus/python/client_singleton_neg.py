# expect: none
import redis

_client = None


def client():
    global _client
    if _client is None:
        _client = redis.Redis(host="cache", socket_timeout=2, socket_connect_timeout=2)
    return _client


def get_profile(uid):
    return client().hget(f"user:profile:{uid}", "name")
