"""Confinement: every path a tool touches resolves inside the workspace."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from ask_redis.tools import ToolContext, ToolError


def resolve(ctx: ToolContext, path: str | None) -> Path:
    """The real path of `path` (relative to the workspace, or absolute), refused if it leaves the workspace.

    Symlinks are followed before the check, so a link inside the workspace that points outside is refused.
    """
    root = ctx.workspace.resolve()
    if not path:
        return root
    if "\x00" in path:
        raise ToolError("Path contains a NUL byte.")
    try:
        candidate = Path(path).expanduser()
        if not candidate.is_absolute():
            candidate = root / candidate
        real = candidate.resolve()
    except (OSError, RuntimeError, ValueError) as error:  # symlink loops, names too long, unencodable text
        raise ToolError(f"Cannot use path {path!r}: {error.__class__.__name__}.") from None
    if not is_inside(real, root):
        raise ToolError(f"{path} is outside the workspace ({root}); only files inside it can be read.")
    return real


def open_checked(real: Path, shown: str) -> int:
    """An O_PATH descriptor of `real` (a path resolve() returned), confirmed to be that very path: opening by name
    and then checking where the descriptor landed means a symlink flipped after the check (on any component)
    cannot make a tool read anything else. FileNotFoundError when it vanished; the caller closes the descriptor."""
    fd = os.open(real, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        landed = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        os.close(fd)
        raise ToolError(f"Cannot confirm where {shown} leads: /proc is not mounted.") from None
    # resolve() left no symlink in `real`: one found there now was put in since.
    if landed != str(real) or stat.S_ISLNK(os.fstat(fd).st_mode):
        os.close(fd)
        if landed.endswith(" (deleted)"):
            raise FileNotFoundError(real)
        raise ToolError(f"{shown} changed while it was being opened (a symlink on its path was replaced); try again.")
    return fd


def reopen(fd: int, flags: int) -> int:
    """A readable descriptor of what an O_PATH descriptor points at (the same file, never looked up by name again)."""
    return os.open(f"/proc/self/fd/{fd}", flags | os.O_CLOEXEC)


def is_inside(real: Path, root: Path) -> bool:
    return real == root or root in real.parents


def is_inside_real(root: Path, relative_path: str) -> bool:
    """Whether a workspace-relative path, with every symlink followed, still lands inside the workspace."""
    try:
        return is_inside(Path(os.path.realpath(root / relative_path)), root)
    except (OSError, ValueError):
        return False


class Confinement:
    """Checks many workspace-relative paths quickly: each directory's real path is worked out once."""

    def __init__(self, root: Path) -> None:
        self._root = str(root)
        self._directories: dict[str, bool] = {}

    def _within(self, real: str) -> bool:
        return real == self._root or real.startswith(self._root.rstrip(os.sep) + os.sep)

    def inside(self, relative_path: str) -> bool:
        full = os.path.join(self._root, relative_path)
        head, tail = os.path.split(full)
        if tail in ("", ".", ".."):
            return self._within(os.path.realpath(full))
        known = self._directories.get(head)
        if known is None:
            known = self._directories[head] = self._within(os.path.realpath(head))
        if not known:
            return False
        return not os.path.islink(full) or self._within(os.path.realpath(full))


def relative(ctx: ToolContext, real: Path) -> str:
    """How a result names a path: relative to the workspace."""
    try:
        return str(real.relative_to(ctx.workspace.resolve())) or "."
    except ValueError:
        return str(real)


def plain_optional_schema(schema: dict[str, Any]) -> None:
    """Show optional parameters as their plain type (`{"type": "string"}`), as Claude Code's schemas do,
    instead of pydantic's anyOf-with-null; a null sent anyway still means "not given"."""
    for prop in schema.get("properties", {}).values():
        options = prop.get("anyOf")
        if options and len(options) == 2 and {"type": "null"} in options:
            prop.pop("anyOf")
            prop.update(next(option for option in options if option != {"type": "null"}))
        if prop.get("default", 0) is None:
            prop.pop("default")
