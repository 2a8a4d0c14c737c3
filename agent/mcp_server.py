"""`ask-redis mcp`: the expert as an MCP stdio server, for other coding agents (Claude Code, Codex, Cursor).

`expert` runs the whole agent loop on a task and answers with text plus the `--json` object as
structured content. The direct tools run the model-free parts (the live instance overview) so a
host agent can use them without an API key. Every tool is read-only; every failure is an
`isError` result, never a crash of the server.
"""

import argparse
import math
import sys
import threading
from pathlib import Path
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError

from ask_redis.config import ConfigError, Settings, load
from ask_redis.events import SCHEMA_VERSION, Final, Start, ToolCall, TurnUsage
from ask_redis.oneshot import describe_call
from ask_redis.redact import redact

SERVER_NAME = "ask-redis"

NO_API_KEY = ("no API key: the expert tool needs ANTHROPIC_API_KEY in this MCP server's environment "
              "(claude mcp add ask-redis -e ANTHROPIC_API_KEY=sk-ant-... -- ask-redis mcp) or api_key in "
              "~/.config/ask-redis/config.toml; redis_overview works without one")

NO_REDIS_URL = ("no Redis URL: pass redis_url (redis://, rediss://, unix://), or start the server with "
                "--redis-url or REDIS_URL in its environment")

INSTRUCTIONS = (
    "ask-redis is a senior Redis engineer. Call `expert` with a task (a question, a review request, an incident "
    "to explain) and, when a live instance matters, a redis_url: it reads the repository and inspects Redis "
    "read-only, and answers with file:line and INFO evidence. It can take a few minutes and reports progress. "
    "`redis_overview` returns the instance's vital signs at once, with no model."
)

EXPERT_DESCRIPTION = (
    "A senior Redis engineer: reads the repository (Read, Grep, Glob, sandboxed Bash) and, given a Redis URL, inspects "
    "the live instance read-only, then answers with file:line and INFO evidence. Use it for Redis design, data "
    "modelling, memory, eviction, persistence, latency, cluster and client-usage questions and for reviews of code "
    "that uses Redis. It never writes to Redis or to the repository. A review takes minutes; progress is reported "
    "per tool call and per turn. structuredContent is the `ask-redis --json` object (plus findings)."
)

OVERVIEW_DESCRIPTION = (
    "The vital signs of a live Redis, read-only and without a model: version, role, memory and maxmemory, eviction "
    "policy, fragmentation, keyspace and TTL coverage, hit ratio, clients, persistence, replication and the "
    "checklist's config values; for a Cluster, every primary. Values are never read."
)

READ_ONLY = dict(read_only_hint=True, destructive_hint=False, idempotent_hint=True)


class ExpertResult(Final):
    """structuredContent of the `expert` tool: the `--json` object of a one-shot run, plus findings."""

    schema_version: int = SCHEMA_VERSION
    findings: list[dict[str, Any]] = Field(default_factory=list, description="Review findings, when the run produced any.")


@dataclass
class Defaults:
    """What `ask-redis mcp` was started with; a tool call's own arguments win over these."""

    repo: str | None = None
    redis_url: str | None = None
    model: str | None = None
    max_turns: int | None = None

    def settings(self, repo_path: str | None = None, redis_url: str | None = None) -> Settings:
        return load({"repo": repo_path or self.repo, "redis_url": redis_url or self.redis_url, "model": self.model,
                     "max_turns": self.max_turns, "output_format": "json"})


def failure(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=redact(message))], is_error=True)


def progress_message(event: Any) -> str | None:
    """One progress line per tool call and per finished turn (text deltas would flood the host)."""
    if isinstance(event, Start):
        return f"started: model {event.model}, tools {', '.join(event.tools) or 'none'}"
    if isinstance(event, ToolCall):
        return redact(describe_call(event.name, event.input))
    if isinstance(event, TurnUsage):
        return f"turn {event.turn} done ({event.usage.input_tokens} in / {event.usage.output_tokens} out tokens)"
    return None


async def drive(session: Any, task: str, ctx: Context) -> Final | None:
    """Run the loop in a worker thread, reporting progress; a cancelled request closes the event generator.

    The generator is only ever touched by the worker thread: on cancellation the worker sees the stop
    flag (or the closed stream) at the next event, closes the generator (which cancels the HTTP stream and
    answers every open tool_use), and the request returns only after that.
    """
    send, receive = anyio.create_memory_object_stream(math.inf)
    stop = threading.Event()
    crashed: list[BaseException] = []

    def work() -> None:
        events = session.ask(task)
        try:
            anyio.from_thread.run_sync(send.send_nowait, session.start_event())
            for event in events:
                anyio.from_thread.run_sync(send.send_nowait, event)
                if stop.is_set():
                    break
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # the request was cancelled and stopped listening
        except Exception as error:  # a bug in the loop must not take the server down
            crashed.append(error)
        finally:
            events.close()
            try:
                anyio.from_thread.run_sync(send.close)
            except Exception:
                pass

    final: Final | None = None
    step = 0
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.to_thread.run_sync, work)  # abandon_on_cancel=False: wait for the clean close
            try:
                async with receive:
                    async for event in receive:
                        if isinstance(event, Final):
                            final = event
                        message = progress_message(event)
                        if message:
                            step += 1
                            try:
                                await ctx.report_progress(step, None, message)
                            except Exception:
                                pass  # progress is a courtesy; a client that cannot take it still gets the answer
            except anyio.get_cancelled_exc_class():
                stop.set()
                raise
    finally:
        if stop.is_set():
            sys.stderr.write(f"ask-redis mcp: expert run cancelled by the client and stopped ({step} progress steps)\n")
            sys.stderr.flush()
    if crashed:
        raise crashed[0]
    return final


def build_server(defaults: Defaults | None = None) -> MCPServer:
    defaults = defaults or Defaults()
    server = SafeServer(name=SERVER_NAME, instructions=INSTRUCTIONS, version=_version(), log_level="WARNING")

    @server.tool(
        title="Ask the Redis expert",
        description=EXPERT_DESCRIPTION,
        annotations=ToolAnnotations(title="Ask the Redis expert", open_world_hint=True, **READ_ONLY),
    )
    async def expert(
        task: Annotated[str, Field(description="What to do: a Redis question, a review request ('review the cache layer'), "
                                               "an incident to explain. Be specific; name files or keys when you know them.")],
        ctx: Context,
        repo_path: Annotated[str | None, Field(description="Repository to work in (default: the server's working directory).")] = None,
        redis_url: Annotated[str | None, Field(description="A Redis to inspect read-only: redis://, rediss://, unix:// "
                                                           "(default: the server's --redis-url or REDIS_URL).")] = None,
    ) -> Annotated[CallToolResult, ExpertResult]:
        if not task.strip():
            return failure("task: the task is empty; say what the expert should look at")
        from ask_redis.model import ModelError
        from ask_redis.session import open_session

        if repo_path and not Path(repo_path).expanduser().is_dir():
            return failure(f"repo_path {repo_path}: not a directory")
        try:
            settings = defaults.settings(repo_path, redis_url)
        except ConfigError as error:
            return failure(str(error))
        if settings.api_key is None:
            return failure(NO_API_KEY)
        try:
            session = await anyio.to_thread.run_sync(open_session, settings)
        except ModelError as error:
            return failure(str(error))
        try:
            final = await drive(session, task, ctx)
        except Exception as error:  # reported, not raised: the server keeps serving
            return failure(f"the expert failed unexpectedly: {type(error).__name__}: {error}")
        if final is None:
            return failure("the expert stopped without an answer")
        findings = session.ctx.state.get("findings") or []
        structured = ExpertResult(**final.model_dump(), findings=findings)
        text = final.result if not final.is_error else f"ask-redis: {final.subtype}: {final.result}"
        return CallToolResult(content=[TextContent(type="text", text=text)],
                              structured_content=structured.model_dump(mode="json"), is_error=final.is_error)

    @server.tool(
        title="Redis overview (read-only)",
        description=OVERVIEW_DESCRIPTION,
        annotations=ToolAnnotations(title="Redis overview (read-only)", open_world_hint=False, **READ_ONLY),
    )
    def redis_overview(
        redis_url: Annotated[str | None, Field(description="The Redis to look at: redis://, rediss://, unix:// "
                                                           "(default: the server's --redis-url or REDIS_URL).")] = None,
    ) -> Annotated[CallToolResult, dict[str, Any]]:
        from ask_redis.redis_conn import RedisConnError, connect
        from ask_redis.redis_inspect import format_overview, overview

        try:
            url = defaults.settings(redis_url=redis_url).redis_url
        except ConfigError as error:
            return failure(str(error))
        if not url:
            return failure(NO_REDIS_URL)
        try:
            with connect(url) as conn:
                data = overview(conn)
        except RedisConnError as error:
            return failure(str(error))
        except Exception as error:
            return failure(f"redis_overview failed: {type(error).__name__}: {error}")
        return CallToolResult(content=[TextContent(type="text", text=redact(format_overview(data)))],
                              structured_content=redacted(data))

    return server


def redacted(value: Any) -> Any:
    """Structured data with every string passed through redact (and bytes made text)."""
    if isinstance(value, dict):
        return {str(key): redacted(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redacted(item) for item in value]
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    if isinstance(value, str):
        return redact(value)
    return value


class SafeServer(MCPServer):
    """Argument errors name the fields and what is wrong, never the values (a redis_url may hold a password)."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context | None = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as error:
            if isinstance(error.__cause__, ValidationError):
                problems = "; ".join(f"{'.'.join(str(p) for p in item['loc']) or 'arguments'}: {item['msg']}"
                                     for item in error.__cause__.errors())
                return failure(f"invalid arguments for {name}: {problems}")
            raise


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ask-redis")
    except PackageNotFoundError:
        return "0"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ask-redis mcp",
        description="Serve the Redis expert over MCP (stdio) for other coding agents. "
                    "Register it with: claude mcp add ask-redis -- ask-redis mcp",
    )
    p.add_argument("--repo", help="default repository for the expert (default: the current directory)")
    p.add_argument("--redis-url", help="default Redis to inspect read-only (default: REDIS_URL)")
    p.add_argument("--model", help="model ID or alias: opus, sonnet, haiku")
    p.add_argument("--max-turns", type=int, help="API calls one answer may take (default 40)")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    defaults = Defaults(repo=args.repo, redis_url=args.redis_url, model=args.model, max_turns=args.max_turns)
    try:
        defaults.settings()  # bad flags or a bad config file fail now, not on the first call
    except ConfigError as error:
        sys.stderr.write(f"ask-redis mcp: {error}\n")
        return 2
    if sys.stdin.isatty():
        sys.stderr.write("ask-redis mcp: serving MCP on stdin/stdout; an MCP client starts this command "
                         "(see README, 'Use it from your coding agent'); Ctrl-C stops it\n")
    try:
        build_server(defaults).run("stdio")
    except KeyboardInterrupt:
        return 130
    return 0
