"""The tool protocol. One file per tool; each tool module exposes `TOOLS = [...]`.

A tool has a name, a description, a pydantic input model (its JSON schema is what the
model sees) and `run(input, context) -> str`. Expected failures raise `ToolError`; the
loop turns every failure into an `is_error` tool_result and goes on.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError

from ask_redis.redact import MASK, redact

log = logging.getLogger("ask_redis.tools")


class ToolError(Exception):
    """An expected failure; its message is shown to the model as the tool's error result."""


@dataclass
class ToolContext:
    """What a tool may see of the session. Never holds the API key."""

    workspace: Path
    redis_url: str | None = None
    # Per-session state a tool keeps between calls (e.g. Bash's working directory).
    state: dict[str, Any] = field(default_factory=dict)


class Tool:
    name: ClassVar[str]
    description: ClassVar[str]
    Input: ClassVar[type[BaseModel]]

    def unavailable_reason(self, ctx: ToolContext) -> str | None:
        """None when the tool can be offered in this session, else why not (shown to the user)."""
        return None

    def run(self, input: Any, ctx: ToolContext) -> str:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        schema = self.Input.model_json_schema(by_alias=True)
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return {"name": self.name, "description": self.description, "input_schema": schema}


@dataclass
class ToolOutcome:
    content: str
    is_error: bool


def discover() -> list[Tool]:
    """Every tool in this package, sorted by module name, then by order in TOOLS."""
    found: list[Tool] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "TOOLS", []))
    return found


def available(ctx: ToolContext, only: set[str] | None = None) -> tuple[list[Tool], dict[str, str]]:
    """The tools to offer in this session, and {name: reason} for the ones left out."""
    offered, left_out = [], {}
    for tool in discover():
        if only is not None and tool.name not in only:
            continue
        reason = tool.unavailable_reason(ctx)
        if reason:
            left_out[tool.name] = reason
        else:
            offered.append(tool)
    return offered, left_out


def _describe_validation(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "input"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def session_secrets(ctx: ToolContext) -> list[str]:
    """The passwords in the session's Redis URL (never stored: parsed again for each result)."""
    if not ctx.redis_url:
        return []
    from ask_redis.live.conn import RedisConnError, parse_url

    try:
        secrets = parse_url(ctx.redis_url).secrets()
    except RedisConnError:  # a URL the tools refuse still holds its password: the userinfo up to the last '@'
        userinfo = ctx.redis_url.partition("://")[2].rpartition("@")[0]
        secrets = [userinfo.split(":", 1)[-1]] if userinfo else []
    from urllib.parse import quote

    # As written in a URL too (p%40ss). Very short ones would mask ordinary words; the patterns still apply.
    forms = {form for secret in secrets for form in (secret, quote(secret, safe="")) if len(secret) >= 4}
    return sorted(forms, key=len, reverse=True)


def _clean(text: str, ctx: ToolContext) -> str:
    """Redact a result, and mask the session's own Redis password wherever it appears, in any form of text:
    a repository file may hold it where no pattern can tell it is a secret (a positional argument)."""
    for secret in session_secrets(ctx):
        text = text.replace(secret, MASK)
    return redact(text)


def _lone_surrogate_at(value: Any, where: str = "") -> str | None:
    """The dotted path of the first string in `value` holding a lone surrogate, or None."""
    if isinstance(value, str):
        return where if any("\ud800" <= c <= "\udfff" for c in value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _lone_surrogate_at(item, f"{where}.{key}" if where else str(key))
        if found is not None:
            return found
    return None


def run_tool(tools: dict[str, Tool], name: str, raw_input: Any, ctx: ToolContext) -> ToolOutcome:
    """Run one tool call. Never raises: every failure becomes an error outcome. Output is redacted."""
    tool = tools.get(name)
    if tool is None:
        return ToolOutcome(f"Unknown tool {name!r}. Available tools: {', '.join(sorted(tools))}.", True)
    garbled = _lone_surrogate_at(raw_input)
    if garbled is not None:
        return ToolOutcome(f"Invalid input for {name}: {garbled or 'input'}: not valid Unicode text (it holds a lone "
                           "surrogate such as \\ud800); send it again as plain text", True)
    try:
        parsed = tool.Input.model_validate(raw_input if raw_input is not None else {})
    except ValidationError as error:
        return ToolOutcome(f"Invalid input for {name}: {_describe_validation(error)}", True)
    try:
        return ToolOutcome(_clean(tool.run(parsed, ctx), ctx), False)
    except ToolError as error:
        return ToolOutcome(_clean(str(error), ctx), True)
    except Exception as error:  # a bug in a tool must not end the session
        log.exception("tool %s crashed", name)
        return ToolOutcome(_clean(f"{name} failed unexpectedly: {error!r}", ctx), True)
