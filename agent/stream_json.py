"""`--output-format stream-json` and `--json` as `claude -p --output-format stream-json --verbose` writes them.

A parser written for Claude Code reads ask-redis unchanged: `system`/`init` first, an `assistant`
message per API call (its content blocks), a `user` message per tool result, `stream_event` lines
(the API's own stream events) with --include-partial-messages, and a `result` last, with Claude
Code's fields and subtypes. What ask-redis knows beyond that (its finer subtype, cost per call,
the Redis target, tools left out, retries) travels in additional fields; no Claude Code field
changes meaning. The models below are also the README's schema.
"""

from __future__ import annotations

import uuid as uuid_module
from typing import Any, Literal

from pydantic import BaseModel, Field

from ask_redis.events import (SCHEMA_VERSION, ApiStreamEvent, Final, Notice, Start, Subtype, ToolResult, TurnUsage,
                              Usage)

# ask-redis's own subtype -> Claude Code's. Claude Code has success, error_max_turns and
# error_during_execution for the stops ask-redis can meet; the finer reason is in ask_redis_subtype.
CLAUDE_SUBTYPES: dict[str, str] = {"success": "success", "error_max_turns": "error_max_turns"}

ResultSubtype = Literal["success", "error_max_turns", "error_during_execution"]


def new_uuid() -> str:
    return str(uuid_module.uuid4())


class SystemInit(BaseModel):
    """First line: what the session runs with."""

    type: Literal["system"] = "system"
    subtype: Literal["init"] = "init"
    session_id: str
    uuid: str = Field(default_factory=new_uuid)
    cwd: str
    model: str
    tools: list[str]
    mcp_servers: list[dict[str, str]] = []
    schema_version: int = SCHEMA_VERSION
    tools_unavailable: dict[str, str] = {}
    redis: str | None = None


class SystemRetry(BaseModel):
    """An API call failed and is tried again (Claude Code's `api_retry`)."""

    type: Literal["system"] = "system"
    subtype: Literal["api_retry"] = "api_retry"
    session_id: str
    uuid: str = Field(default_factory=new_uuid)
    attempt: int
    max_retries: int
    retry_delay_ms: int
    error_status: int | None
    error: str


class SystemNotice(BaseModel):
    """Something the user should know that is not part of the answer (e.g. why an answer was cut)."""

    type: Literal["system"] = "system"
    subtype: Literal["notice"] = "notice"
    session_id: str
    uuid: str = Field(default_factory=new_uuid)
    message: str


class ApiMessage(BaseModel):
    """The Messages API's message, as Claude Code nests it in `assistant` lines."""

    id: str | None
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    model: str
    content: list[dict[str, Any]]
    stop_reason: str | None
    stop_sequence: str | None = None
    usage: Usage


class AssistantMessage(BaseModel):
    """One API call's reply with all its content blocks (text, tool_use, thinking), printed before its tools run."""

    type: Literal["assistant"] = "assistant"
    message: ApiMessage
    parent_tool_use_id: str | None = None
    session_id: str
    uuid: str = Field(default_factory=new_uuid)
    turn: int
    cost_usd: float
    duration_ms: int


class ToolResultMessage(BaseModel):
    """The user turn that answers one tool_use (Claude Code prints tool results as `user` messages)."""

    type: Literal["user"] = "user"
    message: dict[str, Any]
    parent_tool_use_id: str | None = None
    session_id: str
    uuid: str = Field(default_factory=new_uuid)
    tool_name: str
    duration_ms: int


class StreamEventMessage(BaseModel):
    """With --include-partial-messages: one raw Messages API stream event (message_start, content_block_delta, ...)."""

    type: Literal["stream_event"] = "stream_event"
    event: dict[str, Any]
    parent_tool_use_id: str | None = None
    session_id: str
    uuid: str = Field(default_factory=new_uuid)


class ResultMessage(BaseModel):
    """Last line (and the whole `--json` output): Claude Code's result, plus ask-redis's finer subtype."""

    type: Literal["result"] = "result"
    subtype: ResultSubtype
    is_error: bool
    duration_ms: int
    duration_api_ms: int
    num_turns: int
    result: str
    stop_reason: str | None
    session_id: str
    total_cost_usd: float
    usage: Usage
    modelUsage: dict[str, dict[str, Any]]
    permission_denials: list[dict[str, Any]] = []
    errors: list[str] = []
    api_error_status: int | None = None
    uuid: str = Field(default_factory=new_uuid)
    ask_redis_subtype: Subtype
    schema_version: int = SCHEMA_VERSION


MESSAGES = [SystemInit, SystemRetry, SystemNotice, AssistantMessage, ToolResultMessage, StreamEventMessage, ResultMessage]


class StreamJson:
    """Turns one run's events into Claude Code's messages; it also sums what the result needs (API time, usage per model)."""

    def __init__(self, partial: bool = False):
        self.partial = partial
        self.session_id, self.model = "", ""
        self.api_ms = 0
        self.last_notice: str | None = None
        self.model_usage: dict[str, dict[str, Any]] = {}

    def messages(self, event: Any) -> list[BaseModel]:
        if isinstance(event, Start):
            self.session_id, self.model = event.session_id, event.model
            return [SystemInit(session_id=event.session_id, cwd=event.workspace, model=event.model, tools=event.tools,
                               tools_unavailable=event.tools_unavailable, redis=event.redis)]
        if isinstance(event, TurnUsage):
            self.api_ms += event.duration_ms
            self._count(event)
            message = ApiMessage(id=event.message_id, model=self.model, content=event.content, stop_reason=event.stop_reason,
                                 usage=event.usage)
            return [AssistantMessage(message=message, session_id=self.session_id, turn=event.turn, cost_usd=event.cost_usd,
                                     duration_ms=event.duration_ms)]
        if isinstance(event, ToolResult):
            block = {"type": "tool_result", "tool_use_id": event.id, "content": event.content, "is_error": event.is_error}
            return [ToolResultMessage(message={"role": "user", "content": [block]}, session_id=self.session_id,
                                      tool_name=event.name, duration_ms=event.duration_ms)]
        if isinstance(event, ApiStreamEvent):
            return [StreamEventMessage(event=event.event, session_id=self.session_id)] if self.partial else []
        if isinstance(event, Notice):
            if event.retry_attempt is not None:
                return [SystemRetry(session_id=self.session_id, attempt=event.retry_attempt, max_retries=event.max_retries or 0,
                                    retry_delay_ms=event.retry_delay_ms or 0, error_status=event.error_status, error=event.message)]
            self.last_notice = event.message
            return [SystemNotice(session_id=self.session_id, message=event.message)]
        if isinstance(event, Final):
            return [self.result(event)]
        return []  # text deltas and tool calls are inside the assistant message already

    def _count(self, event: TurnUsage) -> None:
        entry = self.model_usage.setdefault(self.model, {"inputTokens": 0, "outputTokens": 0, "cacheReadInputTokens": 0,
                                                         "cacheCreationInputTokens": 0, "webSearchRequests": 0, "costUSD": 0.0})
        entry["inputTokens"] += event.usage.input_tokens
        entry["outputTokens"] += event.usage.output_tokens
        entry["cacheReadInputTokens"] += event.usage.cache_read_input_tokens
        entry["cacheCreationInputTokens"] += event.usage.cache_creation_input_tokens
        entry["costUSD"] = round(entry["costUSD"] + event.cost_usd, 6)

    def result(self, final: Final) -> ResultMessage:
        subtype = CLAUDE_SUBTYPES.get(final.subtype, "error_during_execution")
        errors = []
        if final.is_error:  # a cut answer keeps its text in result; why it was cut is the notice before it
            errors = [self.last_notice if final.subtype == "error_max_tokens" and self.last_notice else final.result]
        return ResultMessage(
            subtype=subtype, is_error=final.is_error, duration_ms=final.duration_ms, duration_api_ms=self.api_ms,
            num_turns=final.num_turns, result=final.result, stop_reason=final.stop_reason,
            session_id=final.session_id or self.session_id, total_cost_usd=final.total_cost_usd, usage=final.usage,
            modelUsage=self.model_usage, errors=errors, ask_redis_subtype=final.subtype)

    def lines(self, event: Any) -> str:
        """The stream-json lines for one event ('' for an event that prints nothing)."""
        return "".join(message.model_dump_json() + "\n" for message in self.messages(event))


def result_line(final: Final) -> str:
    """The `--json` object of a run that stopped before any API call."""
    return StreamJson().result(final).model_dump_json() + "\n"
