"""What the redis_* tools share: one cached read-only connection per session, and error handling."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from ask_redis.live import safety as redis_safety
from ask_redis.live.conn import RedisConnection, RedisConnError, connect, describe_error
from ask_redis.tools import ToolContext, ToolError

NO_URL = "no Redis URL configured (give --redis-url or set REDIS_URL)"
_STATE_KEY = "redis_connection"
T = TypeVar("T")


def unavailable(ctx: ToolContext) -> str | None:
    return None if ctx.redis_url else NO_URL


def connection(ctx: ToolContext) -> RedisConnection:
    """The session's connection to ctx.redis_url, made on first use and kept in ctx.state."""
    cached = ctx.state.get(_STATE_KEY)
    if cached and cached[0] == ctx.redis_url:
        return cached[1]
    if cached:
        cached[1].close()
    if not ctx.redis_url:
        raise ToolError(NO_URL)
    try:
        conn = connect(ctx.redis_url)
    except RedisConnError as error:
        raise ToolError(str(error)) from None
    ctx.state[_STATE_KEY] = (ctx.redis_url, conn)
    return conn


def guarded(ctx: ToolContext, action: Callable[[RedisConnection], T]) -> T:
    """Run `action` on the session's connection; refusals and failures become one-line ToolErrors.

    A failure drops the cached connection so the next call reconnects.
    """
    conn = connection(ctx)
    try:
        return action(conn)
    except redis_safety.RefusedCommand as error:
        raise ToolError(f"Refused before sending: {error}") from None
    except RedisConnError as error:
        _drop(ctx)
        raise ToolError(str(error)) from None
    except (OSError, ValueError) as error:
        _drop(ctx)
        raise ToolError(describe_error(error)) from None


def _drop(ctx: ToolContext) -> None:
    cached = ctx.state.pop(_STATE_KEY, None)
    if cached:
        cached[1].close()


def text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)
