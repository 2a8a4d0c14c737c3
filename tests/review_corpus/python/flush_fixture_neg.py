# expect: none
import pytest
import redis


@pytest.fixture
def clean_redis():
    client = redis.Redis(port=6390, socket_timeout=2)
    client.flushdb()
    yield client
    client.flushdb()
