"""Keys typed before chat's input line is up: held in the terminal (not echoed, Enter kept as Enter) from the
first moment, then handed to the input line. Standard library only: this runs before anything is imported."""

from __future__ import annotations

import os
import sys

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
    Enter stays Enter (no CR-to-NL). Returns the settings to restore, or None when stdin is not a terminal."""
    try:
        import termios

        fd = sys.stdin.fileno()
        if not os.isatty(fd):
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
