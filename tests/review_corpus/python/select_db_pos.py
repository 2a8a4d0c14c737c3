# expect: select-nonzero-db
import redis

sessions = redis.Redis(host="cache", db=2, socket_timeout=2)


def touch(session_id):
    sessions.expire(f"session:{session_id}", 1800)
