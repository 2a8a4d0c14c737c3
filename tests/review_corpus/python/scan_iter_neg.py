# expect: none
import redis

r = redis.Redis(socket_timeout=2)


def purge(prefix):
    batch = []
    for key in r.scan_iter(match=f"{prefix}:*", count=1000):
        batch.append(key)
        if len(batch) == 500:
            r.unlink(*batch)
            batch.clear()
