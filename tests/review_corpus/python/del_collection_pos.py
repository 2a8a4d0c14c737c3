# expect: del-on-collection
import redis

r = redis.Redis(socket_timeout=2)


def add_to_cart(cart_id, sku, qty):
    r.hset(f"cart:{cart_id}", sku, qty)


def clear_cart(cart_id):
    r.delete(f"cart:{cart_id}")
