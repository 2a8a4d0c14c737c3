# expect: keys-command
import redis

r = redis.Redis(host="localhost", socket_timeout=2)


def active_sessions():
    return [k.decode() for k in r.keys("session:*")]
