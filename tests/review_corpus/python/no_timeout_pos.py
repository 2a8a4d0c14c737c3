# expect: no-socket-timeout
import redis

r = redis.Redis(host="cache.internal", port=6379, decode_responses=True)


def name(user_id):
    return r.hget(f"user:profile:{user_id}", "name")
