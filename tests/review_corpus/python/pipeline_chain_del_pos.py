# expect: del-on-collection
import redis

r = redis.Redis(socket_timeout=2)


def push(queue, message):
    r.lpush(f"queue:{queue}", message)


def purge(queue):
    with r.pipeline() as pipe:
        pipe = pipe.llen(f"queue:{queue}").delete(f"queue:{queue}")
        return pipe.execute()[0]
