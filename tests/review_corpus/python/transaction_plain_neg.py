# expect: none
import redis

r = redis.Redis(socket_timeout=2)


def count_visit(page):
    pipe = r.pipeline(transaction=True)
    pipe.incr(f"stats:visits:{page}")
    pipe.expire(f"stats:visits:{page}", 86400)
    pipe.execute()
