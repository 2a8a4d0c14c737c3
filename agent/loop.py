"""The agent loop: call the model, run the tools it asks for, repeat; everything it does is an event."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from ask_redis.conversation import Conversation, tool_result
from ask_redis.events import Event, Final, Notice, ToolCall, ToolResult, TurnUsage, Usage
from ask_redis.model import ModelError, cost_usd, history_block, usage_of
from ask_redis.tools import Tool, ToolContext, run_tool

ENDINGS = {
    "max_tokens": ("error_max_tokens", "the answer was cut at the max_tokens limit ({max_tokens} tokens); raise --max-tokens"),
    "refusal": ("error_refusal", "the model declined to continue this request"),
    "model_context_window_exceeded": ("error_context_window", "the conversation no longer fits the model's context window; start a new session or /compact"),
}


def run(conversation: Conversation, model: Any, tools: list[Tool], ctx: ToolContext, system: str, max_turns: int) -> Iterator[Event]:
    """Run until the model ends its turn (or something stops it). The last event is always a Final."""
    started = time.monotonic()
    by_name = {tool.name: tool for tool in tools}
    schemas = [tool.schema() for tool in tools]
    total, cost, turns, answer = Usage(), 0.0, 0, []

    def final(subtype: str, result: str, stop_reason: str | None) -> Final:
        return Final(subtype=subtype, is_error=subtype != "success", result=result, stop_reason=stop_reason, num_turns=turns,
                     session_id=conversation.session_id, duration_ms=int((time.monotonic() - started) * 1000),
                     total_cost_usd=round(cost, 6), usage=total)

    try:
        while True:
            if turns >= max_turns:
                yield final("error_max_turns", f"stopped after {max_turns} turns (raise --max-turns)", None)
                return
            turns += 1
            called = time.monotonic()
            try:
                message = yield from model.call(conversation.request(model.model, system, schemas, model.max_tokens))
            except ModelError as error:
                yield final("error_api", str(error), None)
                return
            usage = usage_of(message)
            total, cost = total + usage, cost + cost_usd(model.model, usage)
            blocks = [history_block(block) for block in message.content]
            yield TurnUsage(turn=turns, usage=usage, cost_usd=cost_usd(model.model, usage), duration_ms=int((time.monotonic() - called) * 1000),
                            message_id=getattr(message, "id", None), stop_reason=message.stop_reason, content=blocks)
            conversation.add_assistant(blocks)
            answer.extend(block["text"] for block in blocks if block["type"] == "text")
            stop = message.stop_reason

            if stop == "tool_use":
                results = []
                sent = {block.id: block.input for block in message.content if block.type == "tool_use"}  # as the model wrote it
                for block in conversation.unanswered_tool_uses():
                    yield ToolCall(id=block["id"], name=block["name"], input=block["input"])
                    began = time.monotonic()
                    outcome = run_tool(by_name, block["name"], sent.get(block["id"], block["input"]), ctx)
                    results.append(tool_result(block["id"], outcome.content, outcome.is_error))
                    yield ToolResult(id=block["id"], name=block["name"], content=outcome.content, is_error=outcome.is_error,
                                     duration_ms=int((time.monotonic() - began) * 1000))
                conversation.add_tool_results(results)
                answer = []
            elif stop == "pause_turn":
                continue  # the server paused a long turn; sending the history again resumes it
            elif stop in ("end_turn", "stop_sequence"):
                yield final("success", "".join(answer), stop)
                return
            elif stop in ENDINGS:
                subtype, why = ENDINGS[stop]
                why = why.format(max_tokens=model.max_tokens)
                conversation.close_unanswered(f"not run: {why}")
                yield Notice(message=why)
                yield final(subtype, "".join(answer) or why, stop)
                return
            else:
                conversation.close_unanswered(f"not run: unexpected stop reason {stop!r}")
                yield final("error_api", f"the API ended the turn with an unknown stop reason {stop!r}", stop)
                return
    except GeneratorExit:
        conversation.close_unanswered("not run: cancelled by the user")
        raise
