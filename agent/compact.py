"""Compaction: older turns become one summary written by the model, so a long chat keeps fitting the window.

The summary replaces everything before a turn boundary (a user message that answers no tool call), so a
tool_use and its tool_result are always kept or summarised together. The last turns are kept verbatim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from ask_redis.conversation import Conversation
from ask_redis.events import Notice, Usage
from ask_redis.model import cost_usd, usage_of

CONTEXT_WINDOW = 200_000
COMPACT_AT = 0.8  # of the window, measured by the last request's size
KEEP_TURNS = 2
TOOL_RESULT_CHARS = 2_000
TRANSCRIPT_CHARS = 300_000
SUMMARY_TOKENS = 4_000
SUMMARY_HEADING = "[Summary of the earlier part of this conversation, compacted to fit the context window]"

SYSTEM = """You compact the history of a conversation between a user and ask-redis, a senior Redis engineer \
agent that reads the user's repository and inspects their Redis instance with read-only tools.
Write the summary the agent will continue from: it will not see the original turns again."""

INSTRUCTIONS = """Summarise the conversation above for the agent that continues it. Keep, in this order:
1. What the user wants and any constraints or preferences they stated.
2. Findings so far, each with its evidence (file:line, key names, INFO/CONFIG values, commands run).
3. Files and Redis data already examined, so they need not be read again.
4. Decisions made, advice given, and questions still open.
Be specific and terse; use markdown bullets; no preamble."""


@dataclass
class Compacted:
    summarised: int
    kept: int
    usage: Usage
    cost_usd: float


class NothingToCompact(Exception):
    pass


def context_tokens(usage: Usage) -> int:
    """How much of the window the last request and its answer took."""
    return usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens + usage.output_tokens


def needs_compaction(last_context: int, window: int = CONTEXT_WINDOW) -> bool:
    return last_context >= COMPACT_AT * window


def turn_starts(messages: list[dict[str, Any]]) -> list[int]:
    """Indexes of user messages that answer no tool call: the only safe places to cut."""
    return [i for i, m in enumerate(messages)
            if m["role"] == "user" and not any(b.get("type") == "tool_result" for b in m["content"])]


def split_point(messages: list[dict[str, Any]], keep_turns: int = KEEP_TURNS) -> int:
    """Messages before the returned index are summarised; the rest are kept."""
    starts = turn_starts(messages)
    if len(starts) > keep_turns:
        return starts[-keep_turns]
    return len(messages)  # one long turn: summarise it all


def transcript_text(messages: list[dict[str, Any]]) -> str:
    """The history as plain text for the summariser; long tool outputs keep their head."""
    parts = []
    for message in messages:
        for block in message["content"]:
            kind = block.get("type")
            if kind == "text":
                parts.append(f"{message['role'].upper()}: {block['text']}")
            elif kind == "tool_use":
                parts.append(f"TOOL CALL {block['name']} {json.dumps(block['input'], ensure_ascii=False)}")
            elif kind == "tool_result":
                content = block.get("content", "")
                if isinstance(content, list):
                    content = "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
                if len(content) > TOOL_RESULT_CHARS:
                    content = content[:TOOL_RESULT_CHARS] + f"\n[... {len(content) - TOOL_RESULT_CHARS} more characters]"
                label = "TOOL ERROR" if block.get("is_error") else "TOOL RESULT"
                parts.append(f"{label}: {content}")
    text = "\n\n".join(parts)
    if len(text) > TRANSCRIPT_CHARS:  # keep the start (the user's goal) and the most recent part
        half = TRANSCRIPT_CHARS // 2
        text = text[:half] + "\n\n[... middle of the conversation left out ...]\n\n" + text[-half:]
    return text


def compact(conversation: Conversation, model: Any, keep_turns: int = KEEP_TURNS,
            on_notice: Callable[[str], None] | None = None) -> Compacted:
    """Summarise the older turns through the model and rewrite the history in place.

    Raises NothingToCompact when the history is too short, and ModelError when the API call fails
    (the history is then left as it was).
    """
    messages = conversation.messages
    cut = split_point(messages, keep_turns)
    if cut == 0:
        raise NothingToCompact("nothing to compact yet")
    body = {
        "model": model.model,
        "max_tokens": min(SUMMARY_TOKENS, model.max_tokens),
        "system": SYSTEM,
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": f"<conversation>\n{transcript_text(messages[:cut])}\n</conversation>\n\n{INSTRUCTIONS}"}]}],
    }
    calls = model.call(body)
    try:
        while True:
            event = next(calls)
            if isinstance(event, Notice) and on_notice:
                on_notice(event.message)
    except StopIteration as done:
        message = done.value
    summary = "".join(block.text for block in message.content if block.type == "text").strip() or "(empty summary)"
    block = {"type": "text", "text": f"{SUMMARY_HEADING}\n\n{summary}"}
    kept = messages[cut:]
    if kept:
        kept[0]["content"].insert(0, block)
        conversation.messages = kept
    else:
        conversation.messages = [{"role": "user", "content": [block]}]
    usage = usage_of(message)
    return Compacted(summarised=cut, kept=len(kept), usage=usage, cost_usd=cost_usd(model.model, usage))
