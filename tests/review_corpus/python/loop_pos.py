# expect: loop-no-pipeline
import redis

r = redis.Redis(socket_timeout=2)


def profiles(user_ids):
    result = {}
    for uid in user_ids:
        result[uid] = r.get(f"user:profile:{uid}")
    return result
