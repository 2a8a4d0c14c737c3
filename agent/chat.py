"""Chat: a terminal REPL (prompt-toolkit input, rich output) or, when stdin is not a terminal, one turn per line.

Both run the same loop as one-shot through a Session and save the session after every turn.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ask_redis import compact as compaction
from ask_redis import session_store as store
from ask_redis.config import Settings, config_path
from ask_redis.conversation import Conversation
from ask_redis.events import Final, Notice, TextDelta, ToolCall, ToolResult, TurnUsage, Usage
from ask_redis.model import ModelError
from ask_redis.session import Session, open_session

KEY_PAGE = "https://console.anthropic.com/settings/keys"
NO_KEY = "no API key: set ANTHROPIC_API_KEY (or api_key in {path}) to chat; create a key at " + KEY_PAGE
INTERRUPTED = "[The user interrupted the answer above before it was complete.]"
RUNNING = "(still running)"
CUT_OFF = "[The answer above was cut off by an API error.]"


class NoKeyModel:
    """Stands in for the model client when there is no API key: chat still offers the offline commands."""

    def __init__(self, settings: Settings):
        self.model, self.max_tokens = settings.model, settings.max_tokens

    def call(self, body: dict[str, Any]):
        raise ModelError(NO_KEY.format(path=config_path()))
        yield  # a generator, like ModelClient.call


def review_available() -> bool:
    try:
        from ask_redis.review import run as review
    except ImportError:
        return False
    return hasattr(review, "run_review")


class Chat:
    def __init__(self, settings: Settings, output: Any, conversation: Conversation | None = None,
                 info: store.SessionInfo | None = None):
        self.settings, self.out = settings, output
        self.has_key = settings.api_key is not None
        if self.has_key:
            self.session = open_session(settings, conversation)
        else:
            self.session = Session(settings=settings, model=NoKeyModel(settings), conversation=conversation or Conversation())
        self.info = info or self._new_info()
        self.totals = Usage(**(self.info.usage or {}))
        self.cost = self.info.cost_usd
        self.last_context = self.info.context
        self.last_tool: tuple[ToolCall, ToolResult] | None = None
        self.failed = False

    # -- state -------------------------------------------------------------------------------------------

    @property
    def conversation(self) -> Conversation:
        return self.session.conversation

    def _new_info(self) -> store.SessionInfo:
        now = time.time()
        return store.SessionInfo(id=self.conversation.session_id, created=now, updated=now,
                                 workspace=str(self.settings.repo), model=self.session.model.model)

    def rebuild(self, settings: Settings, model: Any = None, conversation: Conversation | None = None) -> None:
        """A new Session (tools, system prompt) over new settings; the conversation and model go on unless given."""
        self.settings = settings
        state = self.session.ctx.state  # tools' per-session state: Bash's cwd, the cached Redis connection
        self.session = Session(settings=settings, model=model or self.session.model,
                               conversation=conversation or self.session.conversation, recorder=self.session.recorder)
        self.session.ctx.state.update(state)  # the tools check it against the new workspace and URL

    def new_conversation(self, conversation: Conversation | None = None, info: store.SessionInfo | None = None) -> None:
        self.rebuild(self.settings, conversation=conversation or Conversation())
        self.info = info or self._new_info()
        self.totals, self.cost = Usage(**(self.info.usage or {})), self.info.cost_usd
        self.last_context, self.last_tool = self.info.context, None

    def save(self) -> Path | None:
        if not self.conversation.messages:
            return None
        self.info.model = self.session.model.model
        self.info.workspace = str(self.settings.repo)
        self.info.usage = self.totals.model_dump()
        self.info.cost_usd = round(self.cost, 6)
        self.info.context = self.last_context
        try:
            return store.save(self.conversation, self.info)
        except OSError as error:
            self.out.error(f"could not save the session: {error}")
            return None

    def add_usage(self, usage: Usage, cost: float) -> None:
        self.totals, self.cost = self.totals + usage, self.cost + cost

    # -- turns -------------------------------------------------------------------------------------------

    def ask(self, text: str) -> None:
        if not self.has_key:
            self.out.error(NO_KEY.format(path=config_path()) + ("; /review works without one" if review_available() else ""))
            self.failed = True
            return
        if compaction.needs_compaction(self.last_context):
            self.out.notice(f"the conversation is near the context window ({self.last_context // 1000}k of "
                            f"{compaction.CONTEXT_WINDOW // 1000}k tokens): compacting older turns into a summary")
            self.compact()
        if self.out.interactive:
            from ask_redis.chat_render import LiveAnswer

            with LiveAnswer(self.out) as renderer:
                self._run_turn(text, renderer)
        else:
            from ask_redis.chat_render import PlainAnswer

            answer = PlainAnswer(self.out, self.settings.verbose)
            try:
                self._run_turn(text, answer)
            finally:
                answer.end_line()
            if answer.failed:
                self.failed = True

    def _run_turn(self, text: str, render: Any) -> None:
        events = self.session.ask(text)
        partial: list[str] = []  # text of the API call in flight, not yet in the history
        final: Final | None = None
        try:
            for event in events:
                if isinstance(event, TextDelta):
                    partial.append(event.text)
                elif isinstance(event, Notice):
                    partial = []  # a retried API call: the text shown so far was abandoned
                elif isinstance(event, ToolCall):
                    self.last_tool = (event, ToolResult(id=event.id, name=event.name, content=RUNNING, is_error=False, duration_ms=0))
                elif isinstance(event, ToolResult):
                    partial = []
                    if self.last_tool and self.last_tool[0].id == event.id:
                        self.last_tool = (self.last_tool[0], event)
                elif isinstance(event, TurnUsage):
                    self.add_usage(event.usage, event.cost_usd)
                    self.last_context = compaction.context_tokens(event.usage)
                elif isinstance(event, Final):
                    final = event
                render(event)
        except KeyboardInterrupt:
            events.close()
            self._settle("".join(partial), INTERRUPTED)
            if self.last_tool and self.last_tool[1].content == RUNNING:
                call = self.last_tool[0]
                self.last_tool = (call, ToolResult(id=call.id, name=call.name, content="not run: cancelled by the user", is_error=True, duration_ms=0))
            render.cancelled()
            raise
        finally:
            if final is not None and final.subtype == "error_api":
                self._settle("".join(partial), CUT_OFF if "".join(partial).strip() else None)
            self.save()
        if final is not None and final.subtype == "error_context_window":
            self.out.notice("compacting older turns so the next question fits")
            self.compact()

    def _settle(self, partial: str, note: str | None) -> None:
        """After a cancelled or broken answer: every tool_use answered, the text the user saw kept, a note why."""
        conversation = self.conversation
        last = conversation.messages[-1] if conversation.messages else None
        in_history = last is not None and last["role"] == "assistant"  # the loop had already stored this text
        conversation.close_unanswered("not run: cancelled by the user")
        if partial.strip() and not in_history:
            conversation.add_assistant([{"type": "text", "text": partial.rstrip()}])
        if note:
            conversation.add_user(note)

    def compact(self) -> bool:
        import contextlib

        waiting = self.out.status("compacting older turns…") if self.out.interactive else contextlib.nullcontext()
        try:
            with waiting:
                done = compaction.compact(self.conversation, self.session.model, on_notice=self.out.notice)
        except compaction.NothingToCompact as why:
            self.out.say(str(why))
            return False
        except ModelError as error:
            self.out.error(f"compaction failed: {error}")
            self.failed = True
            return False
        self.add_usage(done.usage, done.cost_usd)
        self.last_context = 0
        self.out.notice(f"compacted {done.summarised} earlier messages into a summary; kept the last {done.kept}")
        self.save()
        return True

    # -- input -------------------------------------------------------------------------------------------

    def handle(self, text: str) -> bool:
        """One line (or block) of input; False when the chat should end."""
        from ask_redis import slash

        if slash.is_command(text):
            return slash.run(self, text)
        self.ask(text)
        return True

    def piped(self, stream: TextIO) -> int:
        """One turn per line; a line ending in a backslash continues on the next."""
        from ask_redis.oneshot import unavailable_lines

        if self.settings.verbose:
            for line in unavailable_lines(self.session.start_event()):
                self.out.notice(line)
        pending: list[str] = []
        try:
            for raw in stream:
                line = raw.rstrip("\r\n")
                if line.endswith("\\"):
                    pending.append(line[:-1])
                    continue
                text = "\n".join([*pending, line])
                pending = []
                if text.strip() and not self.handle(text):
                    break
            if pending and "\n".join(pending).strip():
                self.handle("\n".join(pending))
        except KeyboardInterrupt:
            return 130
        finally:
            self.close()
        return 1 if self.failed else 0

    def close(self) -> None:
        self.save()
        if self.session.recorder:
            self.session.recorder.save()


def opening(settings: Settings, resume: str | None, continue_latest: bool
            ) -> tuple[Conversation | None, store.SessionInfo | None, str | None]:
    """The saved session to go on with (none for a new one), or why chat cannot start (one line)."""
    if settings.api_key is None and not review_available():
        return None, None, NO_KEY.format(path=config_path())
    if not (resume or continue_latest):
        return None, None, None
    try:
        info = store.find(resume) if resume else store.latest(str(settings.repo))
        if info is None:
            raise store.StoreError(f"no saved session for {settings.repo}; --resume ID takes any (ids: /sessions)")
        return store.load(info), info, None
    except store.StoreError as error:
        return None, None, str(error)


def run(settings: Settings, resume: str | None = None, continue_latest: bool = False) -> int:
    conversation, info, problem = opening(settings, resume, continue_latest)
    if problem:
        sys.stderr.write(f"ask-redis: {problem}\n")
        return 2
    if sys.stdin.isatty() and sys.stdout.isatty():
        from ask_redis.chat_repl import repl

        return repl(settings, conversation, info)
    from ask_redis.chat_render import PlainOutput

    try:
        chat = Chat(settings, PlainOutput(), conversation, info)
    except ModelError as error:
        sys.stderr.write(f"ask-redis: {error}\n")
        return 1
    if info is not None:
        chat.out.notice(f"resumed session {info.id[:8]} ({len(conversation.messages)} messages)")
    return chat.piped(sys.stdin)
