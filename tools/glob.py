"""Glob: find files by name pattern (Claude Code's Glob), through `rg --files`."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ask_redis.tools import Tool, ToolContext, ToolError
from ask_redis.tools import grep
from ask_redis.tools.grep import COMMON_FLAGS, IGNORE_RULES, RipgrepRun, check_argument, glob_filter, ripgrep_missing
from ask_redis.tools.workspace import Confinement, plain_optional_schema, relative, resolve

MAX_RESULTS = 100
# Counting the ignored files that match takes a second listing without ignore rules; it gets less time.
IGNORED_COUNT_TIME_LIMIT = 3.0
_GLOB_CHARS = frozenset("*?[{")

DESCRIPTION = """- Fast file pattern matching tool that works with any codebase size
- Supports glob patterns like "**/*.js" or "src/**/*.ts"; a pattern without "/" (like "*.py") matches file names at any depth
- Returns matching file paths (relative to the workspace root) sorted by path, at most 100
- Hidden files are included; VCS directories and files ignored by .gitignore/.ignore/.rgignore are left out (the result says how many ignored files matched; Read can still open them). A directory named explicitly (path, or the pattern's leading directories) is listed even if ignored, as ripgrep does for paths it is given
- Use this tool when you need to find files by name patterns
- You can call multiple tools in a single response. It is always better to speculatively perform multiple searches in parallel if they are potentially useful."""


class GlobInput(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=plain_optional_schema)

    pattern: str = Field(min_length=1, description="The glob pattern to match files against")
    path: str | None = Field(
        None,
        description="The directory to search in. If not specified, the workspace root will be used. "
        'IMPORTANT: Omit this field to use the default directory. DO NOT enter "undefined" or "null" - '
        "simply omit it for the default behavior. Must be a valid directory path if provided.",
    )

    @field_validator("path", mode="before")
    @classmethod
    def _placeholder_means_unset(cls, value):
        return None if value in ("", "undefined", "null", "None") else value


def _split(pattern: str) -> tuple[list[str], str]:
    """The leading directories without wildcards, and the rest of the pattern."""
    parts = pattern.split("/")
    literal: list[str] = []
    for part in parts[:-1]:
        if _GLOB_CHARS.intersection(part):
            break
        literal.append(part)
    return [p for p in literal if p not in ("", ".")], "/".join(parts[len(literal):])


class Glob(Tool):
    name = "Glob"
    description = DESCRIPTION
    Input = GlobInput

    def unavailable_reason(self, ctx: ToolContext) -> str | None:
        return ripgrep_missing()

    def run(self, input: GlobInput, ctx: ToolContext) -> str:
        check_argument("pattern", input.pattern)
        check_argument("path", input.path)
        base = resolve(ctx, input.path)
        if not base.exists():
            raise ToolError(f"Directory does not exist: {input.path}")
        if not base.is_dir():
            raise ToolError(f"{input.path} is a file, not a directory; use Read to open it.")
        pattern = input.pattern
        if os.path.isabs(pattern):
            try:
                pattern = str(Path(pattern).relative_to(base))
            except ValueError:
                raise ToolError(f"The pattern {pattern} is an absolute path outside {relative(ctx, base)}; "
                                "give a pattern relative to the search directory.") from None
        literal, rest = _split(pattern)
        directory = resolve(ctx, str(base.joinpath(*literal))) if literal else base
        if not directory.is_dir():
            return "No files found"

        depth = ["--max-depth", "1"] if literal and "/" not in rest and not rest.startswith("**") else []
        if rest in ("", "**", "**/*") or (rest == "*" and not depth):
            name_filter, recheck_ignored = [], False
        else:
            name_filter, recheck_ignored = glob_filter(rest, None)
        listing = [*COMMON_FLAGS, *depth, *name_filter, "--files", "--null"]
        found_run = RipgrepRun.start(listing, directory, grep.TIME_LIMIT_SECONDS)
        everything_run = RipgrepRun.start(["--no-ignore", *listing], directory, IGNORED_COUNT_TIME_LIMIT)
        if recheck_ignored:
            allowed_run = RipgrepRun.start([*COMMON_FLAGS, *depth, "--files", "--null"], directory, grep.TIME_LIMIT_SECONDS)
        found = found_run.finish()
        everything = everything_run.finish()
        if found.returncode == 2 and not found.out and found.complete:
            raise ToolError(f"ripgrep: {found.error_message()}")
        paths = found.entries(b"\0")
        if recheck_ignored:
            allowed = set(allowed_run.finish().entries(b"\0"))
            paths = [p for p in paths if p in allowed]
        paths.sort()
        matched = set(paths)
        ignored = sum(1 for p in everything.entries(b"\0") if p not in matched)

        shown_dir = relative(ctx, directory)
        prefix = "" if shown_dir == "." else shown_dir + "/"
        confinement = Confinement(ctx.workspace.resolve())
        lines = []
        for raw in paths[:MAX_RESULTS]:
            path = prefix + raw.decode("utf-8", errors="replace")
            if confinement.inside(path):
                lines.append(path)
        notes = []
        if len(paths) > MAX_RESULTS:
            notes.append(f"Results are truncated: showing {MAX_RESULTS} of {len(paths)} files. "
                         "Consider using a more specific path or pattern.")
        stopped = found.stopped_note(grep.TIME_LIMIT_SECONDS)
        if stopped:
            notes.append(stopped)
        if found.complete and (ignored or not everything.complete):
            count = f"{ignored}{'' if everything.complete else '+'}"
            notes.append(f"{count} more file(s) match but are ignored by {IGNORE_RULES}; Read can still open them by path.")
        text = "\n".join(lines) if lines else "No files found"
        for note in notes:
            text += f"\n\n({note})"
        return text


TOOLS = [Glob()]
