"""redis_review: the deterministic review engine as a tool, so a review starts from candidate findings."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, ConfigDict, Field

from ask_redis.tools import Tool, ToolContext, ToolError
from ask_redis.tools.workspace import resolve

DEFAULT_LIMIT = 60
# Files that could not be analysed are named up to this many (a vendored or generated tree can have thousands).
MAX_ERRORS_SHOWN = 10

DESCRIPTION = """Runs ask-redis's static Redis review rules over a path in the workspace and returns candidate findings.

Structural checks (syntax trees, not grep) for redis-py (sync/asyncio), ioredis/node-redis, go-redis,
Jedis/Lettuce, and Lua (.lua files and scripts in strings): KEYS in code, SET without TTL, a client built
per call, commands one by one in a loop (no pipeline), DEL on collections, HGETALL/SMEMBERS/LRANGE 0 -1,
clients with no socket timeout, EVAL of built scripts, WATCH/MULTI carrying logic, multi-key commands
without hash tags on Cluster, pickle values, SELECT/db != 0, FLUSHALL/FLUSHDB outside tests, XADD without
MAXLEN, keys without a namespace; in Lua: KEYS, keys not from KEYS[], scripts over 100 lines, unbounded loops.

Rules query one model of the whole program: clients followed through factories, wrappers and imports,
helpers that issue commands, and key families (pattern, type, TTL, bound, writers, readers). With
keys=true the result also lists that key inventory, one row per family.

Each line: severity, file:line, rule id, the source line. Findings are candidates: open the file and
confirm before reporting them. Test files and fixtures are skipped (except Lua rules). Use it first when
asked to review Redis usage, then read the flagged code and what the rules cannot see."""


class ReviewInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(None, description="File or directory inside the workspace (default: the workspace root).")
    min_severity: str = Field("low", description="Lowest severity to list: info, low, medium or high.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=500, description="Most findings to list (the rest are counted).")
    keys: bool = Field(False, description="Also list the key inventory: one row per key family with its TTL verdict, "
                                          "bound, writers and readers.")


class RedisReview(Tool):
    name = "redis_review"
    description = DESCRIPTION
    Input = ReviewInput

    def unavailable_reason(self, ctx: ToolContext) -> str | None:
        try:
            import ask_redis.review.engine  # noqa: F401  (the rules ship as a subpackage)
        except ImportError as error:
            return f"the review rules are not installed ({error})"
        return None

    def run(self, input: ReviewInput, ctx: ToolContext) -> str:
        from ask_redis.review.findings import Severity, all_rules
        from ask_redis.review.engine import scan

        target = resolve(ctx, input.path)
        if not target.exists():
            raise ToolError(f"{input.path}: no such file or directory in the workspace.")
        try:
            floor = Severity.parse(input.min_severity)
        except ValueError as error:
            raise ToolError(str(error)) from None
        result = scan(target)
        base = target if target.is_dir() else target.parent
        prefix = base.relative_to(ctx.workspace.resolve()).as_posix() if base != ctx.workspace.resolve() else ""
        shown = [f for f in result.findings if f.severity >= floor]
        counts = Counter(f.severity.label for f in result.findings)
        lines = [f"{result.files_seen} source files, {result.files_analyzed} mention Redis; findings: "
                 + (", ".join(f"{counts[s.label]} {s.label}" for s in sorted(Severity, reverse=True) if counts[s.label]) or "none")]
        if result.uses_cluster:
            lines.append("Cluster client seen: multi-key commands are checked for hash tags.")
        for f in shown[: input.limit]:
            path = f"{prefix}/{f.path}" if prefix else f.path
            lines.append(f"{f.severity.label.upper():6} {path}:{f.line} [{f.rule_id}] {f.evidence}")
        if len(shown) > input.limit:
            lines.append(f"... {len(shown) - input.limit} more (raise limit, or narrow path / min_severity)")
        hidden = len(result.findings) - len(shown)
        if hidden:
            lines.append(f"({hidden} below {floor.label} not listed)")
        rules = sorted({f.rule_id for f in shown[: input.limit]})
        if rules:
            catalogue = all_rules()
            lines.append("rules:")
            lines += [f"  {r}: {catalogue[r].title}. Fix: {catalogue[r].fix}" for r in rules]
        if input.keys and result.program is not None:
            from ask_redis.review import inventory

            lines.append(inventory.render(inventory.rows(result.program)[: input.limit], None))
        for error in result.errors[:MAX_ERRORS_SHOWN]:
            lines.append(f"not analysed: {error}")
        if len(result.errors) > MAX_ERRORS_SHOWN:
            lines.append(f"... {len(result.errors) - MAX_ERRORS_SHOWN} more files not analysed")
        return "\n".join(lines)


TOOLS = [RedisReview()]
