# expect: none
import redis

r = redis.Redis(socket_timeout=2)


def profiles(user_ids):
    pipe = r.pipeline(transaction=False)
    for uid in user_ids:
        pipe.get(f"user:profile:{uid}")
    return dict(zip(user_ids, pipe.execute()))
