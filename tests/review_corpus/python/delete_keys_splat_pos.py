# expect: keys-command, del-on-collection
import redis

r = redis.Redis(socket_timeout=2)


def clear_temp():
    r.delete(*r.keys("tmp:*"))
