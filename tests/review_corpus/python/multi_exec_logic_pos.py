# expect: multi-exec-logic
import redis

r = redis.Redis(socket_timeout=2)


def withdraw(account, amount):
    key = f"bank:balance:{account}"
    with r.pipeline() as pipe:
        pipe.watch(key)
        balance = int(pipe.get(key) or 0)
        if balance < amount:
            pipe.unwatch()
            return False
        pipe.multi()
        pipe.decrby(key, amount)
        pipe.execute()
    return True
