"""redis_keyspace: bounded sampling of the keyspace: namespaces, big keys, TTLs, encodings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ask_redis.live.inspection import DEFAULT_BUDGET, format_keyspace, sample_keyspace
from ask_redis.tools import Tool, ToolContext, ToolError
from ask_redis.tools.redis_session import guarded, unavailable

MAX_BUDGET = 200_000
# One call samples for at most this long (all primaries together), then reports what it has.
TIME_LIMIT_SECONDS = 60.0

DESCRIPTION = f"""Samples the live Redis keyspace (read-only, bounded) and summarises its shape.

Walks SCAN on every primary up to `budget` keys per primary (default {DEFAULT_BUDGET}, max {MAX_BUDGET}),
spread over the whole cursor space (a different part each run), pipelining TYPE, MEMORY USAGE, PTTL, the
length (STRLEN/HLEN/LLEN/SCARD/ZCARD/XLEN, only with CLIENT NO-TOUCH, 7.2+ and Valkey, so that no key's
LRU/LFU is refreshed) and OBJECT ENCODING, with pauses so other clients do not notice. Returns:
namespaces (key patterns with ids folded to *, e.g. user:*:profile) with key count, memory and TTL
coverage; types (module types by their own name); TTL buckets; top keys by memory and by length per type;
encodings against the listpack/intset limits from CONFIG GET, with what raising a limit would convert and
save; big-key counts; the sample's memory extrapolated with its 95% interval beside used_memory_dataset
and, when much is unexplained, what a MEMORY USAGE search of the rest found; how many keyspace hits and
calls the sample added. On a partial sample it says the scale factor for whole-keyspace estimates; a walk
stops after {TIME_LIMIT_SECONDS:g} s with what it has. Key names are shown, values never.
Use `match` (a SCAN MATCH glob like "session:*") or `type` to focus."""


class KeyspaceInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget: int = Field(DEFAULT_BUDGET, ge=1, le=MAX_BUDGET, description="Keys to sample per primary")
    match: str | None = Field(None, max_length=200, description="SCAN MATCH glob, e.g. 'cache:*'")
    type: str | None = Field(None, pattern="^(string|hash|list|set|zset|stream)$", description="Only keys of this type")
    separator: str = Field(":", min_length=1, max_length=3, description="Namespace separator in key names")
    pause_ms: int = Field(0, ge=0, le=1000, description="Pause between SCAN batches, to be gentler on a busy server")


class RedisKeyspace(Tool):
    name = "redis_keyspace"
    description = DESCRIPTION
    Input = KeyspaceInput

    def unavailable_reason(self, ctx: ToolContext) -> str | None:
        return unavailable(ctx)

    def run(self, input: KeyspaceInput, ctx: ToolContext) -> str:
        if input.match and any(c in input.match for c in "\r\n\x00"):
            raise ToolError("match may not contain CR, LF or NUL characters")

        def sample(conn):
            data = sample_keyspace(conn, input.budget, match=input.match, type_filter=input.type,
                                   pause=input.pause_ms / 1000, separator=input.separator,
                                   time_limit=TIME_LIMIT_SECONDS)
            return format_keyspace(data)

        return guarded(ctx, sample)


TOOLS = [RedisKeyspace()]
