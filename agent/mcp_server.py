"""`ask-redis mcp`: the expert as an MCP server, for other coding agents (Claude Code, Codex, Cursor, Gemini CLI).

Over stdio (the host starts it) or, with --http, over streamable HTTP for a team's shared server
(ask_redis.mcp_http: bearer token off loopback, Origin checks).

`expert` runs the whole agent loop on a task and answers with text plus the `--json` object as
structured content. The direct tools run the model-free parts (the review engine, the live
instance inspection) so a host agent can use them without an API key. Every tool is read-only; every failure is an
`isError` result, never a crash of the server.
"""

import argparse
import math
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError

from ask_redis.config import ConfigError, Settings, load
from ask_redis.events import Final, Notice, Start, ToolCall, ToolResult, TurnUsage
from ask_redis.oneshot import describe_call
from ask_redis.redact import redact
from ask_redis.stream_json import ResultMessage, StreamJson

SERVER_NAME = "ask-redis"

NO_API_KEY = ("no API key: the expert tool needs ANTHROPIC_API_KEY in this MCP server's environment (Claude Code: "
              "the -e option of claude mcp add; Codex: env in ~/.codex/config.toml) or api_key in "
              "~/.config/ask-redis/config.toml; review, redis_overview, redis_keyspace and redis_slowlog work without one")

NO_REDIS_URL = ("no Redis URL: pass redis_url (redis://, rediss://, unix://), or start the server with "
                "--redis-url or REDIS_URL in its environment")

INSTRUCTIONS = (
    "ask-redis is a senior Redis engineer. Call `expert` with a task (a question, a review request, an incident "
    "to explain) and, when a live instance matters, a redis_url: it reads the repository and inspects Redis "
    "read-only, and answers with file:line and INFO evidence. It can take a few minutes and reports progress. "
    "Without a model, at once: `review` runs the deterministic checks (code, and the instance given a redis_url), "
    "`redis_overview`, `redis_keyspace` and `redis_slowlog` inspect a live instance read-only."
)

EXPERT_DESCRIPTION = (
    "A senior Redis engineer: reads the repository (Read, Grep, Glob, sandboxed Bash) and, given a Redis URL, inspects "
    "the live instance read-only, then answers with file:line and INFO evidence. Use it for Redis design, data "
    "modelling, memory, eviction, persistence, latency, cluster and client-usage questions and for reviews of code "
    "that uses Redis. It never writes to Redis or to the repository. A review takes minutes; progress is reported "
    "per tool call and per turn. structuredContent is the `ask-redis --json` object (Claude Code's result, plus findings)."
)

RedisUrl = Annotated[str | None, Field(description="The Redis to look at, read-only: redis://, rediss://, unix:// "
                                                   "(default: the server's --redis-url or REDIS_URL).")]

OVERVIEW_DESCRIPTION = (
    "The vital signs of a live Redis, read-only and without a model: version, role, memory and maxmemory, eviction "
    "policy, fragmentation, keyspace and TTL coverage, hit ratio, clients, persistence, replication and the "
    "checklist's config values; for a Cluster, every primary. Values are never read."
)

KEYSPACE_DESCRIPTION = (
    "A bounded, read-only sample of a live Redis keyspace, without a model: SCAN COUNT 1000 up to `budget` keys per "
    "primary, with TYPE, MEMORY USAGE, PTTL, length and encoding pipelined per batch. Returns namespaces (key patterns "
    "with ids folded to *) with key count, memory and TTL coverage, TTL buckets, top keys by memory and by length, "
    "encodings against the listpack/intset limits, and big keys. Key names appear; values never."
)

SLOWLOG_DESCRIPTION = (
    "The slow log (grouped by command, arguments never kept) and per-command latency (calls, usec/call, percentiles, "
    "LATENCY LATEST events) of a live Redis, on every primary; read-only, without a model."
)

REVIEW_DESCRIPTION = (
    "The expert's checks without a model: structural rules over the code (redis-py, ioredis/node-redis, go-redis, "
    "Jedis/Lettuce, Lua: KEYS, SET without TTL, a client per request, unpipelined loops, unbounded reads, no "
    "timeouts...) and, given a Redis URL, the live rules (maxmemory, eviction policy vs TTLs, hit ratio, "
    "fragmentation, persistence, big keys...), given an RDB dump the keyspace rules over every key in it, "
    "then the review checklist item by item. Findings are candidates with "
    "file:line (or instance/key), why, the fix and the checklist item; structuredContent is the report as JSON."
)

READ_ONLY = dict(read_only_hint=True, destructive_hint=False, idempotent_hint=True)


class ExpertResult(ResultMessage):
    """structuredContent of the `expert` tool: the `--json` object of a one-shot run, plus findings."""

    findings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the review engine's candidate findings when the expert ran it (rule_id, severity, where, message, "
                    "fix, checklist, evidence, ...); empty otherwise")


@dataclass
class Defaults:
    """What `ask-redis mcp` was started with; a tool call's own arguments win over these."""

    repo: str | None = None
    redis_url: str | None = None
    model: str | None = None
    max_turns: int | None = None
    max_experts: int = 2

    def settings(self, repo_path: str | None = None, redis_url: str | None = None) -> Settings:
        labels = {"repo": "repo_path"} if repo_path else {}
        if redis_url:
            labels["redis_url"] = "redis_url"  # the tool argument, not the server's --redis-url
        return load({"repo": repo_path or self.repo, "redis_url": redis_url or self.redis_url, "model": self.model,
                     "max_turns": self.max_turns, "output_format": "json"}, labels)


def failure(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=redact(message))], is_error=True)


def progress_message(event: Any) -> str | None:
    """One progress line per tool call, per finished turn and per notice (text deltas would flood the host)."""
    if isinstance(event, Start):
        return f"started: model {event.model}, tools {', '.join(event.tools) or 'none'}"
    if isinstance(event, ToolCall):
        return redact(describe_call(event.name, event.input))
    if isinstance(event, Notice):
        return redact(event.message)
    if isinstance(event, TurnUsage):
        return f"turn {event.turn} done ({event.usage.input_tokens} in / {event.usage.output_tokens} out tokens)"
    return None


async def drive(session: Any, task: str, ctx: Context) -> tuple[Final | None, list[ToolCall], StreamJson]:
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
    stream = StreamJson()  # sums what the result object needs (API time, usage per model)
    calls: dict[str, ToolCall] = {}
    succeeded: list[ToolCall] = []
    step = 0
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.to_thread.run_sync, work)  # abandon_on_cancel=False: wait for the clean close
            try:
                async with receive:
                    async for event in receive:
                        stream.messages(event)
                        if isinstance(event, Final):
                            final = event
                        elif isinstance(event, ToolCall):
                            calls[event.id] = event
                        elif isinstance(event, ToolResult) and not event.is_error and event.id in calls:
                            succeeded.append(calls[event.id])
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
    return final, succeeded, stream


def review_findings(ctx: Any, calls: list[ToolCall]) -> list[dict[str, Any]]:
    """Structured findings for the paths the expert ran `redis_review` on.

    The engine is deterministic, so scanning the same paths again yields what the model saw, as data
    (paths made relative to the workspace). They are candidates: the answer says which hold.
    """
    from ask_redis.review.engine import scan
    from ask_redis.tools.workspace import resolve

    root = ctx.workspace.resolve()
    found: dict[tuple, dict[str, Any]] = {}
    for call in calls:
        if call.name != "redis_review":
            continue
        try:
            target = resolve(ctx, call.input.get("path"))
        except Exception:
            continue
        base = target if target.is_dir() else target.parent
        for finding in scan(target).findings:
            item = finding.to_dict()
            if item.get("path"):
                item["path"] = (base / item["path"]).relative_to(root).as_posix()
                item["where"] = f"{item['path']}:{item['line']}" if item.get("line") else item["path"]
            found.setdefault((item["rule_id"], item.get("path"), item.get("line")), item)
    return redacted(list(found.values()))


def build_server(defaults: Defaults | None = None) -> MCPServer:
    defaults = defaults or Defaults()
    server = SafeServer(name=SERVER_NAME, instructions=INSTRUCTIONS, version=_version(), log_level="WARNING")
    running = [0]  # expert runs in progress, over every client of this server

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
        if running[0] >= defaults.max_experts:
            return failure(f"busy: {running[0]} expert run{'s' * (running[0] != 1)} already in progress, the most this "
                           "server takes at once (its --max-experts); try again when one finishes. review, "
                           "redis_overview, redis_keyspace and redis_slowlog are not limited")
        running[0] += 1
        try:
            try:
                session = await anyio.to_thread.run_sync(open_session, settings)
            except ModelError as error:
                return failure(str(error))
            try:
                final, calls, stream = await drive(session, task, ctx)
                findings = await anyio.to_thread.run_sync(review_findings, session.ctx, calls) if final else []
            except Exception as error:  # reported, not raised: the server keeps serving
                return failure(f"the expert failed unexpectedly: {type(error).__name__}: {error}")
            finally:
                close_session_resources(session)
        finally:
            running[0] -= 1
        if final is None:
            return failure("the expert stopped without an answer")
        structured = ExpertResult(**stream.result(final).model_dump(), findings=findings)
        text = final.result if not final.is_error else f"ask-redis: {final.subtype}: {final.result}"
        return CallToolResult(content=[TextContent(type="text", text=text)],
                              structured_content=structured.model_dump(mode="json"), is_error=final.is_error)

    def redis_url_for(redis_url: str | None) -> str:
        url = defaults.settings(redis_url=redis_url).redis_url
        if not url:
            raise ConfigError(NO_REDIS_URL)
        return url

    def inspect(name: str, redis_url: str | None, action: Callable[[Any], tuple[str, dict[str, Any]]]) -> CallToolResult:
        """Connect read-only, run `action(conn) -> (text, data)`; every failure is one isError line."""
        from ask_redis.live import safety as redis_safety
        from ask_redis.live.conn import RedisConnError, connect

        try:
            url = redis_url_for(redis_url)
            with connect(url) as conn:
                text, data = action(conn)
        except (ConfigError, RedisConnError) as error:
            return failure(str(error))
        except redis_safety.RefusedCommand as error:
            return failure(f"refused before sending: {error}")
        except Exception as error:
            return failure(f"{name} failed: {type(error).__name__}: {error}")
        return CallToolResult(content=[TextContent(type="text", text=redact(text))], structured_content=redacted(data))

    @server.tool(title="Redis overview", description=OVERVIEW_DESCRIPTION,
                 annotations=ToolAnnotations(title="Redis overview", open_world_hint=False, **READ_ONLY))
    def redis_overview(redis_url: RedisUrl = None) -> Annotated[CallToolResult, dict[str, Any]]:
        from ask_redis.live.inspection import format_overview, overview

        def action(conn):
            data = overview(conn)
            return format_overview(data), data

        return inspect("redis_overview", redis_url, action)

    @server.tool(title="Redis keyspace sample", description=KEYSPACE_DESCRIPTION,
                 annotations=ToolAnnotations(title="Redis keyspace sample", open_world_hint=False, **READ_ONLY))
    def redis_keyspace(
        redis_url: RedisUrl = None,
        budget: Annotated[int, Field(ge=1, le=200_000, description="Keys to sample per primary.")] = 10_000,
        match: Annotated[str | None, Field(max_length=200, pattern=r"^[^\r\n\x00]*$",
                                           description="SCAN MATCH glob to focus on, e.g. 'session:*'.")] = None,
        type: Annotated[str | None, Field(pattern="^(string|hash|list|set|zset|stream)$",
                                          description="Only keys of this type.")] = None,
    ) -> Annotated[CallToolResult, dict[str, Any]]:
        from ask_redis.live.inspection import format_keyspace, sample_keyspace

        def action(conn):
            data = sample_keyspace(conn, budget, match=match, type_filter=type)
            return format_keyspace(data), data

        return inspect("redis_keyspace", redis_url, action)

    @server.tool(title="Redis slow log and latency", description=SLOWLOG_DESCRIPTION,
                 annotations=ToolAnnotations(title="Redis slow log and latency", open_world_hint=False, **READ_ONLY))
    def redis_slowlog(redis_url: RedisUrl = None) -> Annotated[CallToolResult, dict[str, Any]]:
        from ask_redis.live.inspection import format_slowlog, latency, slowlog

        def action(conn):
            slow, lat = slowlog(conn), latency(conn)
            return format_slowlog(slow, lat), {"slowlog": slow, "latency": lat}

        return inspect("redis_slowlog", redis_url, action)

    @server.tool(title="Redis review (no model)", description=REVIEW_DESCRIPTION,
                 annotations=ToolAnnotations(title="Redis review (no model)", open_world_hint=False, **READ_ONLY))
    def review(
        path: Annotated[str | None, Field(description="File or directory to review (default: the server's repository).")] = None,
        redis_url: Annotated[str | None, Field(description="Also run the live checks on this Redis, read-only "
                                                           "(default: the server's --redis-url or REDIS_URL; none: code only).")] = None,
        rdb: Annotated[str | None, Field(description="Also analyse every key of this RDB dump file (from BGSAVE, a "
                                                     "replica or a backup export), at no cost to any server.")] = None,
    ) -> Annotated[CallToolResult, dict[str, Any]]:
        from ask_redis.review.run import run_review
        from ask_redis.review.report import render

        try:
            settings = defaults.settings(redis_url=redis_url)
        except ConfigError as error:
            return failure(str(error))
        target = Path(path).expanduser() if path else settings.repo
        if not target.is_absolute():
            target = settings.repo / target
        if not target.exists():
            return failure(f"path {path}: no such file or directory")
        dump = None
        if rdb:
            dump = Path(rdb).expanduser()
            dump = dump if dump.is_absolute() else settings.repo / dump
            if not dump.is_file():
                return failure(f"rdb {rdb}: no such file")
        try:
            report = run_review(target, settings.redis_url, rdb=dump)
            text = render(report, "text")
        except Exception as error:
            from ask_redis.live.rdb import RdbError

            if isinstance(error, RdbError):
                return failure(f"rdb: {error}")
            return failure(f"review failed: {type(error).__name__}: {error}")
        if report.live_error:
            text += f"\nlive checks skipped: {report.live_error}"
        return CallToolResult(content=[TextContent(type="text", text=redact(text))], structured_content=redacted(report.to_dict()))

    return server


def close_session_resources(session: Any) -> None:
    """A long-lived server must not keep one Redis connection per finished run (the redis tools cache it in state)."""
    from ask_redis.live.conn import RedisConnection

    for value in list(session.ctx.state.values()):
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, RedisConnection):
                item.close()
    session.ctx.state.clear()


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
    """Argument errors name the fields and what is wrong, never the values (a redis_url may hold a password).
    Input schemas show optional arguments as plain types, as the loop's own tools do (null still means unset)."""

    async def list_tools(self) -> list[Any]:
        from ask_redis.tools.workspace import plain_optional_schema

        tools = await super().list_tools()
        for tool in tools:
            tool.input_schema.pop("title", None)
            for prop in tool.input_schema.get("properties", {}).values():
                prop.pop("title", None)
            plain_optional_schema(tool.input_schema)
        return tools

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context | None = None) -> Any:
        began, outcome = time.monotonic(), "cancelled"
        try:
            result = await super().call_tool(name, arguments, context)
            outcome = "error" if getattr(result, "is_error", False) else "ok"
            return result
        except ToolError as error:
            if isinstance(error.__cause__, ValidationError):
                problems = "; ".join(f"{'.'.join(str(p) for p in item['loc']) or 'arguments'}: {item['msg']}"
                                     for item in error.__cause__.errors())
                outcome = "error"
                return failure(f"invalid arguments for {name}: {problems}")
            outcome = "error"
            raise
        finally:
            log_call(name, arguments, outcome, began)


def logged_value(key: str, value: Any) -> str:
    """Free text (a task) may hold anything, so only its length is logged; short values are shown redacted."""
    if isinstance(value, str) and key != "task" and len(value) <= 80:
        return redact(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return str(value)
    return f"<{len(value)} chars>" if isinstance(value, str) else f"<{type(value).__name__}>"


def log_call(name: str, arguments: Any, outcome: str, began: float) -> None:
    """One line per call on stderr (the host's MCP log): the tool, its arguments redacted, the outcome and time."""
    shown = ", ".join(f"{key}={logged_value(key, value)}" for key, value in arguments.items()) if isinstance(arguments, dict) else ""
    sys.stderr.write(f"ask-redis mcp: call {name}({shown}) -> {outcome} ({int((time.monotonic() - began) * 1000)} ms)\n")
    sys.stderr.flush()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ask-redis")
    except PackageNotFoundError:
        return "0"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ask-redis mcp",
        description="Serve the Redis expert over MCP for other coding agents: over stdio (the host starts it; "
                    "claude mcp add ask-redis -- ask-redis mcp) or, with --http, over streamable HTTP.",
    )
    p.add_argument("--repo", help="default repository for the expert (default: the current directory)")
    p.add_argument("--redis-url", help="default Redis to inspect read-only (default: REDIS_URL)")
    p.add_argument("--model", help="model ID or alias: opus, sonnet, haiku")
    p.add_argument("--max-turns", type=int, help="API calls one answer may take (default 40)")
    p.add_argument("--max-experts", type=int, default=2, metavar="N",
                   help="expert runs served at once; more get a busy error (default 2)")
    p.add_argument("--http", metavar="[HOST:]PORT", help="serve streamable HTTP at http://HOST:PORT/mcp (HOST default "
                                                         "127.0.0.1; port 0 picks a free one) instead of stdio")
    p.add_argument("--token-file", metavar="FILE", help="--http: the bearer token clients must send (or ASK_REDIS_MCP_TOKEN); "
                                                        "required off loopback")
    p.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                   help="--http: a browser Origin allowed to call the server (repeatable; loopback origins are "
                        "allowed on loopback)")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    defaults = Defaults(repo=args.repo, redis_url=args.redis_url, model=args.model, max_turns=args.max_turns,
                        max_experts=args.max_experts)
    try:
        defaults.settings()  # bad flags or a bad config file fail now, not on the first call
    except ConfigError as error:
        sys.stderr.write(f"ask-redis mcp: {error}\n")
        return 2
    if args.max_experts < 1:
        sys.stderr.write("ask-redis mcp: --max-experts: give 1 or more\n")
        return 2
    if args.http is not None:
        from ask_redis.mcp_http import HttpSetupError, parse_address, serve

        try:
            host, port = parse_address(args.http)
            return serve(build_server(defaults), host, port, args.token_file, args.allow_origin)
        except HttpSetupError as error:
            sys.stderr.write(f"ask-redis mcp: {error}\n")
            return 2
    if args.token_file or args.allow_origin:
        sys.stderr.write("ask-redis mcp: --token-file and --allow-origin apply to --http only\n")
        return 2
    if sys.stdin.isatty():
        sys.stderr.write("ask-redis mcp: serving MCP on stdin/stdout; an MCP client starts this command "
                         "(see README, 'Use it from your coding agent'); Ctrl-C stops it\n")
    try:
        build_server(defaults).run("stdio")
    except KeyboardInterrupt:
        return 130
    return 0
