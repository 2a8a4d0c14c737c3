# expect: none
import redis

r = redis.Redis(socket_timeout=2)


def put(v):
    r.set(name="cache:page:home", value=v, ex=10)
