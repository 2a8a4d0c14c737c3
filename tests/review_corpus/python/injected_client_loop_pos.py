# expect: loop-no-pipeline
"""A service that receives its Redis client from the application (no import of redis here)."""


class SessionStore:
    def __init__(self, redis_client):
        self._redis = redis_client

    def revoke_all(self, session_ids):
        for sid in session_ids:
            self._redis.unlink(f"session:{sid}")
