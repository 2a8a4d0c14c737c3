"""Read: a text file from the workspace, as numbered lines (Claude Code's Read)."""

from __future__ import annotations

import codecs
import difflib
import io
import os
import stat
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ask_redis.redact import redact
from ask_redis.secret_files import MAX_VIEW_BYTES, masked_bytes
from ask_redis.tools import Tool, ToolContext, ToolError, session_secrets
from ask_redis.tools.workspace import is_inside, open_checked, plain_optional_schema, relative, reopen, resolve

DEFAULT_LIMIT = 2000
MAX_LINE_CHARS = 2000
# Without offset/limit a file larger than this is refused with a hint, as Claude Code does.
MAX_FILE_BYTES = 256 * 1024
# However offset/limit are set, one result holds at most this much text.
MAX_OUTPUT_BYTES = 256 * 1024
CHUNK_BYTES = 1024 * 1024
SNIFF_BYTES = 8192
# Lines read before the window when the file has no masked view (it is too large): enough for a secret's
# name above its value (a YAML block scalar) or a PEM header above its body.
CONTEXT_LINES = 50
# A line is kept only up to this many bytes (enough for MAX_LINE_CHARS characters of UTF-8), so one
# gigabyte-long line costs no more memory than a short one.
_KEEP_BYTES = MAX_LINE_CHARS * 4 + 4
_BOM = b"\xef\xbb\xbf"

DESCRIPTION = """Reads a file from the workspace (the repository under review).

Usage:
- The file_path parameter is a path inside the workspace: relative to its root, or absolute
- By default, it reads up to 2000 lines starting from the beginning of the file
- You can optionally specify a line offset and limit (especially handy for long files), but it's recommended to read the whole file by not providing these parameters
- Any lines longer than 2000 characters will be truncated
- Results are returned using cat -n format, with line numbers starting at 1
- When only part of the file is shown, the result ends with "showing lines X-Y of Z"
- Files larger than 256 KB must be read in parts with offset and limit (or searched with Grep)
- This tool can only read text files, not directories or binary files. To list a directory, use the Glob tool
- You can call multiple tools in a single response. It is always better to speculatively read multiple potentially useful files in parallel.
- If you read a file that exists but has empty contents you will be told so in place of file contents."""


class ReadInput(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=plain_optional_schema)

    file_path: str = Field(description="The path to the file to read (relative to the workspace root, or absolute inside it)")
    offset: int | None = Field(
        None, ge=0, description="The line number to start reading from. Only provide if the file is too large to read at once"
    )
    limit: int | None = Field(
        None, ge=1, description="The number of lines to read. Only provide if the file is too large to read at once."
    )


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


class _Window:
    """The lines first..last (1-based, inclusive) of a file read in chunks, and how many lines it has."""

    def __init__(self, first: int, last: int) -> None:
        self.first, self.last = first, last
        self.lines: list[tuple[bytes, bool]] = []  # (kept bytes, was the line cut)
        self.total = 0
        self.capped = False  # stopped early because the output would be too large
        self._kept_bytes = 0

    def scan(self, handle) -> None:
        lineno = 1  # the line that starts at the current position
        current = bytearray()
        current_cut = False
        last_byte = b""
        while chunk := handle.read(CHUNK_BYTES):
            last_byte = chunk[-1:]
            at, size = 0, len(chunk)
            while at < size:
                if lineno > self.last:  # past the window: only count
                    lineno += chunk.count(b"\n", at)
                    break
                if lineno < self.first:  # before the window: skip whole lines cheaply
                    needed = self.first - lineno
                    if chunk.count(b"\n", at) < needed:
                        lineno += chunk.count(b"\n", at)
                        break
                    for _ in range(needed):
                        at = chunk.index(b"\n", at) + 1
                    lineno = self.first
                    continue
                newline = chunk.find(b"\n", at)
                end = size if newline == -1 else newline
                room = _KEEP_BYTES - len(current)
                if room > 0:
                    current += chunk[at:min(end, at + room)]
                if end - at > room:
                    current_cut = True
                if newline == -1:
                    break
                self._keep(lineno, bytes(current), current_cut)
                current, current_cut = bytearray(), False
                lineno += 1
                at = newline + 1
        ends_open = last_byte not in (b"\n", b"")
        if ends_open and self.first <= lineno <= self.last:
            self._keep(lineno, bytes(current), current_cut)
        self.total = lineno if ends_open else lineno - 1

    def _keep(self, lineno: int, data: bytes, cut: bool) -> None:
        if self._kept_bytes + len(data) > MAX_OUTPUT_BYTES and self.lines:
            self.capped = True
            self.last = lineno - 1
            return
        self._kept_bytes += len(data) + 8
        self.lines.append((data, cut))


def _decode(data: bytes, cut: bool) -> tuple[str, bool]:
    """The line as text, and whether it held bytes that are not UTF-8."""
    try:
        # A cut line may end inside a multi-byte character: an incremental decoder leaves that tail out.
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=not cut), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


def _closest_name(real: Path, root: Path) -> str | None:
    """The existing path inside the workspace closest to a missing one, correcting each missing part in turn."""
    try:
        parts = real.relative_to(root).parts
    except ValueError:
        return None
    current = root
    for part in parts:
        if os.path.lexists(current / part):
            current = current / part
            continue
        try:
            with os.scandir(current) as entries:
                names = [entry.name for _, entry in zip(range(10000), entries)]
        except OSError:
            return None
        match = difflib.get_close_matches(part, names, n=1, cutoff=0.6)
        if not match:
            return None
        current = current / match[0]
    if current == root or not is_inside(Path(os.path.realpath(current)), root):
        return None
    return str(current.relative_to(root))


class Read(Tool):
    name = "Read"
    description = DESCRIPTION
    Input = ReadInput

    def run(self, input: ReadInput, ctx: ToolContext) -> str:
        real = resolve(ctx, input.file_path)
        shown = relative(ctx, real)
        try:
            path_fd = open_checked(real, shown)  # O_PATH: a FIFO or a device is looked at, never opened
        except (FileNotFoundError, NotADirectoryError):
            message = f"File does not exist: {input.file_path}."
            try:
                closest = _closest_name(real, ctx.workspace.resolve())
            except OSError:  # the tree changed while it was searched
                closest = None
            if closest:
                message += f" Did you mean {closest}?"
            raise ToolError(message) from None
        except OSError as error:
            raise ToolError(f"Cannot read {shown}: {error.strerror}.") from None
        try:
            info = os.fstat(path_fd)
            if stat.S_ISDIR(info.st_mode):
                pattern = "**/*" if shown == "." else f"{shown}/**/*"
                raise ToolError(f"{shown} is a directory, not a file. Use the Glob tool (e.g. pattern \"{pattern}\") to list its files.")
            if not stat.S_ISREG(info.st_mode):
                raise ToolError(f"{shown} is not a regular file (a device, FIFO or socket); Read only reads regular files.")
            if info.st_size > MAX_FILE_BYTES and input.offset is None and input.limit is None:
                raise ToolError(
                    f"{shown} is {_size(info.st_size)}, over the {_size(MAX_FILE_BYTES)} Read shows at once. "
                    "Use offset and limit to read part of it, or Grep to find the lines you need."
                )
            try:
                fd = reopen(path_fd, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
            except FileNotFoundError:
                raise ToolError(f"{shown} no longer exists.") from None
            except OSError as error:
                raise ToolError(f"Cannot read {shown}: {error.strerror}.") from None
        finally:
            os.close(path_fd)
        with os.fdopen(fd, "rb") as handle:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
                raise ToolError(f"{shown} changed while it was being opened; try again.")
            head = handle.read(SNIFF_BYTES)
            if not head:
                return f"The file {shown} exists but is empty."
            # The masked view (secrets masked in the raw text, credential files with every value masked) is what
            # is numbered and shown; a file too large for a view gets its window redacted with lines before it.
            view = masked_bytes(real, tuple(session_secrets(ctx)), opened)
            source = io.BytesIO(view) if view is not None else handle
            if view is None and b"\x00" in head:
                raise ToolError(f"{shown} looks like a binary file (it contains NUL bytes); Read only shows text files.")
            source.seek(0)
            first = max(input.offset or 1, 1)
            large = view is None and opened.st_size > MAX_VIEW_BYTES
            start = max(1, first - CONTEXT_LINES) if large else first
            window = _Window(start, first + (input.limit or DEFAULT_LIMIT) - 1)
            window.scan(source)
        if first > window.total:
            raise ToolError(f"offset {first} is past the end of {shown}, which has {window.total} lines.")
        return _render(window, first, start, redact_window=large)


def _render(window: _Window, first: int, start: int, redact_window: bool = False) -> str:
    texts, not_utf8, nul_lines = [], False, []
    for number, (data, cut) in enumerate(window.lines, start=start):
        if number == 1 and data.startswith(_BOM):
            data = data[len(_BOM):]
        if data.endswith(b"\r") and not cut:
            data = data[:-1]
        text, bad = _decode(data, cut)
        not_utf8 = not_utf8 or bad
        if "\x00" in text:  # past the first 8 KB (a NUL there refuses the file): a sparse or partly binary file
            text = text.replace("\x00", "")
            if number >= first:
                nul_lines.append(number)
        texts.append((text, cut))
    if redact_window:  # the raw lines, before numbering, with the context lines above the window
        joined = redact("\n".join(text for text, _ in texts), keep_lines=True).split("\n")
        if len(joined) == len(texts):
            texts = [(text, cut) for text, (_, cut) in zip(joined, texts)]
    texts = texts[first - start:]
    window.lines = window.lines[first - start:]
    out = []
    for number, (text, cut) in enumerate(texts, start=first):
        if cut or len(text) > MAX_LINE_CHARS:
            text = text[:MAX_LINE_CHARS] + f"… [line truncated to {MAX_LINE_CHARS} characters]"
        out.append(f"{number}\t{text}")
    notes = []
    last_shown = first + len(window.lines) - 1
    if first > 1 or last_shown < window.total:
        note = f"showing lines {first}-{last_shown} of {window.total}"
        if window.capped:
            note += f"; output capped at {_size(MAX_OUTPUT_BYTES)}"
        if last_shown < window.total:
            note += f"; use offset={last_shown + 1} to read on"
        notes.append(note)
    if nul_lines:
        notes.append(f"NUL bytes were left out of {len(nul_lines)} line{'s' if len(nul_lines) != 1 else ''} (first: line "
                     f"{nul_lines[0]}): past its first 8 KB the file holds binary data")
    if not_utf8:
        notes.append("the file is not valid UTF-8: undecodable bytes are shown as \ufffd")
    text = "\n".join(out)
    if notes:
        text += "\n\n(" + "; ".join(notes) + ")"
    return text


TOOLS = [Read()]
