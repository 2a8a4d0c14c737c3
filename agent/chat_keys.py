"""Chat's terminal below the renderer: keys typed before the input line is up, held (not echoed, Enter kept as
Enter) from the first moment and handed to the input line; and the Screen that prints above that line.
Standard library only: this runs before anything else is imported, and the first frame waits for nothing."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

# The flags whose value is the next argument; anything else not starting with "-" is a one-shot prompt.
VALUE_FLAGS = {"--repo", "--model", "--max-turns", "--max-tokens", "--redis-url", "--output-format", "--record", "--resume"}


def opens_chat(argv: list[str], subcommands) -> bool:
    """Whether `ask-redis ARGV` opens chat: no subcommand, no prompt, no --help or --version."""
    if argv and argv[0] in subcommands:
        return False
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("-h", "--help", "--version"):
            return False
        elif arg in VALUE_FLAGS:
            skip = True
        elif not arg.startswith("-") or arg == "-":
            return False
    return True


def hold() -> list | None:
    """Stop echo and line editing on a terminal stdin, so keys typed now wait unseen for the input line, and
    Enter stays Enter (no CR-to-NL). Returns the settings to restore, or None unless stdin and stdout are both
    terminals (the only case that opens the terminal REPL)."""
    try:
        import termios

        fd = sys.stdin.fileno()
        if not (os.isatty(fd) and os.isatty(sys.stdout.fileno())):  # chat reads lines then, cooked as usual
            return None
        saved = termios.tcgetattr(fd)
        held = termios.tcgetattr(fd)
        held[0] &= ~(termios.ICRNL | termios.INLCR | termios.IGNCR)
        held[3] &= ~(termios.ECHO | termios.ICANON)
        termios.tcsetattr(fd, termios.TCSANOW, held)
        return saved
    except (ImportError, OSError, ValueError):
        return None


def release(saved: list | None) -> None:
    if saved is None:
        return
    try:
        import termios

        termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, saved)
    except (ImportError, OSError, ValueError):
        pass


def typed_so_far() -> tuple[list[str], str]:
    """What was typed before the input line came up: the lines ended with Enter, and the unfinished rest.
    Control keys other than Enter and Tab are dropped (an arrow key typed blind means nothing yet)."""
    import select

    data = b""
    try:
        fd = sys.stdin.fileno()
        while select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
    except (OSError, ValueError):
        return [], ""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or ch >= " ")
    *lines, rest = text.split("\n")
    return [line for line in lines if line.strip()], rest


class Screen:
    """The terminal while chat runs. One prompt-toolkit application keeps the input line live at the bottom for
    the whole session; everything else is printed above it from the application's own loop, without ever leaving
    raw mode, so keys typed while an answer streams stay in the input and are never echoed into the output.
    `live` (an object with `render(width) -> str`) is drawn between the output and the input line."""

    def __init__(self, stdout: TextIO | None = None):
        self.stdout = stdout or sys.stdout
        self.app: Any = None
        self.loop: Any = None
        self.thread_id: int | None = None
        self.live: Any = None
        self.queued: list[str] = []  # questions sent while an answer streams, shown until their turn comes

    def attach(self, app: Any) -> None:
        """Called in the application's thread once it runs."""
        import asyncio
        import threading

        self.app, self.loop, self.thread_id = app, asyncio.get_running_loop(), threading.get_ident()

    def detach(self) -> None:
        self.app = None

    @property
    def running(self) -> bool:
        return self.app is not None and self.app.is_running

    def width(self) -> int:
        import shutil

        return shutil.get_terminal_size().columns

    def invalidate(self) -> None:
        if self.running:
            self.app.invalidate()  # thread-safe: it only schedules a redraw

    def print_ansi(self, text: str, then: Any = None, wait: bool = True) -> None:
        """Print `text` (ANSI) above the input line; `then()` runs before the line is drawn again, so a change to
        the live region and the printed text appear in one frame. Blocks until it is on the screen, unless `wait`
        is False (then nothing else may depend on it: prints still appear in the order they were asked for)."""
        import threading

        text = text if text.endswith("\n") else text + "\n"
        if not self.running:
            self.stdout.write(text)
            self.stdout.flush()
            if then:
                then()
            return
        if threading.get_ident() == self.thread_id:
            self._above(text, then)
            return
        if not wait and then is None:
            try:
                self.loop.call_soon_threadsafe(self._above, text, None)
            except RuntimeError:  # the loop closed in the meantime: print plainly
                self.stdout.write(text)
                self.stdout.flush()
            return
        import signal

        done = threading.Event()

        def job() -> None:
            try:
                self._above(text, then)
            finally:
                done.set()

        # A Ctrl-C (a SIGINT to this thread) waits until the print is done: an interrupt between scheduling it
        # and its `then` would print the same text twice.
        masked = threading.current_thread() is threading.main_thread()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masked else None
        try:
            self.loop.call_soon_threadsafe(job)
            while not done.wait(0.2):
                if not self.running:  # the application ended before it could print: print plainly
                    self.stdout.write(text)
                    self.stdout.flush()
                    break
        finally:
            if previous is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def _above(self, text: str, then: Any) -> None:
        app = self.app
        if app is None or not app.is_running:
            self.stdout.write(text)
            self.stdout.flush()
        else:
            app.renderer.erase()
            app.output.write_raw(text)
            app.output.flush()
        if then:
            then()
        if app is not None and app.is_running:
            app.renderer.reset()
            app._request_absolute_cursor_position()
            app._redraw()


class ScreenFile:
    """A file for a rich Console: each print arrives whole (rich writes once per print) and goes above the input."""

    def __init__(self, screen: Screen):
        self.screen, self.parts = screen, []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        text, self.parts = "".join(self.parts), []
        if text:
            self.screen.print_ansi(text)

    def isatty(self) -> bool:
        return True
