"""Confinement: every path a tool touches resolves inside the workspace."""

from __future__ import annotations

from pathlib import Path

from ask_redis.tools import ToolError, ToolContext


def resolve(ctx: ToolContext, path: str | None) -> Path:
    """The real path of `path` (relative to the workspace, or absolute), refused if it leaves the workspace."""
    root = ctx.workspace.resolve()
    if not path:
        return root
    if "\x00" in path:
        raise ToolError("Path contains a NUL byte.")
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = root / candidate
    real = candidate.resolve()
    if not is_inside(real, root):
        raise ToolError(f"{path} is outside the workspace ({root}); only files inside it can be read.")
    return real


def is_inside(real: Path, root: Path) -> bool:
    return real == root or root in real.parents


def relative(ctx: ToolContext, real: Path) -> str:
    """How a result names a path: relative to the workspace."""
    try:
        return str(real.relative_to(ctx.workspace.resolve())) or "."
    except ValueError:
        return str(real)
