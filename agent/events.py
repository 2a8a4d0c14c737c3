"""The one event stream every front-end consumes (chat, one-shot, MCP).

Scripts never see these models directly: ask_redis.stream_json turns them into Claude Code's
stream-json and json output. SCHEMA_VERSION is the version of that output; bump it on any
incompatible change (the README documents each message).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field

SCHEMA_VERSION = 2


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(**{name: getattr(self, name) + getattr(other, name) for name in Usage.model_fields})


class Start(BaseModel):
    """First event of a session: what it runs with."""

    type: Literal["start"] = "start"
    schema_version: int = SCHEMA_VERSION
    session_id: str
    model: str
    workspace: str
    tools: list[str]
    tools_unavailable: dict[str, str] = {}
    redis: str | None = None


class TextDelta(BaseModel):
    """A piece of the answer as it streams."""

    type: Literal["text"] = "text"
    text: str


class ToolCall(BaseModel):
    """The model asked for a tool; emitted before it runs."""

    type: Literal["tool_call"] = "tool_call"
    id: str
    name: str
    input: dict[str, Any]


class ToolResult(BaseModel):
    """A tool's (redacted) output, as sent back to the model."""

    type: Literal["tool_result"] = "tool_result"
    id: str
    name: str
    content: str
    is_error: bool
    duration_ms: int


class TurnUsage(BaseModel):
    """One API call finished: its tokens, cost and time, and the message it produced (before any tool runs)."""

    type: Literal["usage"] = "usage"
    turn: int
    usage: Usage
    cost_usd: float
    duration_ms: int = 0
    message_id: str | None = None
    stop_reason: str | None = None
    content: list[dict[str, Any]] = []


class ApiStreamEvent(BaseModel):
    """A raw Messages API stream event (message_start, content_block_delta, ...), relayed when a front-end asks."""

    type: Literal["api_stream_event"] = "api_stream_event"
    event: dict[str, Any]


class Notice(BaseModel):
    """Something the user should know that is not part of the answer (retries, cut answers)."""

    type: Literal["notice"] = "notice"
    message: str
    retry_attempt: int | None = None
    max_retries: int | None = None
    retry_delay_ms: int | None = None
    error_status: int | None = None


Subtype = Literal["success", "error_max_turns", "error_max_tokens", "error_refusal", "error_context_window", "error_api",
                  "error_cancelled", "error_setup"]


class Final(BaseModel):
    """Last event of a run; the fields of `claude -p --output-format json` plus stop_reason."""

    type: Literal["result"] = "result"
    subtype: Subtype
    is_error: bool
    result: str
    stop_reason: str | None
    num_turns: int
    session_id: str
    duration_ms: int
    total_cost_usd: float
    usage: Usage

    @classmethod
    def failed(cls, subtype: Subtype, message: str, session_id: str) -> "Final":
        """The result of a run that stopped before any API call."""
        return cls(subtype=subtype, is_error=True, result=message, stop_reason=None, num_turns=0, session_id=session_id,
                   duration_ms=0, total_cost_usd=0.0, usage=Usage())


Event = Annotated[Union[Start, TextDelta, ToolCall, ToolResult, TurnUsage, ApiStreamEvent, Notice, Final], Field(discriminator="type")]
