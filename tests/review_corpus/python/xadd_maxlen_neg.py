# expect: none
import redis

r = redis.Redis(socket_timeout=2)


def publish_order(order):
    r.xadd("events:orders", {"id": order.id}, maxlen=100_000, approximate=True)
