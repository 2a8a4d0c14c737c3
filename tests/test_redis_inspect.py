"""redis_inspect's reusable functions on a real server: exact counts, binary key names, bounded work."""

import pytest

from ask_redis.live.conn import connect
from ask_redis.live.inspection import (format_keyspace, STRLEN_FROM_BYTES, _Tally, latency, namespace_of, overview, sample_keyspace,
                                     slowlog)
from tests.fixtures_redis import PASSWORD, start_server  # noqa: F401
from tests.fixtures_redis import REDIS_SERVER


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    srv = start_server(tmp_path_factory.mktemp("inspect"), password=PASSWORD)
    admin = srv.admin()
    admin.execute_command("DEBUG", "POPULATE", 5000, "pop", 10)
    admin.set(b"weird\r\nkey\x00with %s %b bytes", "v")
    admin.set(b"", "empty name")
    admin.hset(b"bin:\xff\xfe:hash", mapping={"a": "1"})
    admin.set("v2:config", "x")
    admin.set("v3:config", "x")
    admin.set("big:string", "z" * (STRLEN_FROM_BYTES * 4))
    admin.zadd("z:near", {f"m{i}": i for i in range(110)})  # near zset-max-listpack-entries (128)
    admin.config_set("slowlog-log-slower-than", 0)  # log the next command whatever its speed
    admin.set("slow:one", "secret")
    admin.config_set("slowlog-log-slower-than", 10000)
    yield srv
    srv.stop()


def test_full_sample_counts_every_key_including_binary_names(server):
    with connect(server.url()) as conn:
        data = sample_keyspace(conn, budget=None)
    assert data["complete"] and data["sampled"] == data["dbsize"] == server.admin().dbsize()
    assert data["vanished"] == 0
    namespaces = {n["pattern"]: n["keys"] for n in data["namespaces"]}
    assert namespaces["pop:*"] == 5000
    assert namespaces["v2:config"] == 1 and namespaces["v3:config"] == 1  # the memo never merges them
    assert namespaces["bin:\\xff\\xfe:hash"] == 1
    assert sum(namespaces.values()) == data["sampled"]
    # 7.0 has no CLIENT NO-TOUCH: lengths are not read (they would refresh LRU), sizes come from MEMORY USAGE.
    assert data["lengths_read"] is False and data["top_length"] == {}
    assert "big:string" in [row["key"] for row in data["top_memory"][:3]]
    assert any("length reads" in note for note in data["notes"])


def test_budget_stops_within_one_batch(server):
    with connect(server.url()) as conn:
        data = sample_keyspace(conn, budget=1234, scan_count=500)
    node = data["nodes"][0]
    # spread over the cursor space: about one SCAN call per stretch
    assert node["sampled"] == 1234 and not node["complete"] and node["spread"] and node["scan_calls"] <= 2 * 64
    assert data["scale"] == pytest.approx(data["dbsize"] / 1234)


def test_match_walk_is_bounded_even_when_nothing_matches(server):
    with connect(server.url()) as conn:
        data = sample_keyspace(conn, budget=100, match="nothing:*", scan_count=10, pause=0.001)
    node = data["nodes"][0]
    assert node["sampled"] == 0 and node["scan_calls"] == 40  # 4 x budget / COUNT, not the whole keyspace


def test_a_time_limit_ends_the_walk_as_a_partial_sample(server):
    with connect(server.url()) as conn:
        data = sample_keyspace(conn, budget=None, scan_count=10, time_limit=1e-9)
    node = data["nodes"][0]
    assert node["out_of_time"] and not node["complete"] and node["scan_calls"] == 1
    assert 0 < node["sampled"] < node["dbsize"]
    assert "stopped at the time limit" in format_keyspace(data)


def test_sampling_is_read_only(server):
    digest = server.digest()
    with connect(server.url()) as conn:
        sample_keyspace(conn, budget=None)
        overview(conn)
        slowlog(conn)
        latency(conn)
    assert server.digest() == digest


def test_overview_latency_and_slowlog_shapes(server):
    with connect(server.url()) as conn:
        data = overview(conn)
        lat = latency(conn)
        slow = slowlog(conn)
    node = data["nodes"][0]
    assert set(node) >= {"version", "role", "memory", "stats", "clients", "persistence", "replication", "config",
                         "cached_scripts", "latency_monitor_threshold_ms", "nopass_users"}
    assert node["memory"]["maxmemory_bytes"] == 0 and node["config"]["requirepass"] == "[REDACTED]"
    assert node["nopass_users"] == []
    assert lat["commands"]["debug"]["calls"] >= 1 and "p99" in lat["commands"]["debug"]
    assert slow["commands"]["set"]["count"] >= 1 and slow["commands"]["config|set"]["count"] >= 1
    assert "secret" not in repr(slow) and "slow:one" not in repr(slow)


def test_tally_keeps_replies_aligned_when_a_key_vanishes():
    tally = _Tally(10, b":", 3)
    keys = [b"h:1", b"h:2", b"s:1"]
    first = [b"hash", None, -1, b"hash", 200, 5000, b"string", 60, -1]  # h:1 vanished after TYPE
    second = {"hash": [3, b"listpack", 7, b"listpack"]}
    tally.add_batch("n", keys, first, ["hash", "hash", "string"], {"hash": [0, 1]}, second)
    assert tally.vanished == 1
    assert tally.top_length["hash"][0][0] == 7 and tally.top_length["hash"][0][1] == b"h:2"
    assert tally.types == {"hash": [1, 200], "string": [1, 60]}


def test_error_replies_are_counted_and_named_not_taken_for_vanished_keys():
    from redis.exceptions import ResponseError

    tally = _Tally(10, b":", 3)
    denied = ResponseError("NOPERM this user has no permissions to run the 'memory|usage' command")
    first = [b"string", denied, -1, ResponseError("MOVED 123 127.0.0.1:7001"), None, None]
    tally.add_batch("n", [b"a", b"b"], first, ["string", "error"], {}, {})
    assert tally.vanished == 0 and tally.types == {}
    assert tally.errors == {"NOPERM this user has no permissions to run the 'memory|usage' command": 1,
                            "MOVED 123 127.0.0.1:7001": 1}


def test_a_user_without_memory_usage_is_told_why(server, tmp_path):
    from ask_redis.live.safety import acl_rules
    from ask_redis.tools import ToolContext, discover, run_tool

    rules = [r for r in acl_rules() if r != "+memory|usage"] + ["+client|setname"]
    server.admin().execute_command("ACL", "SETUSER", "nomem", "reset", "on", ">nomem-pw", "%R~*", *rules)
    ctx = ToolContext(workspace=tmp_path, redis_url=f"redis://nomem:nomem-pw@127.0.0.1:{server.port}/0")
    tools = {t.name: t for t in discover()}
    outcome = run_tool(tools, "redis_keyspace", {"budget": 100}, ctx)
    assert not outcome.is_error, outcome.content
    assert "100 keys could not be read: NOPERM" in outcome.content and "expired" not in outcome.content


@pytest.mark.parametrize("key,pattern", [
    (b"user:42:profile", "user:*:profile"),
    (b"session:9f8e7d6c5b4a", "session:*"),
    (b"cache:product:42", "cache:product:*"),
    (b"a:b:c:d:e", "a:b:c:*"),
    (b"mail:bob@example.com", "mail:*"),
    (b"plain", "(no prefix)"),
    (b"12345", "*"),
    (b"tok:Ab3dEf9hIj2kLm4nOp", "tok:*"),
    # Random tokens with URL-safe or base64 punctuation, and very long segments, never print as namespaces.
    (b"session:Xk3-9fjQ_2mZpL0aRt7wYv", "session:*"),
    (b"auth:q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6+/=:meta", "auth:*:meta"),
    (b"blob:" + b"x" * 500 + b":v", "blob:*:v"),
    (b"order-items-2024:1", "order-items-2024:*"),
    (b"feature_flags_v2:user:9", "feature_flags_v2:user:*"),
])
def test_namespace_patterns(key, pattern):
    assert namespace_of(key) == pattern
