"""redis_command: one allowlisted read-only command against the live Redis."""

from __future__ import annotations

import shlex
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ask_redis.live import safety as redis_safety
from ask_redis.live.conn import Node, RedisConnection
from ask_redis.tools import Tool, ToolContext, ToolError
from ask_redis.tools.redis_session import guarded, text, unavailable

MAX_OUTPUT_CHARS = 20_000
# Where the key is, for routing a command to the Cluster primary that owns it.
KEY_AT = {"type": 1, "exists": 1, "ttl": 1, "pttl": 1, "expiretime": 1, "pexpiretime": 1, "strlen": 1, "hlen": 1,
          "llen": 1, "scard": 1, "zcard": 1, "xlen": 1, "memory|usage": 2, "object|encoding": 2, "object|freq": 2,
          "object|idletime": 2, "object|refcount": 2, "xinfo|groups": 2, "xinfo|consumers": 2}

DESCRIPTION = f"""Runs ONE read-only Redis command from an allowlist on the live Redis and returns its reply.

Allowed: {redis_safety.allowed_summary()}.
Anything else (writes, KEYS, MONITOR, DEBUG, EVAL/FCALL, SUBSCRIBE, CONFIG SET, value reads such as GET
or HGETALL, ...) is refused before it is sent, with the reason and the safe alternative. SCAN COUNT is
at most {redis_safety.MAX_SCAN_COUNT}. Write the command as you would in redis-cli, e.g. "CONFIG GET maxmemory*",
"MEMORY USAGE user:42", "OBJECT ENCODING cart:9"; quote arguments that contain spaces.
In a Cluster, key commands go to the primary owning the key; other commands run on every primary
unless `node` (host:port) is given. For overviews, keyspace shape and slow log prefer redis_overview,
redis_keyspace and redis_slowlog."""


class CommandInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field(description="The command and its arguments, e.g. 'INFO memory' or 'SLOWLOG GET 10'",
                         min_length=1, max_length=2000)
    node: str | None = Field(None, description="Cluster only: the primary (host:port) to run it on")


def format_reply(reply: Any, indent: str = "") -> str:
    """A reply as compact text: dicts as `key: value` lines, lists numbered, bytes decoded."""
    if isinstance(reply, dict):
        if not reply:
            return indent + "(empty)"
        lines = []
        for key, value in reply.items():
            if isinstance(value, (dict, list)) and value:
                lines.append(f"{indent}{text(key)}:")
                lines.append(format_reply(value, indent + "  "))
            else:
                lines.append(f"{indent}{text(key)}: {text(value) if not isinstance(value, (dict, list)) else '(empty)'}")
        return "\n".join(lines)
    if isinstance(reply, (list, tuple)):
        if not reply:
            return indent + "(empty list)"
        if all(not isinstance(v, (dict, list, tuple)) for v in reply) and len(reply) <= 8 and sum(
                len(text(v)) for v in reply) < 200:
            return indent + " ".join(text(v) if text(v) else '""' for v in reply)
        lines = []
        for number, value in enumerate(reply, 1):
            if isinstance(value, (dict, list, tuple)):
                lines.append(f"{indent}{number})")
                lines.append(format_reply(value, indent + "   "))
            else:
                lines.append(f"{indent}{number}) {text(value)}")
        return "\n".join(lines)
    if reply is None:
        return indent + "(nil)"
    if isinstance(reply, bool):
        return indent + ("OK" if reply else "(false)")
    return indent + "\n".join(text(reply).splitlines()) if text(reply) else indent + '""'


def _targets(conn: RedisConnection, args: list[str], node: str | None) -> list[Node]:
    if node:
        return [conn.node(node)]
    position = KEY_AT.get(redis_safety.command_key(args))
    if conn.mode == "cluster" and position is not None and len(args) > position:
        return [conn.node_for_key(args[position])]
    return conn.nodes


class RedisCommand(Tool):
    name = "redis_command"
    description = DESCRIPTION
    Input = CommandInput

    def unavailable_reason(self, ctx: ToolContext) -> str | None:
        return unavailable(ctx)

    def run(self, input: CommandInput, ctx: ToolContext) -> str:
        if any(c in input.command for c in "\r\n\x00"):
            raise ToolError("Refused before sending: commands may not contain CR, LF or NUL characters")
        try:
            args = shlex.split(input.command)
        except ValueError as error:
            raise ToolError(f"Cannot split the command into words: {error}") from None
        reason = redis_safety.refusal_reason(args)  # before connecting: a refusal needs no server
        if reason:
            raise ToolError(f"Refused before sending: {reason}")

        def execute(conn: RedisConnection) -> str:
            targets = _targets(conn, args, input.node)
            parts = []
            for target in targets:
                reply = target.call(*args)
                if isinstance(reply, dict) and redis_safety.command_key(args) == "config|get":
                    reply = dict(sorted(reply.items()))  # the server answers in hash-table order; sorted reads (and replays) the same
                body = format_reply(reply)
                parts.append(f"[{target.name}]\n{body}" if len(targets) > 1 or conn.mode == "cluster" else body)
            out = "\n".join(parts)
            if len(out) > MAX_OUTPUT_CHARS:
                out = out[:MAX_OUTPUT_CHARS] + f"\n... cut at {MAX_OUTPUT_CHARS} of {len(out)} characters"
            return out

        return guarded(ctx, execute)


TOOLS = [RedisCommand()]
