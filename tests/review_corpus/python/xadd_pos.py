# expect: xadd-no-maxlen
import redis

r = redis.Redis(socket_timeout=2)


def publish_order(order):
    r.xadd("events:orders", {"id": order.id, "total": order.total})
