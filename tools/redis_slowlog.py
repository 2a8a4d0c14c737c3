"""redis_slowlog: the slow log and per-command latency, grouped by command."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ask_redis.live.inspection import format_slowlog, latency, slowlog
from ask_redis.tools import Tool, ToolContext
from ask_redis.tools.redis_session import guarded, unavailable

DESCRIPTION = """Slow log and latency of the live Redis (read-only; every primary of a Cluster).

Returns the slow log grouped by command (count, total/max/avg time, last seen, top client addresses;
arguments are never shown), the slow-log settings, the commands that cost the most server time from
INFO commandstats with usec/call and p50/p99/p99.9 from INFO latencystats, and the latency monitor's
threshold and events (LATENCY LATEST). Nothing is reset."""


class SlowlogInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(128, ge=1, le=1000, description="Slow-log entries to read per primary")
    top: int = Field(15, ge=1, le=100, description="Commands to list by total server time")


class RedisSlowlog(Tool):
    name = "redis_slowlog"
    description = DESCRIPTION
    Input = SlowlogInput

    def unavailable_reason(self, ctx: ToolContext) -> str | None:
        return unavailable(ctx)

    def run(self, input: SlowlogInput, ctx: ToolContext) -> str:
        return guarded(ctx, lambda conn: format_slowlog(slowlog(conn, input.count), latency(conn, input.top)))


TOOLS = [RedisSlowlog()]
