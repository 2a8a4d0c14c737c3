"""Live review rules against real redis-server processes set up to trip them (and one that trips none)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from ask_redis.review.run import main, run_review
from ask_redis.review import live_rules as live

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")

PASSWORD = "s3cret-live-pass"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp: Path, *args: str):
        self.port = _free_port()
        tmp.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(tmp),
             "--daemonize", "no", "--logfile", str(tmp / "redis.log"), *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start: {(tmp / 'redis.log').read_text()[-500:]}")
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def unhealthy(tmp_path_factory):
    """Defaults a review should flag: no maxmemory, noeviction over a cache, no persistence, latency monitor off,
    everything in the slow log, a big hash, keys without TTL, a nopass user, many cached scripts, misses,
    rejected connections and clients at the limit."""
    server = Server(tmp_path_factory.mktemp("unhealthy"), "--save", "", "--appendonly", "no",
                    "--slowlog-log-slower-than", "0", "--slowlog-max-len", "1024", "--maxclients", "12")
    client = redis.Redis(port=server.port)
    pipe = client.pipeline(transaction=False)
    for i in range(300):
        pipe.set(f"cache:user:{i}", "x" * 20, ex=3600)
    for i in range(50):
        pipe.set(f"session:{i:08x}deadbeef", "s")  # cache-like namespace, no TTL
        pipe.hset(f"user:profile:{i}", mapping={"name": "n", "email": "e"})  # no TTL, primary data
    pipe.set("counter", 1)
    pipe.execute()
    client.hset("catalog:prices", mapping={f"sku{i}": i for i in range(6000)})  # big hash, past listpack
    for i in range(200):
        client.get(f"missing:{i}")  # misses: hit ratio well below 0.8
    for i in range(12):
        client.script_load(f"return {i}")
    client.acl_setuser("reporter", enabled=True, nopass=True, commands=["+@read"], keys=["*"])
    client.keys("cache:*")  # lands in the slow log
    client.close()
    # Fill maxclients (12): 13 sockets, one is refused; keep 9 open so the inspector's own is near the limit.
    sockets = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(13)]
    deadline = time.monotonic() + 5
    while True:
        for s in sockets[9:]:
            s.close()
        sockets = sockets[:9]
        probe = redis.Redis(port=server.port)
        try:
            if probe.info("stats")["rejected_connections"] >= 1 or time.monotonic() > deadline:
                break
        finally:
            probe.close()
    yield server
    for s in sockets:
        s.close()
    server.stop()


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    """A server configured the way the checklist asks, holding namespaced cache keys with TTLs."""
    server = Server(tmp_path_factory.mktemp("healthy"), "--save", "3600 1", "--appendonly", "yes",
                    "--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru", "--latency-monitor-threshold", "100",
                    "--slowlog-log-slower-than", "10000000", "--requirepass", PASSWORD)
    client = redis.Redis(port=server.port, password=PASSWORD)
    for i in range(100):
        client.set(f"cache:user:{i}", "x", ex=3600)
    for i in range(300):
        client.get(f"cache:user:{i % 100}")  # all hits
    client.close()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def orphan_replica(tmp_path_factory):
    """A replica whose primary does not exist: the replication link is down."""
    dead = _free_port()
    server = Server(tmp_path_factory.mktemp("replica"), "--save", "", "--appendonly", "no",
                    "--replicaof", "127.0.0.1", str(dead))
    yield server
    server.stop()


def rule_ids(result) -> set[str]:
    return {f.rule_id for f in result.findings}


def test_unhealthy_instance_trips_each_rule(unhealthy):
    result = live.inspect(f"redis://127.0.0.1:{unhealthy.port}")
    assert result.error is None, result.error
    found = rule_ids(result)
    expected = {
        "maxmemory-unset", "noeviction-on-cache", "persistence-off", "latency-monitor-off", "slowlog-entries",
        "keys-in-slowlog", "big-key", "cache-keys-without-ttl", "keys-without-ttl",
        "keys-without-namespace", "nopass-user", "many-cached-scripts", "low-hit-ratio", "rejected-connections",
        "clients-near-max", "single-point-of-failure",
    }
    assert expected <= found, f"missing: {sorted(expected - found)}"
    by_rule = {f.rule_id: f for f in result.findings}
    assert by_rule["big-key"].target == "catalog:prices"
    # 7.0: no NO-TOUCH, so no length read; the size is MEMORY USAGE's, and the review says why
    assert "length not read" in by_rule["big-key"].evidence
    assert any("length reads" in note for note in result.notes)
    # 6000 fields is far past hash-max-listpack-entries: a big key, not encoding advice
    assert "over-compact-encoding" not in found
    assert by_rule["cache-keys-without-ttl"].target.startswith("session:")
    assert {f.target for f in result.findings if f.rule_id == "keys-without-ttl"} >= {"user:profile:*"}
    assert any("reporter" in f.target for f in result.findings if f.rule_id == "nopass-user")
    assert "KEYS" in by_rule["keys-in-slowlog"].message or "keys" in by_rule["keys-in-slowlog"].evidence.lower()
    assert by_rule["maxmemory-unset"].checklist == 8


def test_healthy_instance_trips_none_of_them(healthy):
    result = live.inspect(f"redis://:{PASSWORD}@127.0.0.1:{healthy.port}")
    assert result.error is None, result.error
    found = rule_ids(result)
    assert not found & {
        "maxmemory-unset", "memory-near-limit", "noeviction-on-cache", "volatile-policy-few-ttls", "persistence-off",
        "aof-off", "latency-monitor-off", "slowlog-entries", "big-key", "cache-keys-without-ttl", "keys-without-ttl",
        "nopass-user", "low-hit-ratio", "rejected-connections", "clients-near-max", "keys-without-namespace",
    }, sorted(found)


def test_replica_with_no_primary_reports_the_link_down(orphan_replica):
    result = live.inspect(f"redis://127.0.0.1:{orphan_replica.port}")
    assert "replication-link-down" in rule_ids(result)


def test_checklist_from_live_evidence(unhealthy, healthy, tmp_path):
    (tmp_path / "app.py").write_text("import redis\nr = redis.Redis(socket_timeout=2)\n"
                                     "def get(i):\n    return r.get(f'user:profile:{i}')\n")
    # An earlier inspection's own reads filled the everything-logging slow log: put a KEYS back on top.
    redis.Redis(port=unhealthy.port).keys("cache:*")
    bad = {c.number: c for c in run_review(tmp_path, f"redis://127.0.0.1:{unhealthy.port}").checklist}
    good = {c.number: c for c in run_review(tmp_path, f"redis://:{PASSWORD}@127.0.0.1:{healthy.port}").checklist}
    for number in (3, 4, 5, 7, 8, 9, 10):
        assert bad[number].status == "fail", (number, bad[number])
    for number in (4, 8, 9, 10):
        assert good[number].status == "pass", (number, good[number])
    assert "allkeys-lru" in good[4].evidence
    assert "maxmemory-unset" in bad[8].evidence


def test_cli_with_a_password_never_prints_it(healthy, tmp_path, capsys):
    (tmp_path / "app.py").write_text("import redis\nr = redis.Redis(socket_timeout=2)\n")
    url = f"redis://:{PASSWORD}@127.0.0.1:{healthy.port}"
    for fmt in ("text", "markdown", "json", "sarif"):
        assert main([str(tmp_path), "--redis-url", url, "--format", fmt]) == 0
        out, err = capsys.readouterr()
        assert PASSWORD not in out + err
        assert str(healthy.port) in out
    data = json.loads(main([str(tmp_path), "--redis-url", url, "--format", "json"]) == 0 and capsys.readouterr().out)
    assert data["redis"].startswith("redis://") and PASSWORD not in data["redis"]


def test_sarif_with_live_findings_is_valid(unhealthy, tmp_path, capsys):
    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    (tmp_path / "app.py").write_text("import redis\nr = redis.Redis(socket_timeout=2)\nr.keys('*')\n")
    assert main([str(tmp_path), "--redis-url", f"redis://127.0.0.1:{unhealthy.port}", "--format", "sarif",
                 "--fail-on", "high"]) == 1
    log = json.loads(capsys.readouterr().out)
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(log)) == []
    results = log["runs"][0]["results"]
    live_result = next(r for r in results if r["ruleId"] == "maxmemory-unset")
    assert live_result["locations"][0]["logicalLocations"][0]["name"] == f"127.0.0.1:{unhealthy.port}"
    assert any(r["ruleId"] == "keys-command" for r in results)


def test_unreachable_instance_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "app.py").write_text("import redis\n")
    port = _free_port()
    assert main([str(tmp_path), "--redis-url", f"redis://:hunter2pass@127.0.0.1:{port}"]) == 1
    out, err = capsys.readouterr()
    assert "live checks skipped" in err and len(err.strip().splitlines()) == 1
    assert "hunter2pass" not in out + err
    assert "Traceback" not in err
