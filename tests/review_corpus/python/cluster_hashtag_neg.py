# expect: none
from redis.cluster import RedisCluster

rc = RedisCluster(host="cluster", port=7000, socket_timeout=2)


def both(user_id):
    return rc.mget(f"user:{{{user_id}}}:profile", f"user:{{{user_id}}}:settings")
