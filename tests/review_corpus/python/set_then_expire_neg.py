# expect: none
import redis

r = redis.Redis(socket_timeout=2)


def store(key_id, payload):
    key = f"cache:report:{key_id}"
    r.set(key, payload)
    r.expire(key, 600)
