"""Everything a front-end needs to talk to the expert: settings, tools, model client, conversation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ask_redis import loop, tools as tool_registry
from ask_redis.config import Settings
from ask_redis.conversation import Conversation
from ask_redis.events import Event, Start
from ask_redis.prompts import load
from ask_redis.redact import redact


def redis_display(url: str | None) -> str | None:
    return redact(url) if url else None


def system_prompt(settings: Settings) -> str:
    lines = [load("redis-expert.md").rstrip(), "", "## This session", f"- Workspace (the user's repository): {settings.repo}"]
    if settings.redis_url:
        lines.append(f"- Live Redis: {redis_display(settings.redis_url)} (read-only tools)")
    else:
        lines.append("- No Redis URL was given: advise from the code; the user can pass --redis-url to let you inspect an instance.")
    if settings.rdb:
        lines.append(f"- RDB dump: {settings.rdb} (redis_rdb analyses every key of it)")
    return "\n".join(lines) + "\n"


@dataclass
class Session:
    settings: Settings
    model: Any
    conversation: Conversation = field(default_factory=Conversation)
    recorder: Any = None

    def __post_init__(self) -> None:
        self.ctx = tool_registry.ToolContext(workspace=self.settings.repo, redis_url=self.settings.redis_url)
        if self.settings.rdb:
            self.ctx.state["rdb_path"] = self.settings.rdb
        self.tools, self.unavailable = tool_registry.available(self.ctx)
        self.system = system_prompt(self.settings)

    def start_event(self) -> Start:
        return Start(session_id=self.conversation.session_id, model=self.model.model, workspace=str(self.settings.repo),
                     tools=[t.name for t in self.tools], tools_unavailable=self.unavailable,
                     redis=redis_display(self.settings.redis_url))

    def redis_problem(self) -> str | None:
        """Why the configured Redis cannot be inspected (connecting once, the connection kept for the tools), or None."""
        if not self.settings.redis_url:
            return None
        from ask_redis.tools import ToolError
        from ask_redis.tools.redis_session import connection

        try:
            connection(self.ctx)
        except ToolError as error:
            return redact(str(error))
        return None

    def ask(self, text: str) -> Iterator[Event]:
        self.conversation.add_user(text)
        yield from loop.run(self.conversation, self.model, self.tools, self.ctx, self.system, self.settings.max_turns)


def model_client(settings: Settings, recorder: Any = None) -> Any:
    """The model client for these settings, its HTTP exchanges going through `recorder` when there is one."""
    from ask_redis.model import ModelClient

    http_client = None
    if recorder is not None:
        from ask_redis.transcript import http_client_for

        http_client = http_client_for(recorder)
    return ModelClient(settings, http_client=http_client)


def open_session(settings: Settings, conversation: Conversation | None = None, record_meta: dict | None = None) -> Session:
    """Build the model client (recording its HTTP exchanges when settings.record is set)."""
    recorder = None
    if settings.record:
        from ask_redis.transcript import Recorder

        recorder = Recorder(settings.record, record_meta or {}, str(settings.repo))
    return Session(settings=settings, model=model_client(settings, recorder), conversation=conversation or Conversation(),
                   recorder=recorder)
