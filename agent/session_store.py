"""Saved chat sessions: one JSONL file per session in the user's data directory, readable only by the user.

The first line describes the session (id, times, workspace, model, title, tokens and cost so far); every
other line is one message of the history, as sent to the API. A save rewrites the file through a temporary
file and a rename, so a crash leaves the previous save intact and loses at most the turn in flight.
Everything written passes through `redact`, so a password typed into the chat never lands on disk.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ask_redis.conversation import Conversation

FORMAT = 1


class StoreError(Exception):
    """A session cannot be found or read; the message is one line for the user."""


def data_dir() -> Path:
    """$XDG_DATA_HOME/ask-redis, else ~/.local/share/ask-redis; created with mode 0700."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    path = Path(base) / "ask-redis"
    _private_dir(path)
    return path


def sessions_dir() -> Path:
    path = data_dir() / "sessions"
    _private_dir(path)
    return path


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


@dataclass
class SessionInfo:
    """The first line of a session file."""

    id: str
    created: float
    updated: float
    workspace: str = ""
    model: str = ""
    title: str = ""
    messages: int = 0
    usage: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0
    context: int = 0  # tokens the last request took, so a resumed session knows when to compact
    path: Path | None = None

    def header(self) -> dict[str, Any]:
        return {"type": "session", "format": FORMAT, "id": self.id, "created": self.created, "updated": self.updated,
                "workspace": self.workspace, "model": self.model, "title": self.title, "messages": self.messages,
                "usage": self.usage, "cost_usd": self.cost_usd, "context": self.context}


def title_of(conversation: Conversation) -> str:
    """The first thing the user asked, on one short line."""
    for message in conversation.messages:
        if message["role"] != "user":
            continue
        for block in message["content"]:
            if block.get("type") == "text" and block["text"].strip() and not block["text"].startswith("["):
                line = " ".join(block["text"].split())
                return line if len(line) <= 60 else line[:59] + "…"
    return ""


def save(conversation: Conversation, info: SessionInfo) -> Path:
    """Write the whole session (atomically) and return its path."""
    info.id = conversation.session_id
    info.updated = time.time()
    info.messages = len(conversation.messages)
    info.title = title_of(conversation) or info.title
    path = sessions_dir() / f"{conversation.session_id}.jsonl"
    lines = [json.dumps(info.header(), ensure_ascii=False)]
    lines += [json.dumps(message, ensure_ascii=False) for message in conversation.messages]
    from ask_redis.redact import redact  # its patterns take a while to compile: chat's first frame does not wait

    text = redact("\n".join(lines)) + "\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    info.path = path
    return path


def _read_header(path: Path) -> SessionInfo | None:
    try:
        with path.open(encoding="utf-8") as handle:
            header = json.loads(handle.readline())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or header.get("type") != "session" or not isinstance(header.get("id"), str):
        return None
    known = {name: header[name] for name in SessionInfo.__dataclass_fields__ if name in header and name != "path"}
    try:
        info = SessionInfo(**known)
    except TypeError:
        return None
    info.path = path
    return info


def list_sessions(workspace: str | None = None) -> list[SessionInfo]:
    """Saved sessions, newest first (only those of `workspace` when given)."""
    found = [info for path in sessions_dir().glob("*.jsonl") if (info := _read_header(path))]
    if workspace is not None:
        found = [info for info in found if info.workspace == workspace]
    return sorted(found, key=lambda info: info.updated, reverse=True)


def find(id_or_prefix: str) -> SessionInfo:
    """The session whose id is `id_or_prefix` or starts with it; StoreError if none or several."""
    wanted = id_or_prefix.strip()
    if not wanted or not all(c.isalnum() or c == "-" for c in wanted):
        raise StoreError(f"not a session id: {wanted!r}")
    matches = [info for info in list_sessions() if info.id.startswith(wanted)]
    exact = [info for info in matches if info.id == wanted]
    if exact:
        return exact[0]
    if not matches:
        raise StoreError(f"no saved session matches {wanted!r} (/sessions lists them)")
    if len(matches) > 1:
        raise StoreError(f"{wanted!r} matches {len(matches)} sessions: {', '.join(i.id[:8] for i in matches[:5])}; give more of the id")
    return matches[0]


def load(info: SessionInfo) -> Conversation:
    """The conversation saved in `info.path`."""
    assert info.path is not None
    messages = []
    try:
        lines = info.path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise StoreError(f"cannot read session {info.id[:8]}: {error}") from None
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            raise StoreError(f"session {info.id[:8]} is damaged: line {number} is not JSON ({info.path})") from None
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant") or not isinstance(message.get("content"), list):
            raise StoreError(f"session {info.id[:8]} is damaged: line {number} is not a message ({info.path})")
        messages.append(message)
    from ask_redis.conversation import Conversation

    return Conversation(session_id=info.id, messages=messages)


def latest(workspace: str) -> SessionInfo | None:
    sessions = list_sessions(workspace)
    return sessions[0] if sessions else None
