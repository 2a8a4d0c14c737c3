# expect: none
import redis

r = redis.Redis(socket_timeout=10)


def work(handle):
    while True:
        item = r.blpop("queue:jobs", timeout=5)
        if item:
            handle(item[1])
