"""A real three-primary Cluster: detected from INFO, every primary visited, key commands routed by slot."""

import re

from ask_redis.live.conn import connect
from ask_redis.live.inspection import overview, sample_keyspace, slowlog
from ask_redis.tools import ToolContext, discover, run_tool
from tests.fixtures_redis import redis_cluster  # noqa: F401


def test_cluster_is_detected_with_every_primary(redis_cluster):
    with connect(redis_cluster.url) as conn:
        assert conn.mode == "cluster"
        assert sorted(n.name for n in conn.nodes) == sorted(f"127.0.0.1:{s.port}" for s in redis_cluster.nodes)
        covered = sum(end - start + 1 for start, end, _ in conn.slots)
        assert covered == 16384


def test_overview_covers_every_primary(redis_cluster):
    with connect(redis_cluster.url) as conn:
        data = overview(conn)
    assert data["cluster"]["cluster_state"] == "ok" and data["cluster"]["cluster_size"] == 3
    assert len(data["nodes"]) == 3 and {n["role"] for n in data["nodes"]} == {"master"}
    total = sum(s.admin().dbsize() for s in redis_cluster.nodes)
    assert data["totals"]["keys"] == total


def test_keyspace_sampling_visits_every_primary(redis_cluster):
    scans_before = [s.commandstats().get("scan", 0) for s in redis_cluster.nodes]
    with connect(redis_cluster.url) as conn:
        data = sample_keyspace(conn)
    scans_after = [s.commandstats().get("scan", 0) for s in redis_cluster.nodes]
    assert all(after > before for before, after in zip(scans_before, scans_after))
    per_node = {n["node"]: n["sampled"] for n in data["nodes"]}
    for server in redis_cluster.nodes:
        assert per_node[f"127.0.0.1:{server.port}"] == server.admin().dbsize() > 0
    assert data["complete"] and data["sampled"] == sum(s.admin().dbsize() for s in redis_cluster.nodes)
    namespaces = {n["pattern"]: n for n in data["namespaces"]}
    assert namespaces["cache:product:*"]["keys"] == 300 and namespaces["cache:product:*"]["with_ttl"] == 300


def test_budget_applies_per_primary(redis_cluster):
    with connect(redis_cluster.url) as conn:
        data = sample_keyspace(conn, budget=50)
    assert [n["sampled"] for n in data["nodes"]] == [50, 50, 50]
    assert data["scale"] > 1


def test_key_commands_go_to_the_owning_primary(redis_cluster, tmp_path):
    tools = {t.name: t for t in discover()}
    ctx = ToolContext(workspace=tmp_path, redis_url=redis_cluster.url)
    for key, expected in (("big:hash", "hash"), ("queue:jobs", "list"), ("leaderboard:daily", "zset"),
                          ("blob:large", "string")):
        outcome = run_tool(tools, "redis_command", {"command": f"TYPE {key}"}, ctx)
        assert not outcome.is_error, outcome.content
        owner = redis_cluster.client().get_node_from_key(key)
        assert outcome.content == f"[127.0.0.1:{owner.port}]\n{expected}"


def test_plain_commands_run_on_every_primary_or_the_chosen_one(redis_cluster, tmp_path):
    tools = {t.name: t for t in discover()}
    ctx = ToolContext(workspace=tmp_path, redis_url=redis_cluster.url)
    outcome = run_tool(tools, "redis_command", {"command": "DBSIZE"}, ctx)
    assert len(re.findall(r"^\[127\.0\.0\.1:\d+\]$", outcome.content, re.M)) == 3
    node = f"127.0.0.1:{redis_cluster.nodes[1].port}"
    outcome = run_tool(tools, "redis_command", {"command": "DBSIZE", "node": node}, ctx)
    assert outcome.content == f"[{node}]\n{redis_cluster.nodes[1].admin().dbsize()}"
    outcome = run_tool(tools, "redis_command", {"command": "DBSIZE", "node": "127.0.0.1:1"}, ctx)
    assert outcome.is_error and "no node '127.0.0.1:1'" in outcome.content


def test_tools_summarise_the_whole_cluster(redis_cluster, tmp_path):
    tools = {t.name: t for t in discover()}
    ctx = ToolContext(workspace=tmp_path, redis_url=redis_cluster.url)
    text = run_tool(tools, "redis_overview", {}, ctx).content
    assert "mode=cluster" in text and "cluster: state=ok" in text and "across 3 primaries" in text
    text = run_tool(tools, "redis_keyspace", {}, ctx).content
    assert len(re.findall(r"^\[127\.0\.0\.1:\d+\] sampled \d+ of \d+ keys", text, re.M)) == 3
    with connect(redis_cluster.url) as conn:
        assert len(slowlog(conn)["nodes"]) == 3
    digest = [s.digest() for s in redis_cluster.nodes]
    run_tool(tools, "redis_slowlog", {}, ctx)
    run_tool(tools, "redis_command", {"command": "FLUSHALL"}, ctx)
    assert [s.digest() for s in redis_cluster.nodes] == digest
