"""redis_rdb: the whole keyspace from the RDB dump given with --rdb: exact counts, no server load."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ask_redis.tools import Tool, ToolContext, ToolError

DESCRIPTION = """Analyses every key of the RDB dump the user gave with --rdb (read from the file: no load on any
server). Returns what redis_keyspace returns for a live sample, but exact and over the whole dataset:
per-database key counts; types with estimated in-memory and serialized bytes; namespaces (key patterns
with ids folded to *, e.g. user:*:profile) with key count, memory and TTL coverage; the TTL distribution
at save time; top keys by memory and by length per type; encodings against the listpack/intset limits and
how many keys raising a limit would load compact; big keys; LRU idle / LFU histograms when the dump has
them; streams (groups, consumers, pending), hash field TTLs, function libraries, module types; then the
keyspace findings (big keys, namespaces without TTLs, encodings over the limits). Key names, sizes and
shapes only: values are never read. The first call reads the file (about 5 s per million keys); later
calls reuse the result. Use `namespaces` for more rows and `pattern` to keep only matching namespaces."""


class RdbInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    namespaces: int = Field(25, ge=1, le=500, description="Namespace rows to show, by memory")
    pattern: str | None = Field(None, max_length=200, description="Only namespaces whose pattern contains this text")


class RedisRdb(Tool):
    name = "redis_rdb"
    description = DESCRIPTION
    Input = RdbInput

    def unavailable_reason(self, ctx: ToolContext) -> str | None:
        return None if ctx.state.get("rdb_path") else "no RDB dump given (--rdb FILE)"

    def run(self, input: RdbInput, ctx: ToolContext) -> str:
        from ask_redis.review import rdb_rules

        result = ctx.state.get("rdb_result")
        if result is None:
            result = ctx.state["rdb_result"] = rdb_rules.review(ctx.state["rdb_path"])
        if result.error:
            raise ToolError(result.error)
        data = result.data
        if input.pattern:
            data = dict(data, namespaces=[ns for ns in data["namespaces"] if input.pattern in ns["pattern"]])
        lines = [rdb_rules.format_analysis(data, input.namespaces), "", f"findings ({len(result.findings)}):"]
        lines += [f"  {f.severity.label} {f.rule_id} {f.where}: {f.evidence}" for f in result.findings] or ["  none"]
        lines += [f"note: {note}" for note in result.notes]
        return "\n".join(lines)


TOOLS = [RedisRdb()]
