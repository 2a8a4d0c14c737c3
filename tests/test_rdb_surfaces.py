"""The dump analysis where users meet it: the MCP `review` tool's `rdb` argument (through the MCP SDK's
stdio client), the `redis_rdb` model tool offered with --rdb, and the flag's errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ask_redis.live import rdb
from ask_redis.tools import ToolContext, available, run_tool
from tests.fixtures_rdb import SERVERS, make_dump
from tests.test_mcp_server import first_text, run, server_env


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    if SERVERS["redis-7.0"] is None:
        pytest.skip("redis-server is not installed")
    directory = tmp_path_factory.mktemp("dump")
    make_dump("redis-7.0", directory).stop()
    return directory / "dump.rdb"


def test_mcp_review_with_an_rdb_dump(dump, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("import redis\nr = redis.Redis()\nr.set('user:1:name', 'x')\n")
    (repo / "broken.rdb").write_bytes(dump.read_bytes()[:5000])

    async def scenario(session):
        good = await session.call_tool("review", {"rdb": str(dump)})
        cut = await session.call_tool("review", {"rdb": "broken.rdb"})
        missing = await session.call_tool("review", {"rdb": "nope.rdb"})
        return good, cut, missing

    (good, cut, missing), stderr = run(scenario, server_env(), repo)
    assert good.is_error is False, first_text(good)
    report = good.structured_content
    assert report["rdb"]["sampled"] == sum(1 for _ in rdb.read(dump)) > 600 and report["rdb"]["file"]["checksum"] == "ok"
    assert any(f["rule_id"] == "big-key" and f["where"] == "list:big" for f in report["findings"])
    assert "cache:page:*: 300 keys" in first_text(good)
    assert cut.is_error and first_text(cut).startswith("rdb: truncated at offset ")
    assert missing.is_error and first_text(missing) == "rdb nope.rdb: no such file"
    assert "Traceback" not in stderr


def test_model_tool_is_offered_only_with_a_dump(dump, tmp_path):
    ctx = ToolContext(workspace=tmp_path)
    _, left_out = available(ctx)
    assert left_out["redis_rdb"] == "no RDB dump given (--rdb FILE)"
    ctx.state["rdb_path"] = dump
    tools, left_out = available(ctx)
    by_name = {t.name: t for t in tools}
    assert "redis_rdb" in by_name and "redis_rdb" not in left_out
    out = run_tool(by_name, "redis_rdb", {"pattern": "user", "namespaces": 5}, ctx)
    assert not out.is_error
    assert "user:*:name: 300 keys" in out.content and "cache:page:*" not in out.content.split("top keys")[0]
    assert "findings (" in out.content and "big-key list:big" in out.content
    assert "name-42" not in out.content  # a value
    again = run_tool(by_name, "redis_rdb", {}, ctx)
    assert not again.is_error and ctx.state["rdb_result"].data["sampled"] == sum(1 for _ in rdb.read(dump))
    ctx.state = {"rdb_path": tmp_path / "gone.rdb"}
    failed = run_tool(by_name, "redis_rdb", {}, ctx)
    assert failed.is_error and "no such file or directory" in failed.content.lower()


def test_main_command_rejects_a_missing_dump_in_one_line(tmp_path):
    run_ = subprocess.run([sys.executable, "-m", "ask_redis", "--rdb", str(tmp_path / "none.rdb"), "hello"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={k: v for k, v in server_env().items()})
    assert run_.returncode != 0 and "Traceback" not in run_.stderr
    assert run_.stderr.strip().splitlines()[-1].endswith("no such readable file"), run_.stderr
