# expect: none
"""A worker process entry point builds its client once; the handlers it takes are not requests."""
from redis import ConnectionPool, Redis


def run_worker(name, queue_names, exception_handlers=None):
    connection = Redis(connection_pool=ConnectionPool(host="cache", socket_timeout=5, max_connections=10))
    print(name, connection.mget([f"queue:length:{q}" for q in queue_names]))
