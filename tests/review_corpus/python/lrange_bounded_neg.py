# expect: none
import redis

r = redis.Redis(socket_timeout=2)


def recent(user_id, page=0):
    start = page * 50
    return r.lrange(f"feed:user:{user_id}", start, start + 49)


def name(user_id):
    return r.hmget(f"user:profile:{user_id}", ["name", "email"])
