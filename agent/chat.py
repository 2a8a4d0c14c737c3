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

NO_KEY = "no API key: set ANTHROPIC_API_KEY (or api_key in {path}) to chat"
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

            with LiveAnswer(self.out.console) as renderer:
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

        waiting = self.out.console.status("compacting older turns…") if self.out.interactive else contextlib.nullcontext()
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


def run(settings: Settings, resume: str | None = None, continue_latest: bool = False) -> int:
    if settings.api_key is None and not review_available():
        sys.stderr.write(f"ask-redis: {NO_KEY.format(path=config_path())}\n")
        return 2
    conversation, info = None, None
    if resume or continue_latest:
        try:
            info = store.find(resume) if resume else store.latest(str(settings.repo))
            if info is None:
                raise store.StoreError(f"no saved session for {settings.repo}; --resume ID takes any (ids: /sessions)")
            conversation = store.load(info)
        except store.StoreError as error:
            sys.stderr.write(f"ask-redis: {error}\n")
            return 2
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    from ask_redis.chat_render import PlainOutput, RichOutput

    try:
        chat = Chat(settings, RichOutput() if interactive else PlainOutput(), conversation, info)
    except ModelError as error:
        sys.stderr.write(f"ask-redis: {error}\n")
        return 1
    if info is not None and not interactive:
        chat.out.notice(f"resumed session {info.id[:8]} ({len(conversation.messages)} messages)")
    if interactive:
        return repl(chat, resumed=info is not None)
    return chat.piped(sys.stdin)


# -- the terminal REPL -------------------------------------------------------------------------------------


def banner(chat: Chat, resumed: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    from ask_redis.oneshot import unavailable_lines
    from ask_redis.redact import redact

    console = chat.out.console
    start = chat.session.start_event()
    console.print(Text.assemble(("ask-redis", "bold red"), "  ", (start.model, "bold"), ("  session " + start.session_id[:8], "dim")))
    grid = Table.grid(padding=(0, 2))
    grid.add_row(Text("workspace", style="dim"), Text(start.workspace))
    redis = redact(start.redis) if start.redis else None
    grid.add_row(Text("redis", style="dim"), Text(f"{redis} (read-only)" if redis else "none: /redis URL to inspect an instance read-only"))
    sandbox = chat.session.unavailable.get("Bash")
    grid.add_row(Text("sandbox", style="dim"), Text(f"off: {sandbox}", style="yellow") if sandbox
                 else Text("Bash runs in a bubblewrap sandbox (no network, read-only repository)"))
    left_out = {name: why for name, why in start.tools_unavailable.items()
                if name != "Bash" and (start.redis or not name.lower().startswith("redis"))}
    others = unavailable_lines(start.model_copy(update={"tools_unavailable": left_out}))
    for line in others:
        grid.add_row("", Text(line, style="dim"))
    if not chat.has_key:
        grid.add_row(Text("model", style="dim"), Text(NO_KEY.format(path=config_path()) + "; /review works without one", style="yellow"))
    console.print(grid)
    console.print(Text("Enter sends · Alt-Enter or Ctrl-J: new line · Ctrl-R: search history · /help: commands and keys", style="dim"))
    if resumed:
        show_resumed(chat)


def show_resumed(chat: Chat, headline: str | None = None) -> None:
    """The last question and answer of a resumed session, so the user knows where they are."""
    from rich.markdown import Markdown
    from rich.text import Text

    console = chat.out.console
    messages = chat.conversation.messages
    console.print(Text(headline or f"resumed session {chat.conversation.session_id[:8]} ({len(messages)} messages)", style="green"))
    question = next((b["text"] for m in reversed(messages) if m["role"] == "user"
                     for b in m["content"] if b.get("type") == "text" and not b["text"].startswith("[")), None)
    answer = next((b["text"] for m in reversed(messages) if m["role"] == "assistant"
                   for b in reversed(m["content"]) if b.get("type") == "text"), None)
    if question:
        console.print(Text("> " + question.strip().splitlines()[0][:200], style="bold"))
    if answer:
        console.print(Markdown(answer))


def _private_file(path: Path) -> Path:
    import os

    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    return path


def completer(chat: Chat) -> Any:
    """Slash commands at the start of the line; session ids after /resume; workspace paths elsewhere."""
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document

    from ask_redis import slash

    class ChatCompleter(Completer):
        def __init__(self) -> None:
            self.paths = PathCompleter(get_paths=lambda: [str(chat.settings.repo)], expanduser=True)
            self.dirs = PathCompleter(get_paths=lambda: [str(chat.settings.repo)], expanduser=True, only_directories=True)

        def get_completions(self, document: Document, event: Any):
            text = document.text_before_cursor
            if text.startswith("/") and " " not in text and "\n" not in text:
                for name, (_, usage, help_text) in slash.COMMANDS.items():
                    if name.startswith(text[1:]):
                        yield Completion("/" + name, start_position=-len(text), display_meta=help_text)
                return
            word = document.get_word_before_cursor(WORD=True)
            if text.startswith("/resume "):
                for info in store.list_sessions()[:50]:
                    if info.id.startswith(word):
                        yield Completion(info.id[:8], start_position=-len(word), display_meta=info.title)
                return
            if text.startswith("/repo "):
                yield from self.dirs.get_completions(Document(word, len(word)), event)
            elif word and ("/" in word or word.startswith(".") or event.completion_requested):
                yield from self.paths.get_completions(Document(word, len(word)), event)

    return ChatCompleter()


def prompt_session(chat: Chat) -> Any:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.application import run_in_terminal
    from prompt_toolkit.filters import is_searching
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings

    keys = KeyBindings()
    state = {"armed": False}

    typing = ~is_searching  # while Ctrl-R searches, Enter and Ctrl-C keep their search meaning

    @keys.add("enter", filter=typing)
    def _send(event: Any) -> None:
        buffer = event.current_buffer
        state = buffer.complete_state
        if state:
            chosen = state.current_completion
            command_line = buffer.text.startswith("/")
            if chosen is None and command_line and state.completions:
                chosen = state.completions[0]  # `/he` + Enter runs /help
            if chosen is not None:
                buffer.apply_completion(chosen)
            buffer.cancel_completion()
            if state.current_completion is not None and not command_line:
                return  # a path picked from the menu mid-sentence: keep writing
        buffer.validate_and_handle()

    @keys.add("escape", "enter", filter=typing)
    @keys.add("c-j", filter=typing)
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    @keys.add("c-c", filter=typing)
    def _interrupt(event: Any) -> None:
        buffer = event.current_buffer
        if buffer.text:
            buffer.reset()
            state["armed"] = False
        elif state["armed"]:
            event.app.exit(exception=EOFError)
        else:
            state["armed"] = True
            run_in_terminal(lambda: chat.out.console.print("(Ctrl-C again to exit, or Ctrl-D)", style="dim"))

    @keys.add("c-o")
    def _last_tool(event: Any) -> None:
        from ask_redis import slash

        run_in_terminal(lambda: slash.run(chat, "/last"))

    def toolbar() -> Any:
        from ask_redis.compact import CONTEXT_WINDOW

        used = f"{chat.last_context // 1000}k/{CONTEXT_WINDOW // 1000}k" if chat.last_context else "0k"
        return f" {chat.session.model.model} · context {used} · ${chat.cost:.2f} · /help"

    history = FileHistory(str(_private_file(store.data_dir() / "history")))
    session = PromptSession(history=history, completer=completer(chat), complete_while_typing=True,
                            key_bindings=keys, multiline=True, prompt_continuation="  ", bottom_toolbar=toolbar,
                            enable_history_search=False)
    session.default_buffer.on_text_changed += lambda _: state.update(armed=False)
    return session


def repl(chat: Chat, resumed: bool = False) -> int:
    banner(chat, resumed)
    session = prompt_session(chat)
    try:
        while True:
            try:
                text = session.prompt("> ")
            except EOFError:
                break
            except KeyboardInterrupt:
                continue
            if not text.strip():
                continue
            try:
                if not chat.handle(text):
                    break
            except KeyboardInterrupt:
                continue  # the turn was cancelled and settled; the prompt comes back
    finally:
        chat.close()
    return 0
