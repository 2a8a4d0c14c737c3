"""How chat shows things: rich in a terminal (streamed markdown, tool spinners), plain text otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.markdown import Markdown
from rich.spinner import Spinner
from rich.text import Text

from ask_redis.events import Final, Notice, TextDelta, ToolCall, ToolResult
from ask_redis.oneshot import describe_call, outcome_line
from ask_redis.terminal import safe


class PlainOutput:
    """Piped chat: command output on stdout, errors and notices on stderr, one line each."""

    interactive = False

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None):
        self.out, self.err = out or sys.stdout, err or sys.stderr

    def say(self, text: str) -> None:
        self.out.write(text.rstrip("\n") + "\n")
        self.out.flush()

    markdown = say

    def notice(self, text: str) -> None:
        self.out.flush()
        self.err.write(f"ask-redis: {text}\n")
        self.err.flush()

    error = notice


class RichOutput:
    """Chat in a terminal."""

    interactive = True

    def __init__(self, console: Console | None = None):
        self.console = console or Console(highlight=False)

    def say(self, text: str) -> None:
        self.console.print(Text(text))

    def markdown(self, text: str) -> None:
        self.console.print(Markdown(text))

    def notice(self, text: str) -> None:
        self.console.print(Text(text, style="yellow"))

    def error(self, text: str) -> None:
        self.console.print(Text(f"error: {text}", style="bold red"))


class PlainAnswer:
    """One turn, piped: the answer on stdout (a line break between the texts around tool calls), tool progress
    on stderr with --verbose (or when stderr is a terminal), errors as one line on stderr."""

    def __init__(self, output: PlainOutput, verbose: bool):
        self.out, self.err = output.out, output.err
        self.progress = verbose or self.err.isatty()
        self.at_line_start = True
        self.failed = False

    def __call__(self, event: Any) -> None:
        if isinstance(event, TextDelta):
            self.out.write(event.text)
            self.out.flush()
            self.at_line_start = event.text.endswith("\n")
        elif isinstance(event, ToolCall):
            self.end_line()
            if self.progress:
                self.err.write(f"⏺ {describe_call(event.name, event.input)}\n")
        elif isinstance(event, ToolResult) and self.progress:
            self.err.write(f"  ⎿ {outcome_line(event)}\n")
        elif isinstance(event, Notice):
            self.end_line()
            self.err.write(f"ask-redis: {safe(event.message)}\n")
        elif isinstance(event, Final):
            self.end_line()
            self.failed = event.is_error
            if event.is_error and event.subtype != "error_max_tokens":  # a cut answer was already noticed
                self.err.write(f"ask-redis: error: {safe(event.result)}\n")
        self.err.flush()

    def cancelled(self) -> None:
        self.end_line()
        self.err.write("ask-redis: cancelled\n")

    def end_line(self) -> None:
        if not self.at_line_start:
            self.out.write("\n")
            self.out.flush()
            self.at_line_start = True


def stable_cut(text: str) -> int:
    """Length of the prefix of streamed markdown made of finished blocks (ended by a blank line outside a fence)."""
    in_fence, cut, position = False, 0, 0
    for line in text.splitlines(keepends=True):
        position += len(line)
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not stripped and not in_fence and line.endswith("\n"):
            cut = position
    return cut


class _Running:
    """A spinner with a label and the seconds since it started, recomputed on every refresh."""

    def __init__(self, label: str, style: str = "", call: ToolCall | None = None):
        self.label, self.style, self.call, self.began = label, style, call, time.monotonic()
        self.spinner = Spinner("dots", style="cyan")

    def __rich__(self) -> Any:
        self.spinner.update(text=Text.assemble((self.label, self.style), (f"  {time.monotonic() - self.began:.1f}s", "dim")))
        return self.spinner


class LiveAnswer:
    """Renders one turn in a terminal. Finished markdown blocks are printed for good as they complete; only the
    block being written, and a spinner while waiting or while a tool runs, live in the redrawn region."""

    def __init__(self, console: Console):
        self.console = console
        self.pending = ""
        self.blocks_printed = 0
        self.calls: dict[str, ToolCall] = {}
        self.running: _Running | None = _Running("thinking…", "dim")
        self.live = Live(console=console, transient=True, refresh_per_second=10, redirect_stdout=False, redirect_stderr=False)

    def __enter__(self) -> "LiveAnswer":
        self.live.start()
        self._show()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._flush(everything=True)
        self.running = None
        self.live.update(Text(""))
        self.live.stop()
        self.console.print()

    def __call__(self, event: Any) -> None:
        if isinstance(event, TextDelta):
            was_waiting = self.running is not None
            self.running = None
            self.pending += event.text
            self._flush()
            self._show(refresh=was_waiting)  # else the next redraw (a tenth of a second away) shows it
            return
        elif isinstance(event, ToolCall):
            self._flush(everything=True)
            self.calls[event.id] = event
            self.running = _Running(describe_call(event.name, event.input, width=max(self.console.width - 12, 20)), call=event)
        elif isinstance(event, ToolResult):
            self.running = _Running("thinking…", "dim")
            mark = Text("⏺ ", style="red" if event.is_error else "green")
            self.console.print(Text.assemble(mark, describe_call(event.name, self.calls[event.id].input if event.id in self.calls else {}, width=self.console.width - 4)))
            self.console.print(Text(f"  ⎿ {outcome_line(event)}", style="red" if event.is_error else "dim"))
        elif isinstance(event, Notice):
            self._flush(everything=True)
            self.console.print(Text(safe(event.message), style="yellow"))
        elif isinstance(event, Final):
            self._flush(everything=True)
            self.running = None
            if event.is_error and event.subtype != "error_max_tokens":  # a cut answer was already noticed
                self.console.print(Text(f"error: {safe(event.result)}", style="bold red"))
        self._show()

    def cancelled(self) -> None:
        self._flush(everything=True)
        if self.running is not None and self.running.call is not None:
            self.console.print(Text.assemble(("⏺ ", "yellow"), self.running.label))
            self.console.print(Text("  ⎿ cancelled", style="yellow"))
        self.running = None
        self.console.print(Text("⏹ cancelled: the rest of this answer was dropped", style="yellow"))

    def _flush(self, everything: bool = False) -> bool:
        """Print the finished blocks for good; True if anything was printed."""
        cut = len(self.pending) if everything else stable_cut(self.pending)
        block, self.pending = self.pending[:cut], self.pending[cut:]
        if not block.strip():
            return False
        if self.blocks_printed and not block.lstrip().startswith(("```", "~~~")):
            self.console.print()
        self.console.print(Markdown(block.strip("\n")))
        self.blocks_printed += 1
        return True

    def _show(self, refresh: bool = True) -> None:
        parts: list[Any] = []
        if self.pending.strip():
            parts.append(_Pending(self))
        if self.running is not None:
            parts.append(self.running)
        self.live.update(Group(*parts) if parts else Text(""), refresh=refresh)


class _Pending:
    """The unfinished markdown block, parsed only when the live region is redrawn (10 times a second),
    not on every streamed delta."""

    def __init__(self, answer: LiveAnswer):
        self.answer = answer

    def __rich__(self) -> Any:
        return Markdown(self.answer.pending)

