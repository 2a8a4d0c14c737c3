# expect: pickle-values
import pickle

import redis

r = redis.Redis(socket_timeout=2)


def save(session_id, session):
    r.set(f"session:{session_id}", pickle.dumps(session), ex=1800)


def load(session_id):
    raw = r.get(f"session:{session_id}")
    return pickle.loads(raw) if raw else None
