"""redis_overview: the first look at a live Redis, in one call."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ask_redis.live.inspection import format_overview, overview
from ask_redis.tools import Tool, ToolContext
from ask_redis.tools.redis_session import guarded, unavailable

DESCRIPTION = """Overview of the live Redis the user connected (read-only; every primary of a Cluster).

Returns, per primary: version, mode, role, uptime; memory used/peak/rss vs maxmemory and the eviction
policy, fragmentation; keys and keys with TTL per database; hit ratio, evictions, expirations, ops/s,
rejected connections; clients vs maxclients; persistence (RDB save rules and last status, AOF);
replication (replicas, lag, link status); cached scripts; slow log and latency-monitor settings; users
without a password; and the config values a review needs (listpack/intset limits, lazyfree, timeouts).
Secrets (requirepass, masterauth) show only as [REDACTED]. Start here before other redis_* tools."""


class OverviewInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RedisOverview(Tool):
    name = "redis_overview"
    description = DESCRIPTION
    Input = OverviewInput

    def unavailable_reason(self, ctx: ToolContext) -> str | None:
        return unavailable(ctx)

    def run(self, input: OverviewInput, ctx: ToolContext) -> str:
        return guarded(ctx, lambda conn: format_overview(overview(conn)))


TOOLS = [RedisOverview()]
