"""One-shot front-end: the answer on stdout, progress on stderr, or JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import time

from ask_redis.events import Final, Notice, Start, TextDelta, ToolCall, ToolResult, TurnUsage, Usage
from ask_redis.stream_json import StreamJson


def describe_call(name: str, arguments: dict[str, Any], width: int = 100) -> str:
    shown = ", ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in arguments.items() if key != "description")
    text = f"{name}({shown})"
    return text if len(text) <= width else text[: width - 1] + "…"


def outcome_line(result: ToolResult) -> str:
    first = result.content.strip().splitlines()[0] if result.content.strip() else "(no output)"
    if result.is_error:
        return f"error: {first}"[:160]
    count = result.content.count("\n") + 1
    return f"{count} line{'s' * (count != 1)} ({result.duration_ms} ms)"


def unavailable_lines(start: Start) -> list[str]:
    by_reason: dict[str, list[str]] = {}
    for name, reason in start.tools_unavailable.items():
        by_reason.setdefault(reason, []).append(name)
    return [f"not offered: {', '.join(names)}: {reason}" for reason, names in by_reason.items()]


class Printer:
    """Renders one event stream in the chosen format. `finish()` returns the exit code."""

    def __init__(self, output_format: str, verbose: bool, out: TextIO | None = None, err: TextIO | None = None,
                 partial: bool = False):
        self.format, self.out, self.err = output_format, out or sys.stdout, err or sys.stderr
        self.stream = StreamJson(partial)
        self.progress = verbose or self.err.isatty()
        self.final: Final | None = None
        self.result_json = ""
        self.ends_with_newline = True
        self.started, self.session_id, self.turns, self.usage, self.cost = time.monotonic(), "", 0, Usage(), 0.0

    def __call__(self, event: Any) -> None:
        if isinstance(event, Start):
            self.session_id = event.session_id
        elif isinstance(event, TurnUsage):
            self.turns, self.usage, self.cost = event.turn, self.usage + event.usage, self.cost + event.cost_usd
        lines = self.stream.lines(event) if self.format != "text" else ""
        if isinstance(event, Final):
            self.final, self.result_json = event, lines
        if self.format == "stream-json" and lines:
            self.out.write(lines)
            self.out.flush()
        if self.format != "text":
            return
        if isinstance(event, TextDelta):
            self.out.write(event.text)
            self.out.flush()
            self.ends_with_newline = event.text.endswith("\n")
        elif isinstance(event, Start) and self.progress:
            for line in unavailable_lines(event):
                self.err.write(f"ask-redis: {line}\n")
        elif isinstance(event, ToolCall) and self.progress:
            self._newline()
            self.err.write(f"⏺ {describe_call(event.name, event.input)}\n")
        elif isinstance(event, ToolResult) and self.progress:
            self.err.write(f"  ⎿ {outcome_line(event)}\n")
        elif isinstance(event, Notice):
            self._newline()
            self.err.write(f"ask-redis: {event.message}\n")

    def _newline(self) -> None:
        if not self.ends_with_newline:
            self.out.write("\n")
            self.out.flush()
            self.ends_with_newline = True

    def cancelled(self) -> None:
        """Ctrl-C: scripts still get a result (error_cancelled) with what the run had used so far."""
        if self.final is not None or self.format == "text":
            return
        self(Final(subtype="error_cancelled", is_error=True, result="cancelled by the user", stop_reason=None,
                   num_turns=self.turns, session_id=self.session_id, duration_ms=int((time.monotonic() - self.started) * 1000),
                   total_cost_usd=round(self.cost, 6), usage=self.usage))
        if self.format == "json":
            self.out.write(self.result_json)
        self.out.flush()

    def finish(self) -> int:
        final = self.final
        if final is None:
            return 1
        if self.format == "json":
            self.out.write(self.result_json)
        elif self.format == "text":
            self._newline()
            if final.is_error and final.subtype != "error_max_tokens":  # a cut answer was already noticed
                self.err.write(f"ask-redis: error: {final.result}\n")
        self.out.flush()
        return 1 if final.is_error else 0
