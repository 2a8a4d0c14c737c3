# expect: none
import redis

r = redis.Redis(socket_timeout=2)
TTL = 300


def put(key_id, value):
    r.set(f"cache:item:{key_id}", value, TTL)
