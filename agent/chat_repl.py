"""Chat in a terminal: one prompt-toolkit input line, live at the bottom for the whole session, and rich output
above it.

The order of a start is what makes it feel instant: keys are held (no echo) at once, then the title and a working
input line are drawn from what the flags, the environment and the config file say, with prompt-toolkit and the
standard library alone. Only behind that frame are the settings validated (pydantic), the saved session found, rich
loaded and the SDK imported (building the Chat), while the person types. The input line runs in its own thread;
turns run in the main thread, so Ctrl-C (a key to the application) interrupts them as a SIGINT always did.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from ask_redis.chat import Chat
    from ask_redis.config import Settings
    from ask_redis.conversation import Conversation
    from ask_redis.session_store import SessionInfo

END = object()  # in the inbox: leave the chat
HINT = "Enter sends · Ctrl-J: new line · Ctrl-R: search history · Esc: interrupt"


def _dim(text: str) -> str:
    return f"\x1b[2m{text}\x1b[0m"


def title_line(model: str, session_id: str = "") -> str:
    """The first banner line: it costs nothing to draw."""
    title = f"\x1b[1;31mask-redis\x1b[0m  \x1b[1m{model}\x1b[0m" + (_dim(f"  session {session_id[:8]}") if session_id else "")
    return title + "\n"


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
    """The banner lines that needed the settings and the session: the workspace, Redis, the sandbox, what is off,
    the key."""
    from ask_redis.oneshot import unavailable_lines

    from ask_redis.chat import KEY_PAGE
    from ask_redis.config import config_path
    from ask_redis.redact import redact

    out = chat.out
    start = chat.session.start_event()
    if check is not None:
        from ask_redis.live.conn import parse_url

        try:
            timeout = parse_url(check.url).connect_timeout
        except Exception:
            timeout = 5.0
        check.wait(timeout + 1)
    lines = [f"{_dim('workspace')}  {redact(str(chat.settings.repo))}", redis_line(chat.settings.redis_url, check)]
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

    def __init__(self, settings: Any, screen: Any):
        import queue
        import threading

        self.settings, self.screen = settings, screen  # Settings, or a Preview until they are validated
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

    def visible(name: str) -> bool:
        return os.path.basename(name.rstrip("/")) not in (".git", ".hg", ".svn", ".jj")

    class ChatCompleter(Completer):
        def __init__(self) -> None:
            self.paths = PathCompleter(get_paths=lambda: [str(state.repo)], expanduser=True, file_filter=visible)
            self.dirs = PathCompleter(get_paths=lambda: [str(state.repo)], expanduser=True, only_directories=True,
                                      file_filter=visible)

        def get_completions(self, document: Document, event: Any):
            from ask_redis import session_store as store, slash  # loaded behind the first frame, or at the first key
            from ask_redis.model import ALIASES

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
    from prompt_toolkit.formatted_text import ANSI, FormattedText, to_formatted_text
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
        state.submit(text)  # first: the history file is written while the turn starts
        buffer.reset(append_to_history=True)

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

    shown: dict[str, Any] = {"text": None}

    def message() -> Any:
        live = screen.live
        text = live.render(screen.width()) if live is not None else ""
        for queued in screen.queued:
            first = queued.strip().splitlines()[0] if queued.strip() else ""
            text += _dim(f"queued: {first[: screen.width() - 12]}") + "\n"
        text += "\x1b[1m> \x1b[0m"
        # prompt-toolkit asks for the message about ten times a frame and splits it into lines each time: it is
        # parsed once per change, into runs of one style (its ANSI parser gives one fragment per character)
        if shown["text"] != text:
            runs: list[tuple[str, str]] = []
            for style, chars, *_ in to_formatted_text(ANSI(text)):
                if runs and runs[-1][0] == style:
                    runs[-1] = (style, runs[-1][1] + chars)
                else:
                    runs.append((style, chars))
            shown.update(text=text, fragments=FormattedText(runs))
        return shown["fragments"]

    def toolbar() -> Any:
        chat = state.chat
        model = chat.session.model.model if chat else state.settings.model
        context = chat.last_context if chat else 0
        cost = chat.cost if chat else 0.0
        if context:
            from ask_redis.compact import CONTEXT_WINDOW  # a Chat exists by then: nothing new to import

            used = f"{context // 1000}k/{CONTEXT_WINDOW // 1000}k"
        else:  # after /compact the size is known again only with the next request
            used = "n/a" if chat and chat.conversation.messages else "0k"
        if state.busy:
            return f" {model} · context {used} · ${cost:.2f} · Esc: interrupt · Enter: queue"
        return f" {model} · context {used} · ${cost:.2f} · /help"

    from ask_redis.session_store import data_dir

    try:
        history: Any = FileHistory(str(_private_file(data_dir() / "history")))
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


class Preview:
    """What the input line shows before the settings are validated: the model and workspace as given."""

    def __init__(self, merged: dict):
        import os

        from ask_redis.config_sources import DEFAULT_MODEL

        self.model = str(merged.get("model") or DEFAULT_MODEL)
        self.repo = Path(os.path.abspath(os.path.expanduser(str(merged.get("repo") or "."))))


def start(args: argparse.Namespace) -> int:
    """Chat from the command line: the input line is drawn first; the settings are checked behind it, and a bad one
    ends the chat with its one line, as it would have before anything was drawn."""
    from ask_redis import chat_keys, cli
    from ask_redis.config_sources import ConfigError, gather
    from ask_redis.terminal import safe

    saved = chat_keys.hold()  # already held from the first moment when started by the CLI's main
    try:
        try:
            preview = Preview(gather(cli.flags_from(args))[0])
        except ConfigError as error:  # the config file cannot be read: nothing to draw from
            sys.stderr.write(f"ask-redis: {safe(str(error))}\n")
            return 2
        opened = Opened(preview)
        notes: list[str] = []
        settings = cli.checked_settings(args, notes.append)
        problem = None
        if settings is not None:
            from ask_redis.chat import opening

            conversation, info, problem = opening(settings, args.resume, args.continue_)
        if settings is None or problem:
            opened.stop()
            sys.stderr.write("".join(f"{line}\n" for line in notes) + (f"ask-redis: {problem}\n" if problem else ""))
            return 2
        for line in notes:
            opened.screen.print_ansi(line)
        return opened.serve(settings, conversation, info)
    finally:
        chat_keys.release(saved)


def repl(settings: Settings, conversation: Conversation | None = None, info: SessionInfo | None = None) -> int:
    """Chat on this terminal with settings already checked."""
    from ask_redis import chat_keys

    saved = chat_keys.hold()  # already held from the first moment when started by the CLI
    try:
        return Opened(settings, conversation.session_id if conversation else "").serve(settings, conversation, info)
    finally:
        chat_keys.release(saved)


class Opened:
    """The title and a working input line, drawn with prompt-toolkit alone; `serve` runs the chat behind them."""

    def __init__(self, shown: Any, session_id: str = ""):
        from ask_redis import chat_keys

        sys.stdout.write(title_line(shown.model, session_id))
        sys.stdout.flush()
        self.screen = chat_keys.Screen(sys.stdout)
        self.state = ReplState(shown, self.screen)
        self.session = prompt_session(self.state)
        sent, unfinished = chat_keys.typed_so_far()  # Enter already pressed on these: they are questions
        for text in sent:
            self.state.inbox.put(text)
        self.session.default_buffer.text = unfinished
        self.session.default_buffer.cursor_position = len(unfinished)
        self.thread = start_input(self.state, self.session)

    def stop(self) -> None:
        _stop_input(self.session, self.thread)

    def serve(self, settings: Settings, conversation: Conversation | None, info: SessionInfo | None) -> int:
        from ask_redis.chat import Chat
        from ask_redis.chat_render import RichOutput  # rich, after the first frame
        from ask_redis.conversation import Conversation
        from ask_redis.model import ModelError

        state, screen = self.state, self.screen
        state.settings = settings
        check = RedisCheck(settings.redis_url) if settings.redis_url else None
        out = RichOutput(screen)
        try:
            chat = Chat(settings, out, conversation or Conversation(), info)  # the SDK is imported here
        except ModelError as error:
            self.stop()
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
                        screen.print_ansi(user_line(text), wait=False)  # the request goes out while it is drawn
                        if not chat.handle(text):
                            break
                    finally:
                        state.busy = False
                        screen.invalidate()
                except KeyboardInterrupt:
                    continue  # the turn was cancelled and settled; the input line never went away
        finally:
            chat.close()
            self.stop()
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
