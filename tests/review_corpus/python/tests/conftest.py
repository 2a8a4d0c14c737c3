# expect: none
import pytest
import redis


@pytest.fixture(autouse=True)
def empty_db():
    r = redis.Redis()
    r.flushall()
    yield
