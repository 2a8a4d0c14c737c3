"""The MCP server as a host agent sees it: time to a tool list, and one expert call, each next to its baseline.

    .venv/bin/python bench/bench_mcp.py [RUNS]

1. Start-up: spawn `ask-redis mcp`, initialize, list tools; baseline: the same against a bare MCP server
   (the SDK with one trivial tool), the floor any Python MCP server pays.
2. One expert call (two API turns against a loopback stand-in, one Read): on a warm `ask-redis mcp`;
   baseline: the same exchange through `ask-redis --json` run as a subprocess each time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.author_transcripts import sse, text, tool  # noqa: E402
from tests.standin import StandIn  # noqa: E402

ASK_REDIS = Path(sys.executable).parent / "ask-redis"
MODEL = "claude-sonnet-5-5"
BARE_SERVER = """
from mcp.server.mcpserver import MCPServer
server = MCPServer(name="bare", log_level="WARNING")
@server.tool()
def echo(text: str) -> str:
    return text
server.run("stdio")
"""


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "REDIS_URL", "ASK_REDIS"))}
    return {**base, **extra}


def exchange() -> list[dict]:
    return [sse([tool("Read", file_path="cache.py")], "tool_use"), sse([text("Use SCAN.")], "end_turn")]


async def time_to_tools(params: StdioServerParameters) -> float:
    started = time.perf_counter()
    async with stdio_client(params, errlog=open(os.devnull, "w")) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await session.list_tools()
            elapsed = time.perf_counter() - started
    return elapsed


def startup(runs: int, cwd: str) -> tuple[float, float]:
    ours = StdioServerParameters(command=str(ASK_REDIS), args=["mcp"], env=env(), cwd=cwd)
    bare = StdioServerParameters(command=sys.executable, args=["-c", BARE_SERVER], env=env(), cwd=cwd)
    anyio.run(time_to_tools, ours)  # warm the page cache
    anyio.run(time_to_tools, bare)
    bare_times, our_times = [], []
    for _ in range(runs):  # interleaved, so load from other processes falls on both alike
        bare_times.append(anyio.run(time_to_tools, bare))
        our_times.append(anyio.run(time_to_tools, ours))
    return statistics.median(bare_times), statistics.median(our_times)


def expert_calls(runs: int, cwd: str) -> tuple[float, float]:
    with StandIn(responses=[r for _ in range(runs * 2 + 2) for r in exchange()]) as standin:
        settings = env(ANTHROPIC_API_KEY="sk-ant-bench", ANTHROPIC_BASE_URL=standin.url, ASK_REDIS_MODEL=MODEL)
        one_shot = []
        for index in range(runs + 1):
            started = time.perf_counter()
            subprocess.run([str(ASK_REDIS), "--json", "is cache.py safe?"], cwd=cwd, env=settings,
                           capture_output=True, check=True)
            if index:  # the first run warms the page cache
                one_shot.append(time.perf_counter() - started)

        async def warm_server() -> list[float]:
            params = StdioServerParameters(command=str(ASK_REDIS), args=["mcp", "--max-turns", "5"], env=settings, cwd=cwd)
            timings = []
            async with stdio_client(params, errlog=open(os.devnull, "w")) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    for index in range(runs + 1):
                        started = time.perf_counter()
                        result = await session.call_tool("expert", {"task": "is cache.py safe?"})
                        assert not result.is_error, result.content[0].text
                        if index:  # the first call imports the SDK
                            timings.append(time.perf_counter() - started)
            return timings

        warm = anyio.run(warm_server)
    return statistics.median(one_shot), statistics.median(warm)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as cwd:
        Path(cwd, "cache.py").write_text("import redis\nr = redis.Redis()\nprint(r.keys('*'))\n")
        bare, ours = startup(runs, cwd)
        one_shot, warm = expert_calls(runs, cwd)
    print(f"{'case':<44} {'median':>9} {'ratio':>7}   ({runs} runs each)")
    print(f"{'start-up to tools/list: bare MCP server':<44} {bare * 1000:>7.0f}ms {1:>6.2f}x")
    print(f"{'start-up to tools/list: ask-redis mcp':<44} {ours * 1000:>7.0f}ms {ours / bare:>6.2f}x")
    print(f"{'expert exchange: ask-redis --json (cold)':<44} {one_shot * 1000:>7.0f}ms {1:>6.2f}x")
    print(f"{'expert exchange: warm ask-redis mcp':<44} {warm * 1000:>7.0f}ms {warm / one_shot:>6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
