"""`ask-redis mcp` as a host agent meets it: the real MCP client starts the installed command over stdio."""

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from tests.author_transcripts import api_error, sse, text, tool
from tests.standin import StandIn

ASK_REDIS = Path(sys.executable).parent / "ask-redis"
MODEL = "claude-sonnet-5-5"
API_KEY = "sk-ant-mcp-test-key-4411"
CANARY = "hunter2-canary"
READ_ONLY_TOOLS = {"expert", "review", "redis_overview", "redis_keyspace", "redis_slowlog"}


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "REDIS_URL", "ASK_REDIS"))}
    env.update(extra)
    return env


@asynccontextmanager
async def mcp_session(env: dict[str, str], cwd: Path, errlog_path: Path, args: tuple[str, ...] = ()):
    params = StdioServerParameters(command=str(ASK_REDIS), args=["mcp", *args], env=env, cwd=str(cwd))
    with open(errlog_path, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


def run(scenario, env: dict[str, str], cwd: Path, args: tuple[str, ...] = ()):
    """Run `scenario(session)` against a fresh server; returns its value and the server's stderr."""
    errlog = cwd.parent / f"{cwd.name}-server-stderr.log"
    box = {}

    async def main():
        with anyio.fail_after(60):
            async with mcp_session(env, cwd, errlog, args) as session:
                box["value"] = await scenario(session)

    anyio.run(main)
    return box["value"], errlog.read_text()


def first_text(result) -> str:
    return result.content[0].text


@pytest.fixture
def repo(tmp_path):
    target = tmp_path / "repo"
    target.mkdir()
    (target / "cache.py").write_text("import redis\n\nr = redis.Redis()\n\ndef clear():\n    for k in r.keys('product:*'):\n        r.delete(k)\n")
    (target / ".env").write_text(f"REDIS_URL=redis://:{CANARY}@cache:6379/0\n")
    return target


def test_lists_read_only_tools_with_schemas(repo):
    async def scenario(session):
        return (await session.list_tools()).tools

    tools, _ = run(scenario, server_env(), repo)
    by_name = {t.name: t for t in tools}
    assert set(by_name) == READ_ONLY_TOOLS
    for t in tools:
        assert t.annotations is not None, t.name
        assert t.annotations.read_only_hint is True and t.annotations.destructive_hint is False, t.name
        assert t.description and t.title
    expert = by_name["expert"]
    assert expert.input_schema["required"] == ["task"]
    assert set(expert.input_schema["properties"]) == {"task", "repo_path", "redis_url"}
    assert expert.input_schema["properties"]["redis_url"]["type"] == "string"
    assert all("anyOf" not in prop and "title" not in prop for t in tools for prop in t.input_schema["properties"].values())
    assert {"result", "subtype", "is_error", "usage", "total_cost_usd", "num_turns", "session_id", "findings"} <= set(expert.output_schema["properties"])
    assert expert.annotations.open_world_hint is True


def test_expert_runs_the_loop_with_progress_and_structured_result(repo):
    answer = "`KEYS product:*` in cache.py:6 blocks Redis; iterate with SCAN and UNLINK in batches."
    responses = [
        sse([text("Let me read the cache module."), tool("Read", file_path="cache.py")], "tool_use", input_tokens=1000, output_tokens=40),
        sse([text(answer)], "end_turn", input_tokens=1500, output_tokens=60),
    ]
    progress = []

    async def on_progress(value, total, message):
        progress.append((value, message))

    async def scenario(session):
        return await session.call_tool("expert", {"task": "is clear() safe?", "redis_url": f"redis://:{CANARY}@127.0.0.1:1"},
                                       progress_callback=on_progress)

    with StandIn(responses=responses) as standin:
        result, stderr = run(scenario, server_env(ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL=standin.url, ASK_REDIS_MODEL=MODEL), repo)
    assert not standin.errors, standin.errors
    assert result.is_error is False, first_text(result)
    assert first_text(result) == answer
    out = result.structured_content
    assert out["type"] == "result" and out["subtype"] == "success" and out["ask_redis_subtype"] == "success" and out["schema_version"] == 2
    assert out["result"] == answer and out["num_turns"] == 2 and out["stop_reason"] == "end_turn"
    assert out["usage"]["input_tokens"] == 2500 and out["usage"]["output_tokens"] == 100
    assert out["total_cost_usd"] == pytest.approx((2500 * 3 + 100 * 15) / 1e6)
    assert out["session_id"] and out["findings"] == []
    # the tool really ran: its output went back to the model
    sent_back = json.dumps(standin.requests[1]["messages"][-1])
    assert "r.keys('product:*')" in sent_back
    messages = [m for _, m in progress]
    assert [v for v, _ in progress] == list(range(1, len(progress) + 1))
    assert messages[0].startswith(f"started: model {MODEL}")
    assert 'Read(file_path="cache.py")' in messages
    assert "turn 1 done (1000 in / 40 out tokens)" in messages and any(m.startswith("turn 2 done") for m in messages)
    everything = json.dumps(standin.requests) + json.dumps(result.model_dump(mode="json")) + json.dumps(progress) + stderr
    assert API_KEY not in json.dumps(result.model_dump(mode="json")) + json.dumps(progress) + stderr
    assert CANARY not in everything


def test_retries_show_up_as_progress(repo):
    responses = [api_error(529, "overloaded_error", "Overloaded", retry_after="0"), sse([text("Use a sorted set.")], "end_turn")]
    progress = []

    async def on_progress(value, total, message):
        progress.append(message)

    async def scenario(session):
        return await session.call_tool("expert", {"task": "leaderboard?"}, progress_callback=on_progress)

    with StandIn(responses=responses) as standin:
        result, _ = run(scenario, server_env(ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL=standin.url, ASK_REDIS_MODEL=MODEL), repo)
    assert result.is_error is False and first_text(result) == "Use a sorted set."
    assert any(m.startswith("the API is overloaded (HTTP 529: Overloaded); retrying in 0.0 s (1/4)") for m in progress), progress


def test_bad_arguments_are_error_results_and_the_server_goes_on(repo):
    async def scenario(session):
        outcomes = {
            "missing task": await session.call_tool("expert", {"redis_url": f"redis://:{CANARY}@h:1"}),
            "task not a string": await session.call_tool("expert", {"task": {"nested": CANARY}}),
            "blank task": await session.call_tool("expert", {"task": "   "}),
            "no such repo": await session.call_tool("expert", {"task": "hi", "repo_path": str(repo / "nope")}),
            "bad redis url": await session.call_tool("redis_overview", {"redis_url": f"http://:{CANARY}@h:1"}),
            "no redis url": await session.call_tool("redis_overview", {}),
            "expert bad redis url": await session.call_tool("expert", {"task": "hi", "redis_url": f"tcp://:{CANARY}@h:1"}),
            "unknown tool": await session.call_tool("flushall", {}),
        }
        return outcomes, [t.name for t in (await session.list_tools()).tools]

    (outcomes, names), stderr = run(scenario, server_env(ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL="http://127.0.0.1:9"), repo)
    assert all(r.is_error for r in outcomes.values()), {k: first_text(r) for k, r in outcomes.items() if not r.is_error}
    texts = {k: first_text(r) for k, r in outcomes.items()}
    assert texts["missing task"] == "invalid arguments for expert: task: Field required"
    assert texts["task not a string"] == "invalid arguments for expert: task: Input should be a valid string"
    assert texts["blank task"] == "task: the task is empty; say what the expert should look at"
    assert texts["no such repo"] == f"repo_path {repo / 'nope'}: not a directory"
    assert texts["no redis url"].startswith("no Redis URL: pass redis_url")
    assert texts["bad redis url"].startswith("redis_url: unsupported scheme http://"), texts["bad redis url"]
    assert texts["expert bad redis url"].startswith("redis_url: unsupported scheme tcp://"), texts["expert bad redis url"]
    assert "flushall" in texts["unknown tool"]
    assert READ_ONLY_TOOLS <= set(names)
    assert CANARY not in json.dumps(texts) + stderr
    assert "Traceback" not in stderr


def test_no_api_key_is_a_clear_error_result(repo):
    async def scenario(session):
        return await session.call_tool("expert", {"task": "review my cache layer"})

    result, _ = run(scenario, server_env(), repo)
    assert result.is_error
    assert first_text(result).startswith("no API key: the expert tool needs ANTHROPIC_API_KEY")
    assert "the -e option of claude mcp add" in first_text(result) and "[REDACTED]" not in first_text(result)


def test_api_failure_is_an_error_result_without_the_key(repo):
    responses = [api_error(401, "authentication_error", "invalid x-api-key")]

    async def scenario(session):
        failed = await session.call_tool("expert", {"task": "hello"})
        return failed, (await session.list_tools()).tools

    with StandIn(responses=responses) as standin:
        (result, tools), stderr = run(scenario, server_env(ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL=standin.url, ASK_REDIS_MODEL=MODEL), repo)
    assert result.is_error
    assert first_text(result) == "ask-redis: error_api: the API key was rejected; check ANTHROPIC_API_KEY (HTTP 401: invalid x-api-key)"
    assert result.structured_content["ask_redis_subtype"] == "error_api" and result.structured_content["is_error"] is True
    assert API_KEY not in json.dumps(result.model_dump(mode="json")) + stderr
    assert {t.name for t in tools} >= READ_ONLY_TOOLS


def test_cancelling_a_call_stops_the_run_and_the_server_answers_the_next(repo):
    long_text = " ".join(f"word{i}" for i in range(400))  # 67 chunks at 0.05 s: a run that takes seconds
    responses = [
        sse([text(long_text), tool("Read", file_path="cache.py")], "tool_use"),
        sse([text("Second answer.")], "end_turn"),
    ]
    seen = []

    async def on_progress(value, total, message):
        seen.append(message)

    async def scenario(session):
        with anyio.move_on_after(30) as scope:
            async with anyio.create_task_group() as group:
                async def call_then_note():
                    await session.call_tool("expert", {"task": "first"}, progress_callback=on_progress)
                    seen.append("the first call finished instead of being cancelled")

                group.start_soon(call_then_note)
                while not standin.requests:  # the run is streaming its first answer
                    await anyio.sleep(0.05)
                await anyio.sleep(0.3)
                group.cancel_scope.cancel()
        assert not scope.cancelled_caught
        # the server winds the run down (closes the event generator) and says so on stderr
        errlog = repo.parent / f"{repo.name}-server-stderr.log"
        with anyio.fail_after(30):
            while "expert run cancelled" not in errlog.read_text():
                await anyio.sleep(0.05)
        requests_when_stopped = len(standin.requests)
        second = await session.call_tool("expert", {"task": "second"})
        return requests_when_stopped, second

    with StandIn(responses=responses, chunk_delay=0.05) as standin:
        (requests_when_stopped, second), stderr = run(scenario, server_env(ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL=standin.url, ASK_REDIS_MODEL=MODEL), repo)
    assert "the first call finished instead of being cancelled" not in seen
    assert seen and seen[0].startswith("started")
    assert requests_when_stopped == 1  # the cancelled run never ran Read nor asked the model again
    assert second.is_error is False and first_text(second) == "Second answer."
    assert [r["messages"][0]["content"][0]["text"] for r in standin.requests] == ["first", "second"]
    assert "Traceback" not in stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_with_password(tmp_path):
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--requirepass", CANARY, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield f"redis://:{CANARY}@127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


def seed(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for i in range(50):
        client.set(f"session:{i}", "x" * 20, ex=3600)
        client.hset(f"user:{i}:profile", mapping={"name": "n", "plan": "free"})
    client.close()


def connected_clients(url: str) -> int:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("clients")["connected_clients"]) - 1
    finally:
        client.close()


def test_expert_inspects_redis_without_leaking_the_password_or_the_connection(repo, redis_with_password):
    responses = [
        sse([tool("redis_overview")], "tool_use"),
        sse([text("maxmemory is unset: set it and an eviction policy.")], "end_turn"),
    ]

    async def scenario(session):
        return await session.call_tool("expert", {"task": "how is my redis?", "redis_url": redis_with_password})

    with StandIn(responses=responses) as standin:
        result, stderr = run(scenario, server_env(ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL=standin.url, ASK_REDIS_MODEL=MODEL), repo)
    assert result.is_error is False, first_text(result)
    tool_output = json.dumps(standin.requests[1]["messages"][-1])
    assert "maxmemory" in tool_output and "mode=standalone" in tool_output
    assert CANARY not in json.dumps(standin.requests) + json.dumps(result.model_dump(mode="json")) + stderr
    assert connected_clients(redis_with_password) == 0  # no connection outlives the run in a long-lived server


def test_keyspace_and_slowlog_tools(repo, redis_with_password):
    seed(redis_with_password)

    async def scenario(session):
        keyspace = await session.call_tool("redis_keyspace", {"redis_url": redis_with_password, "budget": 1000})
        focused = await session.call_tool("redis_keyspace", {"redis_url": redis_with_password, "type": "hash"})
        bad = await session.call_tool("redis_keyspace", {"redis_url": redis_with_password, "type": "module"})
        slow = await session.call_tool("redis_slowlog", {"redis_url": redis_with_password})
        return keyspace, focused, bad, slow

    (keyspace, focused, bad, slow), stderr = run(scenario, server_env(), repo)
    assert keyspace.is_error is False, first_text(keyspace)
    data = keyspace.structured_content
    assert data["sampled"] == 100 and data["complete"] is True
    patterns = {n["pattern"]: n for n in data["namespaces"]}
    assert patterns["session:*"]["keys"] == 50 and patterns["session:*"]["with_ttl"] == 50
    assert patterns["user:*:profile"]["with_ttl"] == 0
    assert "session:*" in first_text(keyspace)
    assert focused.structured_content["sampled"] == 50 and set(focused.structured_content["types"]) == {"hash"}
    assert bad.is_error and first_text(bad).startswith("invalid arguments for redis_keyspace: type: String should match pattern")
    assert slow.is_error is False, first_text(slow)
    assert set(slow.structured_content) == {"slowlog", "latency"}
    assert "xxxxxxxxxxxxxxxxxxxx" not in first_text(keyspace) + json.dumps(data)  # values are never read
    assert CANARY not in first_text(keyspace) + first_text(slow) + json.dumps(data) + json.dumps(slow.structured_content) + stderr


def test_redis_overview_reads_a_live_instance_without_a_key(repo, redis_with_password):
    async def scenario(session):
        direct = await session.call_tool("redis_overview", {"redis_url": redis_with_password})
        return direct

    # no API key at all: the direct tool does not need one
    result, stderr = run(scenario, server_env(), repo)
    assert result.is_error is False, first_text(result)
    assert "mode=standalone" in first_text(result) and "maxmemory" in first_text(result)
    data = result.structured_content
    assert data["mode"] == "standalone" and data["nodes"][0]["version"].startswith("7.")
    assert CANARY not in first_text(result) + json.dumps(data) + stderr


def test_server_default_redis_url_comes_from_its_flag(repo, redis_with_password):
    async def scenario(session):
        return await session.call_tool("redis_overview", {})

    result, stderr = run(scenario, server_env(), repo, args=("--redis-url", redis_with_password))
    assert result.is_error is False, first_text(result)
    assert result.structured_content["totals"]["keys"] == 0
    assert CANARY not in first_text(result) + stderr


def test_bad_server_flags_exit_2_with_one_line(tmp_path):
    result = subprocess.run([str(ASK_REDIS), "mcp", "--repo", str(tmp_path / "missing")], capture_output=True, text=True,
                            env=server_env(), stdin=subprocess.DEVNULL, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == f"ask-redis mcp: --repo {tmp_path / 'missing'}: not a directory"



def test_review_tool_runs_the_checks_without_a_key(repo):
    async def scenario(session):
        whole = await session.call_tool("review", {})
        one_file = await session.call_tool("review", {"path": "cache.py"})
        missing = await session.call_tool("review", {"path": "nope/"})
        return whole, one_file, missing

    (whole, one_file, missing), stderr = run(scenario, server_env(), repo)
    assert whole.is_error is False, first_text(whole)
    report = whole.structured_content
    keys = [f for f in report["findings"] if f["rule_id"] == "keys-command"]
    assert keys and keys[0]["where"] == "cache.py:6" and keys[0]["severity"] == "high"
    assert "cache.py:6" in first_text(whole) and "keys-command" in first_text(whole)
    assert report["counts"]["high"] >= 1 and len(report["checklist"]) == 10
    assert one_file.structured_content["findings"] == report["findings"]
    assert missing.is_error and first_text(missing) == "path nope/: no such file or directory"
    assert CANARY not in json.dumps(report) + first_text(whole) + stderr


def test_expert_reports_the_review_engine_findings_it_used(repo):
    responses = [
        sse([tool("redis_review")], "tool_use"),
        sse([text("`KEYS` at cache.py:6 blocks the server; use SCAN.")], "end_turn"),
    ]

    async def scenario(session):
        return await session.call_tool("expert", {"task": "review the cache"})

    with StandIn(responses=responses) as standin:
        result, _ = run(scenario, server_env(ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL=standin.url, ASK_REDIS_MODEL=MODEL), repo)
    assert result.is_error is False, first_text(result)
    findings = result.structured_content["findings"]
    assert [f["where"] for f in findings if f["rule_id"] == "keys-command"] == ["cache.py:6"]
    # the same candidates the model was shown
    shown = json.dumps(standin.requests[1]["messages"][-1])
    assert all(f["rule_id"] in shown for f in findings if f["severity"] in ("high", "medium"))
