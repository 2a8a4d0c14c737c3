# expect: loop-no-pipeline
import redis

r = redis.Redis(socket_timeout=2)


def save_settings(user_id, settings):
    for field, value in settings.items():
        r.hset(f"user:settings:{user_id}", field, value)
