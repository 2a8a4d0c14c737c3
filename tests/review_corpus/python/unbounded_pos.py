# expect: unbounded-read
import redis

r = redis.Redis(socket_timeout=2)


def followers(user_id):
    return r.smembers(f"user:followers:{user_id}")


def profile(user_id):
    return r.hgetall(f"user:profile:{user_id}")
