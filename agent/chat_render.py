"""How chat shows things: rich in a terminal (streamed markdown, tool spinners), plain text otherwise."""

from __future__ import annotations

import re
import sys
import time
from typing import Any, TextIO

from rich.console import Console
from rich.markdown import CodeBlock, Markdown as _RichMarkdown
from rich.text import Text

from ask_redis.chat_keys import Screen, ScreenFile
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


class _FlushCode(CodeBlock):
    """A code block without rich's one-column padding, so copied code does not start with a space."""

    def __rich_console__(self, console: Console, options: Any) -> Any:
        from rich.syntax import Syntax

        yield Syntax(str(self.text).rstrip(), self.lexer_name, theme=self.theme, word_wrap=True, padding=0)


class Markdown(_RichMarkdown):
    elements = {**_RichMarkdown.elements, "fence": _FlushCode, "code_block": _FlushCode}


TRAILING_BLANKS = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$", re.M)


class RichOutput:
    """Chat in a terminal: rich renders, the Screen prints above the live input line."""

    interactive = True

    def __init__(self, screen: Screen | None = None, console: Console | None = None):
        self.screen = screen or Screen()
        self.console = console or Console(file=ScreenFile(self.screen), force_terminal=True, highlight=False)

    def render(self, *renderables: Any) -> str:
        """ANSI text of `renderables` at the terminal's width, for printing in one piece."""
        with self.console.capture() as captured:
            for renderable in renderables:  # one below the other (print(*many) would join them on a line)
                self.console.print(renderable)
        # rich pads lines to the full width: a copy would carry the spaces, and a full row makes terminals wrap
        return TRAILING_BLANKS.sub(r"\1", captured.get())

    def say(self, text: str) -> None:
        self.console.print(Text(text))

    def markdown(self, text: str) -> None:
        self.console.print(Markdown(text))

    def ansi(self, text: str) -> None:
        self.screen.print_ansi(text)

    def notice(self, text: str) -> None:
        self.console.print(Text(text, style="yellow"))

    def error(self, text: str) -> None:
        self.console.print(Text(f"error: {text}", style="bold red"))

    def status(self, label: str) -> Any:
        """A spinner with elapsed time in the live region while a slow command runs."""
        import contextlib

        @contextlib.contextmanager
        def spinning():
            previous, self.screen.live = self.screen.live, _Running(label, "dim")
            self.screen.invalidate()
            try:
                yield
            finally:
                self.screen.live = previous
                self.screen.invalidate()

        return spinning()


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


SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class _Running:
    """A spinner with a label and the seconds since it started, recomputed on every redraw."""

    def __init__(self, label: str, style: str = "", call: ToolCall | None = None):
        self.label, self.style, self.call, self.began = label, style, call, time.monotonic()

    def line(self) -> str:
        elapsed = time.monotonic() - self.began
        frame = SPINNER[int(elapsed * 10) % len(SPINNER)]
        label = f"\x1b[2m{self.label}\x1b[0m" if self.style == "dim" else self.label
        return f"\x1b[36m{frame}\x1b[0m {label}  \x1b[2m{elapsed:.1f}s\x1b[0m"

    def render(self, width: int) -> str:
        return self.line() + "\n"


def seconds(duration_ms: int) -> str:
    return f"{duration_ms} ms" if duration_ms < 1000 else f"{duration_ms / 1000:.1f} s"


class LiveAnswer:
    """Renders one turn in a terminal. Finished markdown blocks are printed for good, above the input line, as
    they complete; only the block being written and a spinner (while waiting, or while a tool runs) live in the
    redrawn region."""

    MAX_LIVE_ROWS = 12  # of the unfinished block; the rest of it appears when the block is done

    def __init__(self, output: RichOutput):
        self.out, self.screen = output, output.screen
        self.pending = ""
        self.blocks_printed = 0
        self.calls: dict[str, ToolCall] = {}
        self.running: _Running | None = _Running("thinking…", "dim")
        self._cache: tuple[tuple[str, int], str] = (("", 0), "")

    def __enter__(self) -> "LiveAnswer":
        self.screen.live = self
        self.screen.invalidate()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._flush(everything=True)
        self.running = None
        self.screen.print_ansi("", then=lambda: setattr(self.screen, "live", None))

    def render(self, width: int) -> str:
        """The live region: the tail of the unfinished block (parsed only here, at redraw time) and the spinner."""
        text = ""
        pending = self.pending
        if pending.strip():
            key = (pending, width)
            if self._cache[0] != key:
                import shutil

                rows = max(3, min(self.MAX_LIVE_ROWS, shutil.get_terminal_size().lines - 12))  # input, menu, toolbar fit too
                lines = self.out.render(Markdown(pending)).rstrip("\n").split("\n")
                gap = "\n" if self.blocks_printed and not pending.lstrip().startswith(("```", "~~~")) else ""
                self._cache = (key, gap + "\n".join(lines[-rows:]) + "\n")  # as it will look once printed
            text = self._cache[1]
        running = self.running
        return text + (running.render(width) if running is not None else "")

    def __call__(self, event: Any) -> None:
        if isinstance(event, TextDelta):
            self.running = None
            self.pending += event.text
            self._flush()
        elif isinstance(event, ToolCall):
            self._flush(everything=True)
            self.calls[event.id] = event
            self.running = _Running(describe_call(event.name, event.input, width=max(self.screen.width() - 12, 20)), call=event)
        elif isinstance(event, ToolResult):
            call = self.calls.get(event.id)
            width = self.screen.width()
            mark = Text("⏺ ", style="red" if event.is_error else "green")
            said = f"  ⎿ {tool_outcome(event)}"
            said = said if len(said) < width else said[:width - 2] + "…"  # one row: the whole output is on /last
            outcome = Text(said, style="red" if event.is_error else "dim")
            shown = Text.assemble(mark, describe_call(event.name, call.input if call else {}, width=width - 4))
            self.screen.print_ansi(self.out.render(shown, outcome),
                                   then=lambda: setattr(self, "running", _Running("thinking…", "dim")))
        elif isinstance(event, Notice):
            self._flush(everything=True)
            self.out.notice(safe(event.message))
        elif isinstance(event, Final):
            self._flush(everything=True)
            self.running = None
            if event.is_error and event.subtype != "error_max_tokens":  # a cut answer was already noticed
                self.out.console.print(Text(f"error: {safe(event.result)}", style="bold red"))
        self.screen.invalidate()

    def cancelled(self) -> None:
        self._flush(everything=True)
        lines: list[Any] = []
        if self.running is not None and self.running.call is not None:
            lines += [Text.assemble(("⏺ ", "yellow"), self.running.label), Text("  ⎿ cancelled", style="yellow")]
        lines.append(Text("⏹ cancelled: the rest of this answer was dropped", style="yellow"))
        self.screen.print_ansi(self.out.render(*lines), then=lambda: setattr(self, "running", None))

    def _flush(self, everything: bool = False) -> bool:
        """Print the finished blocks for good; True if anything was printed."""
        cut = len(self.pending) if everything else stable_cut(self.pending)
        block, rest = self.pending[:cut], self.pending[cut:]
        if not block.strip():
            if everything:
                self.pending = rest
            return False
        gap = self.blocks_printed and not block.lstrip().startswith(("```", "~~~"))
        text = self.out.render(*([Text("")] if gap else []), Markdown(block.strip("\n")))
        self.screen.print_ansi(text, then=lambda: setattr(self, "pending", rest))
        self.blocks_printed += 1
        return True


def tool_outcome(result: ToolResult) -> str:
    """One line: what a tool returned (durations in seconds past one), or how it failed."""
    if result.is_error:
        return outcome_line(result)
    count = result.content.count("\n") + 1
    return f"{count} line{'s' * (count != 1)} ({seconds(result.duration_ms)})"


class TerminalMarkdown:
    """One-shot with stdout on a terminal: the answer as rendered markdown, each block printed once it is finished
    (tables, fences and emphasis drawn, not shown raw)."""

    def __init__(self, out: TextIO):
        self.console = Console(file=out, highlight=False)
        self.pending = ""
        self.blocks = 0

    def feed(self, text: str) -> None:
        self.pending += text
        cut = stable_cut(self.pending)
        if self.pending[:cut].strip():
            self._print(self.pending[:cut])
            self.pending = self.pending[cut:]

    def end(self) -> None:
        if self.pending.strip():
            self._print(self.pending)
        self.pending = ""

    def _print(self, block: str) -> None:
        if self.blocks and not block.lstrip().startswith(("```", "~~~")):
            self.console.print()
        self.console.print(Markdown(block.strip("\n")))
        self.blocks += 1


class Waiting:
    """One-shot with stderr on a terminal: a spinner with the elapsed time while nothing else is written, so a
    long answer never looks like a hang (even with stdout redirected). Writes happen inside `quiet()`."""

    def __init__(self, err: TextIO):
        import threading

        self.err, self.began, self.shown = err, time.monotonic(), False
        self.last_output = self.began
        self.lock, self.stopped = threading.Lock(), threading.Event()
        threading.Thread(target=self._spin, name="one-shot-spinner", daemon=True).start()

    def _spin(self) -> None:
        while not self.stopped.wait(0.1):
            with self.lock:
                now = time.monotonic()
                if now - self.last_output < 0.5 or self.stopped.is_set():
                    continue
                frame = SPINNER[int(now * 10) % len(SPINNER)]
                self.err.write(f"\r\x1b[2K\x1b[36m{frame}\x1b[0m working… \x1b[2m{now - self.began:.0f}s · Ctrl-C to stop\x1b[0m")
                self.err.flush()
                self.shown = True

    def quiet(self) -> Any:
        """Hold the spinner off (its line cleared) while the caller writes."""
        import contextlib

        @contextlib.contextmanager
        def held():
            with self.lock:
                if self.shown:
                    self.err.write("\r\x1b[2K")
                    self.err.flush()
                    self.shown = False
                try:
                    yield
                finally:
                    self.last_output = time.monotonic()

        return held()

    def stop(self) -> None:
        self.stopped.set()
        with self.quiet():
            pass
