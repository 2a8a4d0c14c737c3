"""One-shot front-end: the answer on stdout, progress on stderr, or JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import time

from ask_redis.events import Final, Notice, Start, TextDelta, ToolCall, ToolResult, TurnUsage, Usage
from ask_redis.terminal import safe
from ask_redis.stream_json import StreamJson


def describe_call(name: str, arguments: dict[str, Any], width: int = 100) -> str:
    shown = ", ".join(f"{key}={_argument(value)}" for key, value in arguments.items() if key != "description")
    text = safe(f"{name}({shown})")
    return text if len(text) <= width else text[: width - 1] + "…"


def _argument(value: Any) -> str:
    """A string as the person wrote it (a regex's backslashes not doubled), control characters shown as escapes."""
    if isinstance(value, str):
        return '"' + "".join(ch if ch >= " " or ch == "\t" else ascii(ch)[1:-1] for ch in value) + '"'
    return json.dumps(value, ensure_ascii=False)


def outcome_line(result: ToolResult) -> str:
    first = result.content.strip().splitlines()[0] if result.content.strip() else "(no output)"
    if result.is_error:
        lines = [line for line in result.content.strip().splitlines() if line.strip()]
        if lines and lines[-1].startswith("Exit code "):  # a failed command: its exit code, then what it said
            said = next((line for line in lines if line != lines[-1]), "")
            return safe(f"{lines[-1].lower()}: {said}" if said else lines[-1].lower())[:160]
        return safe(f"error: {first}")[:160]
    count = result.content.count("\n") + 1
    return f"{count} line{'s' * (count != 1)} ({result.duration_ms} ms)"


def unavailable_lines(start: Start) -> list[str]:
    """What is off, in plain words: the live Redis tools as one line, the others by name with the reason."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in start.tools_unavailable.items():
        by_reason.setdefault(reason, []).append(name)
    lines = []
    for reason, names in by_reason.items():
        if all(name.startswith("redis_") for name in names) and not start.redis:
            lines.append("live Redis checks off (no --redis-url)")
        else:
            lines.append(f"not offered: {', '.join(names)}: {reason}")
    return lines


# Runs whose result holds the answer so far; a notice said why it stopped.
ANSWER_ENDINGS = ("error_max_tokens", "error_refusal", "error_context_window")


class Printer:
    """Renders one event stream in the chosen format. `finish()` returns the exit code."""

    def __init__(self, output_format: str, verbose: bool, out: TextIO | None = None, err: TextIO | None = None,
                 partial: bool = False):
        self.format, self.out, self.err = output_format, out or sys.stdout, err or sys.stderr
        self.stream = StreamJson(partial)
        self.result_json = ""
        self.progress, self.verbose = verbose or self.err.isatty(), verbose
        self.markdown = None  # stdout on a terminal: rendered markdown instead of raw text
        if output_format == "text" and self.out.isatty():
            from ask_redis.chat_render import TerminalMarkdown

            self.markdown = TerminalMarkdown(self.out)
        self.waiting = None  # stderr on a terminal: a spinner with elapsed time while the answer is awaited
        if output_format == "text" and self.err.isatty():
            from ask_redis.chat_render import Waiting

            self.waiting = Waiting(self.err)
        self.final: Final | None = None
        self.ending = ""  # the last notice: why an answer that stopped early (cut, refused) stopped
        self.ends_with_newline = True
        self.started, self.session_id, self.turns, self.usage, self.cost = time.monotonic(), "", 0, Usage(), 0.0

    def __call__(self, event: Any) -> None:
        if self.waiting is None:
            return self._show(event)
        with self.waiting.quiet():
            self._show(event)

    def _show(self, event: Any) -> None:
        if isinstance(event, Start):
            self.session_id = event.session_id
        elif isinstance(event, TurnUsage):
            self.turns, self.usage, self.cost = event.turn, self.usage + event.usage, self.cost + event.cost_usd
        elif isinstance(event, Notice):
            self.ending = event.message
        lines = self.stream.lines(event) if self.format != "text" else ""
        if isinstance(event, Final):
            self.final, self.result_json = event, lines
        if self.format == "stream-json" and lines:
            self.out.write(lines)
            self.out.flush()
        if self.format != "text":
            return
        if isinstance(event, TextDelta) and self.markdown is not None:
            self.markdown.feed(event.text)
            return
        if self.markdown is not None and isinstance(event, (ToolCall, Notice, Final)):
            self.markdown.end()
        if isinstance(event, TextDelta):
            self.out.write(event.text)
            self.out.flush()
            self.ends_with_newline = event.text.endswith("\n")
        elif isinstance(event, Start) and self.verbose:
            for line in unavailable_lines(event):
                self.err.write(f"ask-redis: {line}\n")
        elif isinstance(event, ToolCall) and self.progress:
            self._newline()
            self.err.write(f"⏺ {describe_call(event.name, event.input)}\n")
        elif isinstance(event, ToolResult) and self.progress:
            line = f"  ⎿ {outcome_line(event)}"
            self.err.write(f"\x1b[31m{line}\x1b[0m\n" if event.is_error and self.err.isatty() else line + "\n")
        elif isinstance(event, Notice):
            self._newline()
            self.err.write(f"ask-redis: {safe(event.message)}\n")

    def _newline(self) -> None:
        if not self.ends_with_newline:
            self.out.write("\n")
            self.out.flush()
            self.ends_with_newline = True

    def cancelled(self) -> None:
        """Ctrl-C: scripts still get a result (error_cancelled) with what the run had used so far."""
        if self.waiting is not None:
            self.waiting.stop()
        if self.markdown is not None:
            self.markdown.end()
        if self.final is not None or self.format == "text":
            return
        self(Final(subtype="error_cancelled", is_error=True, result="cancelled by the user", stop_reason=None,
                   num_turns=self.turns, session_id=self.session_id, duration_ms=int((time.monotonic() - self.started) * 1000),
                   total_cost_usd=round(self.cost, 6), usage=self.usage))
        if self.format == "json":
            self.out.write(self.result_json)
        self.out.flush()

    def finish(self) -> int:
        if self.waiting is not None:
            self.waiting.stop()
        final = self.final
        if final is None:
            return 1
        if self.format == "json":
            self.out.write(self.result_json)
        elif self.format == "text":
            self._newline()
        if final.is_error and self.format == "text" and final.subtype != "error_max_tokens":  # a cut answer was noticed
            self.err.write(f"ask-redis: error: {safe(final.result)}\n")
        elif final.is_error and self.format != "text":  # scripts' readers get the failure on stderr too, in one line
            why = self.ending if final.subtype in ANSWER_ENDINGS and self.ending else final.result
            self.err.write(f"ask-redis: error: {safe(why)}\n")
        self.out.flush()
        return 1 if final.is_error else 0
