"""`ask-redis mcp --http`: the real MCP SDK client over streamable HTTP, against the installed command."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx  # httpx2, aliased in conftest
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.author_transcripts import sse, text, tool
from tests.standin import StandIn
from tests.test_mcp_server import API_KEY, ASK_REDIS, CANARY, MODEL, READ_ONLY_TOOLS, server_env

TOKEN = "team-token-3f9a1c7e5b2d4f60a8c1"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "probe", "version": "0"}}}
MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


class HttpServer:
    """`ask-redis mcp --http ...` as a subprocess; the URL is read from its first stderr line."""

    def __init__(self, cwd: Path, env: dict[str, str], *args: str, address: str = "127.0.0.1:0"):
        self.process = subprocess.Popen([str(ASK_REDIS), "mcp", "--http", address, *args], cwd=cwd, env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.url = None
        ready = threading.Event()

        def read():
            for line in self.process.stderr:
                self.lines.append(line)
                if "serving MCP over streamable HTTP at " in line:
                    self.url = line.split(" at ", 1)[1].split()[0]
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        ready.wait(60)
        if self.url is None:
            self.process.kill()
            raise AssertionError("the server did not start: " + "".join(self.lines))
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])
        self.local_url = f"http://127.0.0.1:{self.port}/mcp"  # a server bound to 0.0.0.0 is reached over loopback

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


@asynccontextmanager
async def mcp_client(url: str, headers: dict[str, str] | None = None, statuses: list[int] | None = None):
    http = create_mcp_http_client(headers=headers)
    if statuses is not None:
        async def note(response):
            statuses.append(response.status_code)

        http.event_hooks["response"].append(note)
    async with http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


def run(scenario):
    box = {}

    async def main():
        with anyio.fail_after(90):
            box["value"] = await scenario()

    anyio.run(main)
    return box["value"]


@pytest.fixture
def repo(tmp_path):
    target = tmp_path / "repo"
    target.mkdir()
    (target / "cache.py").write_text("import redis\n\nr = redis.Redis()\n\ndef clear():\n    for k in r.keys('product:*'):\n        r.delete(k)\n")
    return target


def test_lists_and_calls_tools_with_progress_over_http(repo):
    answer = "`KEYS product:*` at cache.py:6 blocks Redis; iterate with SCAN."
    responses = [sse([text("Reading."), tool("Read", file_path="cache.py")], "tool_use"), sse([text(answer)], "end_turn")]
    progress = []

    async def on_progress(value, total, message):
        progress.append(message)

    with StandIn(responses=responses) as standin, \
            HttpServer(repo, server_env(ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL=standin.url, ASK_REDIS_MODEL=MODEL)) as server:
        async def scenario():
            async with mcp_client(server.url) as session:
                tools = {t.name for t in (await session.list_tools()).tools}
                review = await session.call_tool("review", {"path": "cache.py", "redis_url": f"redis://:{CANARY}@127.0.0.1:1"})
                expert = await session.call_tool("expert", {"task": "is clear() safe?"}, progress_callback=on_progress)
                return tools, review, expert

        tools, review, expert = run(scenario)
        time.sleep(0.3)
        log = server.stderr
    assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/mcp")
    assert tools == READ_ONLY_TOOLS
    assert review.is_error is False
    assert any(f["rule_id"] == "keys-command" for f in review.structured_content["findings"])
    assert expert.is_error is False and expert.content[0].text == answer
    assert expert.structured_content["subtype"] == "success" and expert.structured_content["num_turns"] == 2
    assert progress[0].startswith(f"started: model {MODEL}") and 'Read(file_path="cache.py")' in progress
    assert "r.keys('product:*')" in json.dumps(standin.requests[1]["messages"][-1])  # the tool really ran
    # one log line per call, arguments redacted: the task only by its length, the password never
    calls = [line for line in log.splitlines() if " call " in line]
    assert len(calls) == 2, log
    assert calls[0].startswith("ask-redis mcp: call review(path=cache.py, redis_url=redis://:[REDACTED]@127.0.0.1:1) -> ok")
    assert calls[1].startswith("ask-redis mcp: call expert(task=<16 chars>) -> ok")
    assert CANARY not in log and API_KEY not in log and "is clear() safe?" not in log


def test_cancellation_over_http_stops_the_run(repo):
    long_text = " ".join(f"word{i}" for i in range(400))
    responses = [sse([text(long_text), tool("Read", file_path="cache.py")], "tool_use"), sse([text("Second answer.")], "end_turn")]
    with StandIn(responses=responses, chunk_delay=0.05) as standin, \
            HttpServer(repo, server_env(ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL=standin.url, ASK_REDIS_MODEL=MODEL)) as server:
        async def scenario():
            async with mcp_client(server.url) as session:
                async with anyio.create_task_group() as group:
                    group.start_soon(session.call_tool, "expert", {"task": "first"})
                    while not standin.requests:
                        await anyio.sleep(0.05)
                    await anyio.sleep(0.3)
                    group.cancel_scope.cancel()  # the client sends notifications/cancelled
                with anyio.fail_after(30):
                    while "expert run cancelled" not in server.stderr:
                        await anyio.sleep(0.05)
                stopped_at = len(standin.requests)
                return stopped_at, await session.call_tool("expert", {"task": "second"})

        stopped_at, second = run(scenario)
    assert stopped_at == 1  # the cancelled run never ran Read nor asked the model again
    assert second.is_error is False and second.content[0].text == "Second answer."
    assert "call expert(task=<5 chars>) -> cancelled" in server.stderr


def test_off_loopback_needs_a_token_and_refuses_requests_without_it(repo, tmp_path):
    refused = subprocess.run([str(ASK_REDIS), "mcp", "--http", "0.0.0.0:0"], cwd=repo, env=server_env(),
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("ask-redis mcp: --http 0.0.0.0:0 is reachable from other machines, so it needs a "
                                      "bearer token: --token-file FILE or ASK_REDIS_MCP_TOKEN (never on the command line)")
    assert "--token" not in subprocess.run([str(ASK_REDIS), "mcp", "--help"], capture_output=True, text=True).stdout.replace(
        "--token-file", "")  # there is no flag that takes the token itself

    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    with HttpServer(repo, server_env(), "--token-file", str(token_file), address="0.0.0.0:0") as server:
        with httpx.Client() as http:
            none = http.post(server.local_url, json=INITIALIZE, headers=MCP_HEADERS)
            wrong = http.post(server.local_url, json=INITIALIZE, headers={**MCP_HEADERS, "authorization": "Bearer not-the-token"})
            right = http.post(server.local_url, json=INITIALIZE, headers={**MCP_HEADERS, "authorization": f"Bearer {TOKEN}"})

        statuses = []

        async def without_token():
            async with mcp_client(server.local_url, statuses=statuses) as session:
                await session.list_tools()

        with pytest.raises(BaseException):  # the SDK client cannot even initialize
            run(without_token)

        async def with_token():
            async with mcp_client(server.local_url, {"Authorization": f"Bearer {TOKEN}"}) as session:
                return {t.name for t in (await session.list_tools()).tools}

        tools = run(with_token)
        time.sleep(0.3)
        log = server.stderr
    assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert statuses == [401]
    assert tools == READ_ONLY_TOOLS
    assert "bearer token required" in log and "unauthorized (401)" in log and TOKEN not in log


def test_the_token_can_come_from_the_environment(repo):
    with HttpServer(repo, server_env(ASK_REDIS_MCP_TOKEN=TOKEN), address="0.0.0.0:0") as server:
        with httpx.Client() as http:
            assert http.post(server.local_url, json=INITIALIZE, headers=MCP_HEADERS).status_code == 401
            ok = http.post(server.local_url, json=INITIALIZE, headers={**MCP_HEADERS, "authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200


def test_a_foreign_origin_and_a_rebound_host_are_refused(repo):
    with HttpServer(repo, server_env(), "--allow-origin", "https://tools.example.com") as server:
        with httpx.Client() as http:
            foreign = http.post(server.url, json=INITIALIZE, headers={**MCP_HEADERS, "origin": "http://evil.example"})
            rebound = http.post(server.url, json=INITIALIZE, headers={**MCP_HEADERS, "host": "evil.example"})
            loopback = http.post(server.url, json=INITIALIZE, headers={**MCP_HEADERS, "origin": f"http://localhost:{server.port}"})
            allowed = http.post(server.url, json=INITIALIZE, headers={**MCP_HEADERS, "origin": "https://tools.example.com"})
    assert foreign.status_code == 403 and "Origin" in foreign.text
    assert rebound.status_code == 421
    assert loopback.status_code == 200 and allowed.status_code == 200


def test_a_second_expert_call_over_the_limit_is_busy(repo):
    long_text = " ".join(f"word{i}" for i in range(200))
    responses = [sse([text(long_text)], "end_turn")]
    with StandIn(responses=responses, chunk_delay=0.05) as standin, \
            HttpServer(repo, server_env(ANTHROPIC_API_KEY=API_KEY, ANTHROPIC_BASE_URL=standin.url, ASK_REDIS_MODEL=MODEL),
                       "--max-experts", "1") as server:
        async def scenario():
            async with mcp_client(server.url) as first, mcp_client(server.url) as second:
                results = {}

                async def slow():
                    results["first"] = await first.call_tool("expert", {"task": "first"})

                async with anyio.create_task_group() as group:
                    group.start_soon(slow)
                    while not standin.requests:
                        await anyio.sleep(0.05)
                    results["second"] = await second.call_tool("expert", {"task": "second"})
                    results["review"] = await second.call_tool("review", {"path": "cache.py"})
                return results

        results = run(scenario)
    assert results["second"].is_error and results["second"].content[0].text.startswith(
        "busy: 1 expert run already in progress, the most this server takes at once (its --max-experts)")
    assert results["review"].is_error is False  # the model-free tools are not limited
    assert results["first"].is_error is False and results["first"].content[0].text == long_text
    assert len(standin.requests) == 1


@pytest.mark.parametrize("args, message", [
    (["--http", "nope"], "--http nope: give [HOST:]PORT with a port from 0 to 65535"),
    (["--http", "127.0.0.1:0", "--token-file", "/no/such/token"], "--token-file /no/such/token: cannot read it (No such file or directory)"),
    (["--token-file", "t"], "--token-file and --allow-origin apply to --http only"),
    (["--max-experts", "0"], "--max-experts: give 1 or more"),
])
def test_bad_http_flags_are_one_line(args, message, repo):
    result = subprocess.run([str(ASK_REDIS), "mcp", *args], cwd=repo, env=server_env(), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.strip() == f"ask-redis mcp: {message}"
