# expect: cluster-multikey-no-hashtag
from redis.cluster import RedisCluster

rc = RedisCluster(host="cluster", port=7000, socket_timeout=2)


def both(user_id):
    return rc.mget(f"user:profile:{user_id}", f"user:settings:{user_id}")
