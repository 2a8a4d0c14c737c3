"""Live inspection on four kinds of real server: Debian's Redis 7.0, Valkey 8.1 and 9.1 (PyPI wheels), and
Redis 8.2 with modules. Each holds about 20,000 keys of every type plus a 10 MB hash; a review must change no
counter it reports, touch no key, find the big hash every time, and name the server and its key types right."""

from __future__ import annotations

import contextlib
import io
import shlex
import time

import pytest

from ask_redis.live import acl as redis_acl
from ask_redis.live.conn import connect
from ask_redis.live.inspection import format_overview, latency, overview, sample_keyspace
from ask_redis.review import live_rules
from tests.fixtures_redis import INSPECTOR_PASSWORD, PASSWORD, SERVER_KINDS, seed_dataset, start_server

BIG_HASH_FIELDS = 100_000  # about 10 MB
USER_HITS, USER_MISSES, USER_TYPES = 150, 450, 7


def _seed(server, kind) -> None:
    admin = server.admin()
    admin.config_set("maxmemory-policy", "allkeys-lru")  # OBJECT IDLETIME needs an LRU (or no) policy
    admin.execute_command("DEBUG", "POPULATE", 19_000, "str", 40)
    pipe = admin.pipeline(transaction=False)
    for i in range(250):
        pipe.hset(f"user:{i}:profile", mapping={f"f{j}": j for j in range(4 + i % 10)})
        pipe.rpush(f"queue:{i}", *range(3 + i % 20))
        pipe.sadd(f"tags:{i}", *range(2 + i % 9))
        pipe.zadd(f"rank:{i}", {f"m{j}": j for j in range(3 + i % 12)})
        if i % 4 == 0:
            pipe.expire(f"user:{i}:profile", 86_400)
    for i in range(20):
        pipe.xadd(f"events:{i}", {"kind": "signup"})
    for i in range(3):  # just past hash-max-listpack-entries (512): what raising it would do is quantified
        pipe.hset(f"wide:{i}", mapping={f"f{j}": j for j in range(560 + 20 * i)})
    pipe.execute()
    seed_dataset(admin)
    fields = {f"field:{j:06d}": "v" * 80 for j in range(BIG_HASH_FIELDS)}
    items = list(fields.items())
    for start in range(0, len(items), 10_000):
        admin.hset("big:hash", mapping=dict(items[start:start + 10_000]))
    if kind.modules:
        for i in range(30):
            admin.execute_command("JSON.SET", f"doc:{i}", "$", '{"a": 1}')
            admin.execute_command("BF.ADD", f"bloom:{i}", "x")
            admin.execute_command("VADD", f"vec:{i}", "VALUES", 2, 1, 2, "e1")
        admin.execute_command("GRAPH.QUERY", "graph:social", "CREATE (:Person {name: 'a'})")


@pytest.fixture(scope="module", params=SERVER_KINDS, ids=[k.name for k in SERVER_KINDS])
def live_server(request, tmp_path_factory):
    kind = request.param
    if not kind.available:
        pytest.skip(f"{kind.name} is not installed (the test extra installs it)")
    server = start_server(tmp_path_factory.mktemp(kind.name), password=PASSWORD, kind=kind)
    _seed(server, kind)
    server.kind = kind
    yield server
    server.stop()


@pytest.fixture
def ledger_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def _stats(server) -> tuple[int, int]:
    info = server.admin().info("stats")
    return info["keyspace_hits"], info["keyspace_misses"]


def test_hit_ratio_and_commandstats_are_the_users_on_every_review(live_server, ledger_home):
    admin = live_server.admin()
    # The users' traffic: hits, misses and TYPE calls of their own, on top of whatever came before.
    hits0, misses0 = _stats(live_server)
    types0 = live_server.commandstats().get("type", 0)
    for i in range(USER_HITS):
        admin.get(f"str:{i}")
    for i in range(USER_MISSES):
        admin.get(f"absent:{i}")
    for i in range(USER_TYPES):
        admin.type(f"str:{i}")
    users_hits, users_misses = _stats(live_server)
    users_types = live_server.commandstats()["type"]
    assert users_types - types0 == USER_TYPES
    for review in range(2):
        before = _stats(live_server)
        result = live_rules.inspect(live_server.url())
        assert result.error is None, result.error
        stats = result.overview["nodes"][0]["stats"]
        assert (stats["hits"], stats["misses"]) == (users_hits, users_misses), review
        after = _stats(live_server)
        added = result.keyspace["inspection_added"]
        # what the review says it added is what the server counted (nobody else talks to it)
        assert (added["hits"], added["misses"]) == (after[0] - before[0], after[1] - before[1])
        assert added["hits"] > 10_000
        assert any("added" in note and "keyspace hits" in note for note in result.notes)
        with connect(live_server.url()) as conn:
            commands = latency(conn, top=100)["commands"]
        assert commands["type"]["calls"] == users_types, review  # the inspections' TYPE calls are not there
        assert "memory|usage" not in commands and "pttl" not in commands and "scan" not in commands


def test_a_review_touches_no_key(live_server, ledger_home):
    admin = live_server.admin()
    keys = [f"{kind}:{i}" for kind in ("user", "queue", "tags", "rank") for i in range(0, 250, 20)][:46]
    keys = [k if not k.startswith("user") else f"{k}:profile" for k in keys] + ["big:hash", "str:1", "str:2", "events:1"]
    assert len(keys) == 50
    time.sleep(3)  # OBJECT IDLETIME counts whole seconds: let every key idle a while
    before = [admin.object("idletime", k) for k in keys]
    assert min(before) >= 2
    result = live_rules.inspect(live_server.url(), budget=None)  # every key read: the strongest case
    assert result.error is None and result.keyspace["complete"]
    after = [admin.object("idletime", k) for k in keys]
    assert all(a >= b for a, b in zip(after, before)), list(zip(keys, before, after))
    lengths = result.keyspace["lengths_read"]
    assert lengths == (live_server.kind.name != "redis-7.0-debian")  # < 7.2: no NO-TOUCH, so no length reads
    if not lengths:
        assert any("length reads" in note for note in result.notes)


def test_the_big_hash_is_found_in_every_run(live_server, ledger_home):
    dbsize = live_server.admin().dbsize()
    assert dbsize > 20_000
    ways = []
    for run in range(5):
        with connect(live_server.url()) as conn:
            data = sample_keyspace(conn)
        assert data["sampled"] < dbsize
        top = data["top_memory"][0]
        assert top["key"] == "big:hash" and top["memory"] > 8 * 1024 * 1024, (run, top)
        ways.append(top.get("found_by", "sample"))
    result = live_rules.inspect(live_server.url())
    assert any(f.rule_id == "big-key" and f.target == "big:hash" for f in result.findings)
    assert "sample" in ways or "search" in ways


def test_the_server_is_named_and_module_types_counted(live_server, ledger_home):
    kind = live_server.kind
    with connect(live_server.url()) as conn:
        data = overview(conn)
        keyspace = sample_keyspace(conn, budget=None)
    node = data["nodes"][0]
    text = format_overview(data)
    if kind.name.startswith("valkey"):
        version = kind.name.split("-")[1]
        assert node["engine"] == "valkey" and node["version"].startswith(version + ".")
        assert node["mode"] == "standalone" and node["redis_version"] == "7.2.4"
        assert f"valkey {node['version']}" in text and " None " not in text
    else:
        assert node["engine"] == "redis" and node["mode"] == "standalone"
    assert keyspace["vanished"] == 0 and not keyspace["errors"]
    types = {name: v["keys"] for name, v in keyspace["types"].items()}
    assert sum(types.values()) == keyspace["sampled"] == keyspace["dbsize"]
    if kind.modules:
        assert types["ReJSON-RL"] == 30 and types["MBbloom--"] == 30 and types["vectorset"] == 30
        assert types["graphdata"] == 1
        namespaces = {n["prefix"]: n for n in keyspace["namespaces"]}
        assert namespaces["doc:*"]["keys"] == 30 and namespaces["bloom:*"]["keys"] == 30
    seen_ttl = sum(n["with_ttl"] for n in keyspace["namespaces"])
    assert keyspace["with_ttl"] == seen_ttl == live_server.admin().info("keyspace")["db0"]["expires"]


def test_encoding_advice_scales_with_how_far_over_the_limit(live_server, ledger_home):
    result = live_rules.inspect(live_server.url(), budget=None)
    advice = [f for f in result.findings if f.rule_id == "over-compact-encoding" and f.target == "hash keys"]
    if not result.keyspace["lengths_read"]:  # 7.0: lengths unknown, so no advice on them
        assert not advice and "hash" not in result.keyspace["limit_report"]
        return
    report = result.keyspace["limit_report"]["hash"]
    # the three wide:* hashes (560-600 fields) are just over 512; the 100,000-field big:hash is far over it
    assert report["just_over_limit"] == 3 and report["far_over_limit"] == 1
    assert report["raise_to"] == 1024 and report["raise_converts"] == 3 and report["raise_saves_bytes"] > 0
    assert len(advice) == 1 and "raising it to 1024 converts 3" in advice[0].evidence
    assert any(f.rule_id == "big-key" and f.target == "big:hash" for f in result.findings)


def test_the_inspector_account_reviews_without_a_refusal(live_server, ledger_home):
    admin = live_server.admin()
    out = io.StringIO()
    with contextlib.redirect_stdout(out), _stdin(INSPECTOR_PASSWORD + "\n"):
        assert redis_acl.main(["--password-stdin", "--redis-url", live_server.url()]) == 0
    admin.execute_command(*shlex.split(out.getvalue().strip()))
    admin.execute_command("ACL", "LOG", "RESET")
    user = redis_acl.DEFAULT_USER
    url = live_server.url(password=INSPECTOR_PASSWORD, user=user)
    result = live_rules.inspect(url)
    assert result.error is None, result.error
    assert "NOPERM" not in " ".join(result.notes) and not result.keyspace["errors"]
    assert not admin.execute_command("ACL", "LOG"), "a command of the review was refused"
    assert result.keyspace["no_touch"] == (live_server.kind.name != "redis-7.0-debian")
    for words in (["XINFO", "STREAM", "events:1"], ["XINFO", "STREAM", "events:1", "FULL"], ["ACL", "LIST"]):
        reply = admin.execute_command("ACL", "DRYRUN", user, *words)
        assert b"permission" in reply.lower(), (words, reply)
    for words in (["XLEN", "events:1"], ["XINFO", "GROUPS", "events:1"]):
        assert admin.execute_command("ACL", "DRYRUN", user, *words) in (b"OK", "OK", True)


def test_the_hostile_session_changes_nothing_here_too(live_server, ledger_home, tmp_path):
    from tests.test_redis_tools import test_hostile_session_sends_nothing_and_changes_nothing
    from ask_redis.tools import discover

    test_hostile_session_sends_nothing_and_changes_nothing({t.name: t for t in discover()}, live_server, tmp_path)


@contextlib.contextmanager
def _stdin(text: str):
    import sys

    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


def test_keysizes_points_the_search_at_the_type_it_missed(live_server, ledger_home):
    with connect(live_server.url()) as conn:
        data = sample_keyspace(conn)
    node = data["nodes"][0]
    if live_server.kind.name != "redis-8.2-modules":
        assert node.get("keysizes_largest") is None  # INFO keysizes is Redis 8's
        return
    assert node["keysizes_largest"]["hash"] >= 65536  # the 100,000-field hash, in keysizes' power-of-two buckets
    assert data["top_memory"][0]["key"] == "big:hash"
    search = node.get("search")
    if search:  # the sample missed it this run: keysizes named the type, SCAN TYPE walked only hashes
        assert "keysizes" in search["reason"] or "explains" in search["reason"]
