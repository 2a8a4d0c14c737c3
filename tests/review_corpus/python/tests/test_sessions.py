# expect: none
import redis

r = redis.Redis()


def test_sessions_are_written():
    r.set("session:abc", "x")
    assert r.keys("session:*") == [b"session:abc"]
    r.flushdb()
