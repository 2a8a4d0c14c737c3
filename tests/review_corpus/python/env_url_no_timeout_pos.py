# expect: no-socket-timeout
import os

import redis

client = redis.Redis.from_url(os.environ["REDIS_URL"])


def name(uid):
    return client.hget(f"user:profile:{uid}", "name")
