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
    if sys.stdin.isatty() and sys.stdout.isatty():
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


# -- the terminal REPL -------------------------------------------------------------------------------------
#
# The order of a start is what makes it feel instant: keys are held (no echo) at once, the first banner lines and
# a working input line come next, and only then is the SDK imported (building the Chat) while the person types.
# The input line is one prompt-toolkit application that runs, in its own thread, for the whole session; turns
# run in the main thread, so Ctrl-C (a key to the application) interrupts them as a SIGINT always did.

END = object()  # in the inbox: leave the chat
HINT = "Enter sends · Ctrl-J: new line · Ctrl-R: search history · Esc: interrupt"


def _dim(text: str) -> str:
    return f"\x1b[2m{text}\x1b[0m"


def header_lines(settings: Settings, conversation: Conversation | None) -> str:
    """The first banner lines: only what the settings say, so they cost nothing to draw."""
    from ask_redis.redact import redact

    session_id = (conversation.session_id if conversation else "")[:8]
    title = f"\x1b[1;31mask-redis\x1b[0m  \x1b[1m{settings.model}\x1b[0m" + (_dim(f"  session {session_id}") if session_id else "")
    return f"{title}\n{_dim('workspace')}  {redact(str(settings.repo))}\n"


def redis_line(url: str | None, check: "RedisCheck | None") -> str:
    from ask_redis.live.conn import display_url

    if not url:
        return f"{_dim('redis    ')}  live Redis checks off (no --redis-url; /redis URL to add one)"
    verdict = check.verdict() if check else "not checked"
    colour = "32" if verdict.startswith("reachable") else "33" if verdict.startswith("checking") else "31"
    return f"{_dim('redis    ')}  {display_url(url)}  \x1b[{colour}m{verdict}\x1b[0m"


class RedisCheck:
    """Connects to the Redis URL once, in the background, so the banner can say whether it answers."""

    def __init__(self, url: str):
        import threading

        self.url, self.result, self.done = url, None, threading.Event()
        threading.Thread(target=self._run, name="redis-check", daemon=True).start()

    def _run(self) -> None:
        try:
            from ask_redis.slash import redis_summary

            self.result = ("reachable", redis_summary(self.url))
        except Exception as error:  # RedisConnError, or anything else: one line, password masked
            from ask_redis.live.conn import display_url
            from ask_redis.redact import redact

            message = redact(str(error)).replace(f"cannot use {display_url(self.url)}: ", "").rstrip(".")
            auth = any(word in message.upper() for word in ("WRONGPASS", "NOAUTH", "PASSWORD", "AUTHENTICATION"))
            self.result = ("auth failed" if auth else "unreachable", message)
        finally:
            self.done.set()

    def wait(self, seconds: float) -> None:
        self.done.wait(seconds)

    def verdict(self) -> str:
        if self.result is None:
            return "checking…"
        state, detail = self.result
        if state == "reachable":
            return f"reachable ({detail}; read-only)"
        return f"{state}: {detail}"


def banner_rest(chat: Chat, check: RedisCheck | None) -> None:
    """The banner lines that needed the session: Redis, the sandbox, what is off, the key."""
    from ask_redis.oneshot import unavailable_lines

    out = chat.out
    start = chat.session.start_event()
    if check is not None:
        from ask_redis.live.conn import parse_url

        try:
            timeout = parse_url(check.url).connect_timeout
        except Exception:
            timeout = 5.0
        check.wait(timeout + 1)
    lines = [redis_line(chat.settings.redis_url, check)]
    sandbox = chat.session.unavailable.get("Bash")
    lines.append(f"{_dim('sandbox  ')}  " + (f"\x1b[33moff: {sandbox}\x1b[0m" if sandbox
                                              else "Bash runs in a bubblewrap sandbox (no network, read-only repository)"))
    left_out = {name: why for name, why in start.tools_unavailable.items()
                if name != "Bash" and (start.redis or not name.lower().startswith("redis"))}
    lines += [f"           {_dim(line)}" for line in unavailable_lines(start.model_copy(update={"tools_unavailable": left_out}))]
    if not chat.has_key:
        lines.append(f"{_dim('model    ')}  \x1b[33mno API key: questions need ANTHROPIC_API_KEY (create one at "
                     f"{KEY_PAGE}, or set api_key in {config_path()}); /review runs the offline checks without one\x1b[0m")
    lines.append(_dim(HINT))
    out.ansi("\n".join(lines))


def show_resumed(chat: Chat, headline: str | None = None) -> None:
    """The last question and answer of a resumed session, so the user knows where they are."""
    from rich.text import Text

    from ask_redis.chat_render import Markdown

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


class ReplState:
    """What the input thread and the turn thread share."""

    def __init__(self, settings: Settings, screen: Any):
        import queue
        import threading

        self.settings, self.screen = settings, screen
        self.chat: Chat | None = None
        self.busy = False  # a turn or command is running in the main thread
        self.inbox: "queue.Queue[Any]" = queue.Queue()
        self.main = threading.main_thread().ident
        self.failure: str | None = None  # why the input line stopped, if it crashed

    @property
    def repo(self) -> Path:
        return (self.chat.settings if self.chat else self.settings).repo

    def submit(self, text: str) -> None:
        if self.busy:
            self.screen.queued.append(text)
            self.screen.invalidate()
        self.inbox.put(text)

    def take_back(self) -> list[str]:
        """The questions queued behind the running turn, out of the queue (an interrupt returns them to the input)."""
        import queue

        taken, kept = [], []
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                break
            (kept if item is END else taken).append(item)
        for item in kept:
            self.inbox.put(item)
        self.screen.queued.clear()
        return taken

    def interrupt(self) -> None:
        import signal

        signal.pthread_kill(self.main, signal.SIGINT)


def completer(state: ReplState) -> Any:
    """Slash commands at the start of the line; model aliases after /model; session ids after /resume; workspace
    paths elsewhere (never the VCS directories)."""
    import os

    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document

    from ask_redis import slash
    from ask_redis.model import ALIASES

    def visible(name: str) -> bool:
        return os.path.basename(name.rstrip("/")) not in (".git", ".hg", ".svn", ".jj")

    class ChatCompleter(Completer):
        def __init__(self) -> None:
            self.paths = PathCompleter(get_paths=lambda: [str(state.repo)], expanduser=True, file_filter=visible)
            self.dirs = PathCompleter(get_paths=lambda: [str(state.repo)], expanduser=True, only_directories=True,
                                      file_filter=visible)

        def get_completions(self, document: Document, event: Any):
            text = document.text_before_cursor
            if text.startswith("/") and " " not in text and "\n" not in text:
                for name, (_, usage, help_text) in slash.COMMANDS.items():
                    if name.startswith(text[1:]):
                        yield Completion("/" + name, start_position=-len(text), display_meta=help_text)
                return
            word = document.get_word_before_cursor(WORD=True)
            if text.startswith("/model "):
                for alias in ALIASES:
                    if alias.startswith(word):
                        yield Completion(alias, start_position=-len(word))
                return
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


def prompt_session(state: ReplState) -> Any:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.filters import Condition, is_searching
    from prompt_toolkit.formatted_text import ANSI
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    screen = state.screen
    keys = KeyBindings()
    armed = {"exit": False}
    typing = ~is_searching  # while Ctrl-R searches, Enter and Ctrl-C keep their search meaning
    busy = Condition(lambda: state.busy)

    @keys.add("enter", filter=typing)
    def _send(event: Any) -> None:
        buffer = event.current_buffer
        completing = buffer.complete_state
        if completing:
            chosen = completing.current_completion
            naming_command = buffer.text.startswith("/") and " " not in buffer.text  # `/he` + Enter runs /help
            if chosen is None and naming_command and completing.completions:
                chosen = completing.completions[0]
            if chosen is not None:  # a completion is applied only when it names the command, or was picked
                buffer.apply_completion(chosen)
            buffer.cancel_completion()
            if completing.current_completion is not None and not naming_command:
                return  # a path picked from the menu: keep writing
        text = buffer.text
        if not text.strip():
            return
        buffer.reset(append_to_history=True)
        state.submit(text)

    @keys.add("escape", "enter", filter=typing)
    @keys.add("c-j", filter=typing)
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    def interrupt(event: Any) -> None:
        """Stop the running turn; questions queued behind it go back into the input, with what is typed there."""
        taken = state.take_back()
        if taken:
            buffer = event.current_buffer
            buffer.text = "\n".join([*taken, buffer.text] if buffer.text else taken)
            buffer.cursor_position = len(buffer.text)
        state.interrupt()

    @keys.add("escape", filter=typing & busy)
    def _escape(event: Any) -> None:
        interrupt(event)

    @keys.add("c-c", filter=typing)
    def _ctrl_c(event: Any) -> None:
        buffer = event.current_buffer
        if state.busy:
            interrupt(event)  # what is typed stays typed
        elif buffer.text:
            buffer.reset()
            armed["exit"] = False
        elif armed["exit"]:
            state.inbox.put(END)
        else:
            armed["exit"] = True
            screen.print_ansi(_dim("(Ctrl-C again to exit, or Ctrl-D)"))

    @keys.add("c-d", filter=typing & Condition(lambda: not state.busy))
    def _ctrl_d(event: Any) -> None:
        if not event.current_buffer.text:
            state.inbox.put(END)
        else:
            event.current_buffer.delete()

    @keys.add("c-o")
    def _last_tool(event: Any) -> None:
        from ask_redis import slash

        if state.chat is not None:
            slash.run(state.chat, "/last")

    def message() -> Any:
        live = screen.live
        text = live.render(screen.width()) if live is not None else ""
        for queued in screen.queued:
            first = queued.strip().splitlines()[0] if queued.strip() else ""
            text += _dim(f"queued: {first[: screen.width() - 12]}") + "\n"
        return ANSI(text + "\x1b[1m> \x1b[0m")

    def toolbar() -> Any:
        from ask_redis.compact import CONTEXT_WINDOW

        chat = state.chat
        model = chat.session.model.model if chat else state.settings.model
        context = chat.last_context if chat else 0
        cost = chat.cost if chat else 0.0
        # after /compact the size is known again only with the next request
        used = f"{context // 1000}k/{CONTEXT_WINDOW // 1000}k" if context else "n/a" if chat and chat.conversation.messages else "0k"
        if state.busy:
            return f" {model} · context {used} · ${cost:.2f} · Esc: interrupt · Enter: queue"
        return f" {model} · context {used} · ${cost:.2f} · /help"

    try:
        history: Any = FileHistory(str(_private_file(store.data_dir() / "history")))
    except OSError:
        history = InMemoryHistory()
    session = PromptSession(message=message, history=history, completer=completer(state), complete_while_typing=True,
                            key_bindings=keys, multiline=True, prompt_continuation="  ", bottom_toolbar=toolbar,
                            enable_history_search=False)
    session.default_buffer.on_text_changed += lambda _: armed.update(exit=False)
    return session


def start_input(state: ReplState, session: Any) -> Any:
    """Run the input line in its own thread; returns once it is drawn."""
    import threading

    drawn = threading.Event()

    def attach() -> None:
        state.screen.attach(session.app)
        session.app.after_render += lambda _: drawn.set()

    def serve() -> None:
        try:
            session.prompt(pre_run=attach, handle_sigint=False, set_exception_handler=False)
        except (EOFError, KeyboardInterrupt):  # the main thread ends the chat
            pass
        except Exception as error:  # a bug in the input line: said in one line once the terminal is restored
            import logging

            logging.getLogger("ask_redis").debug("the input line stopped", exc_info=True)
            state.failure = f"the input line stopped: {type(error).__name__}: {error}"
        finally:
            state.screen.detach()
            state.inbox.put(END)
            drawn.set()

    def tick() -> None:  # spinners and elapsed times move only while something is live: an idle chat costs nothing
        while thread.is_alive():
            time.sleep(0.1)
            if state.screen.live is not None or state.screen.queued:
                state.screen.invalidate()

    thread = threading.Thread(target=serve, name="chat-input", daemon=True)
    thread.start()
    threading.Thread(target=tick, name="chat-ticker", daemon=True).start()
    drawn.wait(5.0)  # the SDK import that follows must not delay the first frame
    return thread


def user_line(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    return "\n".join(f"\x1b[1m{'> ' if i == 0 else '  '}{line}\x1b[0m" for i, line in enumerate(lines))


def repl(settings: Settings, conversation: Conversation | None = None, info: store.SessionInfo | None = None) -> int:
    from ask_redis import chat_keys

    saved = chat_keys.hold()  # already held from the first moment when started by the CLI
    try:
        return _repl(settings, conversation, info)
    finally:
        chat_keys.release(saved)


def _repl(settings: Settings, conversation: Conversation | None, info: store.SessionInfo | None) -> int:
    conversation = conversation or Conversation()
    sys.stdout.write(header_lines(settings, conversation))
    sys.stdout.flush()
    check = RedisCheck(settings.redis_url) if settings.redis_url else None
    from ask_redis.chat_keys import Screen

    screen = Screen(sys.stdout)
    state = ReplState(settings, screen)
    session = prompt_session(state)
    from ask_redis import chat_keys

    sent, unfinished = chat_keys.typed_so_far()  # Enter already pressed on these: they are questions
    for text in sent:
        state.inbox.put(text)
    session.default_buffer.text = unfinished
    session.default_buffer.cursor_position = len(unfinished)
    thread = start_input(state, session)
    from ask_redis.chat_render import RichOutput  # rich, after the first frame

    out = RichOutput(screen)
    try:
        chat = Chat(settings, out, conversation, info)  # the SDK is imported here, behind a working input line
    except ModelError as error:
        _stop_input(session, thread)
        sys.stderr.write(f"ask-redis: {error}\n")
        return 1
    state.chat = chat
    banner_rest(chat, check)
    if info is not None:
        show_resumed(chat)
    try:
        while True:
            try:
                text = state.inbox.get()
                if text is END:
                    break
                if screen.queued and screen.queued[0] == text:
                    screen.queued.pop(0)
                if not text.strip():
                    continue
                state.busy = True
                try:
                    out.ansi(user_line(text))
                    if not chat.handle(text):
                        break
                finally:
                    state.busy = False
                    screen.invalidate()
            except KeyboardInterrupt:
                continue  # the turn was cancelled and settled; the input line never went away
    finally:
        chat.close()
        _stop_input(session, thread)
    if state.failure:
        sys.stderr.write(f"ask-redis: {state.failure}\n")
    if chat.conversation.messages:
        sys.stdout.write(_dim(f"resume this session with: ask-redis --continue (or --resume {chat.conversation.session_id[:8]})") + "\n")
    return 0


def _stop_input(session: Any, thread: Any) -> None:
    app = session.app
    if app.is_running and app.loop is not None:
        app.loop.call_soon_threadsafe(lambda: app.exit() if app.is_running and not app.future.done() else None)
    thread.join(5)
