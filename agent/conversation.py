"""The message history sent in full on every turn, and the request built from it."""

from __future__ import annotations

import copy
import uuid
from typing import Any

CACHE = {"type": "ephemeral"}


def readable(text: str) -> str:
    """Text the API takes: bytes that were not UTF-8 (kept by Python as lone surrogates) become U+FFFD."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


class Conversation:
    def __init__(self, session_id: str | None = None, messages: list[dict[str, Any]] | None = None):
        self.session_id = session_id or str(uuid.uuid4())
        self.messages: list[dict[str, Any]] = messages or []

    def add_user(self, text: str) -> None:
        block = {"type": "text", "text": readable(text)}
        if self.messages and self.messages[-1]["role"] == "user":
            self.messages[-1]["content"].append(block)  # e.g. after a turn that ended with tool results
        else:
            self.messages.append({"role": "user", "content": [block]})

    def add_assistant(self, blocks: list[dict[str, Any]]) -> None:
        self.messages.append({"role": "assistant", "content": blocks})

    def add_tool_results(self, results: list[dict[str, Any]]) -> None:
        self.messages.append({"role": "user", "content": results})

    def unanswered_tool_uses(self) -> list[dict[str, Any]]:
        last = self.messages[-1] if self.messages else None
        if not last or last["role"] != "assistant":
            return []
        return [block for block in last["content"] if block.get("type") == "tool_use"]

    def close_unanswered(self, reason: str) -> None:
        """Answer every tool_use of the last message with an error, so the history stays valid."""
        pending = self.unanswered_tool_uses()
        if pending:
            self.add_tool_results([tool_result(block["id"], reason, True) for block in pending])

    def request(self, model: str, system: str, tools: list[dict[str, Any]], max_tokens: int) -> dict[str, Any]:
        """The request body. Cache breakpoints: the tools, the system prompt, and the last user turn."""
        messages = copy.deepcopy(self.messages)
        for message in reversed(messages):
            if message["role"] == "user":
                message["content"][-1]["cache_control"] = CACHE
                break
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": max_tokens,
            "system": [{"type": "text", "text": system, "cache_control": CACHE}],
            "messages": messages,
        }
        if tools:
            body["tools"] = copy.deepcopy(tools)
            body["tools"][-1]["cache_control"] = CACHE
        return body


def tool_result(tool_use_id: str, content: str, is_error: bool) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_use_id, "content": content}
    if is_error:
        block["is_error"] = True
    return block
