"""Chat's slash commands. Each handler gets the Chat and the rest of the line, and returns False to end the chat."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ask_redis import session_store as store
from ask_redis.compact import CONTEXT_WINDOW
from ask_redis.model import ALIASES, ModelError
from ask_redis.oneshot import describe_call
from ask_redis.redact import redact

COMMAND = re.compile(r"^/([a-z]+)(?:\s+(.*))?$", re.S)
COMMANDS: dict[str, tuple[Callable[[Any, str], bool], str, str]] = {}

KEYS = [
    "Enter sends · Alt-Enter (Esc Enter) or Ctrl-J: new line · pasting several lines works",
    "Tab: complete commands and workspace paths · Up/Down: history · Ctrl-R: search history",
    "Ctrl-O: the last tool output in full · Ctrl-C: cancel the answer; twice at an empty prompt: exit · Ctrl-D: exit",
]


def command(name: str, usage: str, text: str):
    def register(handler: Callable[[Any, str], bool]) -> Callable[[Any, str], bool]:
        COMMANDS[name] = (handler, usage, text)
        return handler
    return register


def is_command(text: str) -> bool:
    """`/word ...` is a command; `/etc/redis.conf ...` (a path) is a question."""
    return COMMAND.match(text.strip()) is not None


def run(chat: Any, text: str) -> bool:
    match = COMMAND.match(text.strip())
    assert match
    name, argument = match.group(1), (match.group(2) or "").strip()
    name = {"quit": "exit", "q": "exit", "h": "help"}.get(name, name)
    if name not in COMMANDS:
        chat.out.error(f"unknown command /{name}; /help lists the commands")
        chat.failed = True
        return True
    try:
        return COMMANDS[name][0](chat, argument)
    except KeyboardInterrupt:
        chat.out.notice(f"/{name} cancelled")
        return True


def fail(chat: Any, message: str) -> bool:
    chat.out.error(message)
    chat.failed = True
    return True


@command("help", "/help", "this list")
def _help(chat: Any, argument: str) -> bool:
    width = max(len(usage) for _, usage, _ in COMMANDS.values())
    lines = [f"{usage:<{width}}  {text}" for _, usage, text in COMMANDS.values()]
    chat.out.say("\n".join(lines + ["", *KEYS]))
    return True


@command("clear", "/clear", "start a new conversation (the current one stays saved)")
def _clear(chat: Any, argument: str) -> bool:
    previous = chat.conversation.session_id if chat.conversation.messages else None
    chat.save()
    chat.new_conversation()
    chat.out.say(f"new session {chat.conversation.session_id[:8]}"
                 + (f"; the previous one is saved (/resume {previous[:8]})" if previous else ""))
    return True


@command("model", "/model [NAME]", "show or switch the model (opus, sonnet, haiku or a model ID)")
def _model(chat: Any, argument: str) -> bool:
    if not argument:
        chat.out.say(f"model: {chat.session.model.model}")
        return True
    if argument not in ALIASES and not re.fullmatch(r"claude-[a-z0-9.-]+", argument):
        return fail(chat, f"unknown model {argument!r}: use {', '.join(ALIASES)} or a claude-... model ID")
    settings = chat.settings.model_copy(update={"model": argument})
    if chat.has_key:
        from ask_redis.session import model_client

        try:
            model = model_client(settings, chat.session.recorder)
        except ModelError as error:
            return fail(chat, str(error))
    else:
        from ask_redis.chat import NoKeyModel

        model = NoKeyModel(settings)
    chat.rebuild(settings, model=model)
    chat.out.say(f"model: {model.model}")
    return True


def redis_summary(url: str) -> str:
    """Connect once to check the URL; a one-line description, or RedisConnError."""
    from ask_redis.live.conn import connect

    with connect(url) as connection:
        version = ""
        try:
            info = connection.nodes[0].call("INFO", "server")
            version = f"Redis {info.get('redis_version')}, " if isinstance(info, dict) and info.get("redis_version") else ""
        except Exception:  # the version is a nicety; the connection itself worked
            pass
        count = len(connection.nodes)
        return f"{version}{connection.mode}{f', {count} primaries' if count > 1 else ''}"


@command("redis", "/redis [URL|off]", "show, set (checked by connecting) or drop the Redis to inspect")
def _redis(chat: Any, argument: str) -> bool:
    from ask_redis.live.conn import RedisConnError, display_url, parse_url

    if not argument:
        url = chat.settings.redis_url
        chat.out.say(f"redis: {display_url(url)} (read-only)" if url else "redis: none; /redis URL to inspect an instance")
        return True
    if argument in ("off", "none", "-"):
        chat.rebuild(chat.settings.model_copy(update={"redis_url": None}))
        chat.out.say("redis: none; the live Redis tools are off")
        return True
    try:
        parse_url(argument)
        summary = redis_summary(argument)
    except RedisConnError as error:
        return fail(chat, f"{str(error).rstrip('.')}; Redis target unchanged")
    chat.rebuild(chat.settings.model_copy(update={"redis_url": argument}))
    chat.out.say(f"redis: {display_url(argument)} ({summary}; read-only)")
    return True


@command("repo", "/repo [PATH]", "show or change the workspace the tools read")
def _repo(chat: Any, argument: str) -> bool:
    if not argument:
        chat.out.say(f"workspace: {chat.settings.repo}")
        return True
    path = Path(argument).expanduser()
    if not path.is_absolute():
        path = chat.settings.repo / path
    if not path.is_dir():
        return fail(chat, f"{argument}: not a directory; workspace unchanged")
    from ask_redis.sandbox import workspace_problem

    if workspace_problem(path):
        return fail(chat, f"{argument}: {workspace_problem(path).removeprefix('the workspace ')}; workspace unchanged")
    chat.rebuild(chat.settings.model_copy(update={"repo": path.resolve()}))
    chat.out.say(f"workspace: {chat.settings.repo}")
    return True


@command("cost", "/cost", "tokens, cache hits and dollars of this session")
def _cost(chat: Any, argument: str) -> bool:
    usage = chat.totals
    prompt = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
    hits = f"{100 * usage.cache_read_input_tokens / prompt:.0f}%" if prompt else "n/a"
    lines = [
        f"input tokens:  {prompt:,} ({usage.cache_read_input_tokens:,} cache reads, {usage.cache_creation_input_tokens:,} cache writes, {usage.input_tokens:,} uncached)",
        f"output tokens: {usage.output_tokens:,}",
        f"cache hits:    {hits} of input tokens",
        f"cost:          ${chat.cost:.4f}",
        f"context:       {chat.last_context:,} of {CONTEXT_WINDOW:,} tokens in the last request",
    ]
    chat.out.say("\n".join(lines))
    return True


@command("compact", "/compact", "summarise older turns now to free the context window")
def _compact(chat: Any, argument: str) -> bool:
    if not chat.has_key:
        return fail(chat, "compaction needs the model: set ANTHROPIC_API_KEY")
    if not chat.compact():
        return True
    return True


def markdown_export(chat: Any) -> str:
    lines = [f"# ask-redis session {chat.conversation.session_id}", ""]
    for message in chat.conversation.messages:
        for block in message["content"]:
            kind = block.get("type")
            if kind == "text":
                lines += [f"**{'You' if message['role'] == 'user' else 'ask-redis'}:**", "", block["text"], ""]
            elif kind == "tool_use":
                lines += [f"> ⏺ {describe_call(block['name'], block['input'])}", ""]
    return redact("\n".join(lines))


@command("save", "/save [FILE]", "save now (done after every turn anyway); FILE: export as markdown")
def _save(chat: Any, argument: str) -> bool:
    path = chat.save()
    if path is None:
        chat.out.say("nothing to save yet")
        return True
    chat.out.say(f"saved: {path}")
    if argument:
        target = Path(argument).expanduser()
        try:
            target.write_text(markdown_export(chat), encoding="utf-8")
        except OSError as error:
            return fail(chat, f"cannot write {argument}: {error.strerror or error}")
        chat.out.say(f"exported: {target}")
    return True


@command("sessions", "/sessions", "list saved sessions, newest first")
def _sessions(chat: Any, argument: str) -> bool:
    sessions = store.list_sessions()
    if not sessions:
        chat.out.say("no saved sessions yet")
        return True
    lines = []
    for info in sessions[:20]:
        mark = "*" if info.id == chat.conversation.session_id else " "
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.updated))
        where = "" if info.workspace == str(chat.settings.repo) else f"  [{info.workspace}]"
        lines.append(f"{mark} {info.id[:8]}  {when}  {info.messages:>3} msgs  {info.title or '(untitled)'}{where}")
    if len(sessions) > 20:
        lines.append(f"  ... and {len(sessions) - 20} older")
    chat.out.say("\n".join(lines))
    return True


@command("resume", "/resume ID", "continue a saved session (an id prefix is enough)")
def _resume(chat: Any, argument: str) -> bool:
    if not argument:
        return fail(chat, "/resume needs a session id; /sessions lists them")
    try:
        info = store.find(argument)
        conversation = store.load(info)
    except store.StoreError as error:
        return fail(chat, str(error))
    chat.save()
    chat.new_conversation(conversation, info)
    headline = f"resumed session {info.id[:8]} ({len(conversation.messages)} messages): {info.title or '(untitled)'}"
    if chat.out.interactive:
        from ask_redis.chat_repl import show_resumed

        show_resumed(chat, headline)  # with the last question and answer
    else:
        chat.out.say(headline)
    return True


REVIEW_SHOWN = 20  # findings chat shows before "… N more"
REPORT_FORMATS = {".md": "markdown", ".markdown": "markdown", ".json": "json", ".sarif": "sarif"}


@command("review", "/review [PATH] [--all] [-o FILE]", "run the offline checks (no model) into the conversation")
def _review(chat: Any, argument: str) -> bool:
    import shlex

    try:
        from ask_redis.review import report as review_report, run as review
    except ImportError:
        return fail(chat, "the offline review is not available in this installation")
    try:
        words = shlex.split(argument)
    except ValueError as error:
        return fail(chat, f"/review: {error}")
    show_all, output, paths = False, None, []
    while words:
        word = words.pop(0)
        if word == "--all":
            show_all = True
        elif word in ("-o", "--output"):
            if not words:
                return fail(chat, "/review -o needs a file name")
            output = Path(words.pop(0)).expanduser()
        else:
            paths.append(word)
    if len(paths) > 1:
        return fail(chat, "/review takes one path; usage: /review [PATH] [--all] [-o FILE]")
    path = Path(paths[0]).expanduser() if paths else chat.settings.repo
    if not path.is_absolute():
        path = chat.settings.repo / path
    if not path.exists():
        return fail(chat, f"{paths[0]}: no such file or directory")
    began = time.monotonic()
    try:
        report = review.run_review(path, chat.settings.redis_url)
        context = review_report.render(report, "markdown")
    except Exception as error:  # one line, whatever went wrong inside the checks
        return fail(chat, f"the review failed: {redact(f'{type(error).__name__}: {error}')}")
    elapsed = time.monotonic() - began
    if output is not None:
        fmt = REPORT_FORMATS.get(output.suffix.lower(), "text")
        try:
            output.write_text(review_report.render(report, fmt, elapsed=elapsed) if fmt == "text"
                              else review_report.render(report, fmt))
        except OSError as error:
            return fail(chat, f"cannot write {output}: {error.strerror or error}")
    if chat.out.interactive:
        import sys

        chat.out.ansi(review_report.render(
            report, "text", width=chat.out.screen.width(), color=review_report.use_color(sys.stdout),
            limit=None if show_all else REVIEW_SHOWN, more="/review --all, or /review -o FILE", elapsed=elapsed))
    else:
        chat.out.say(review_report.render(report, "text", elapsed=elapsed))
    if report.live_error:
        chat.out.notice(f"live checks skipped: {redact(report.live_error)}")
    if output is not None:
        chat.out.say(f"report written to {output}")
    chat.conversation.add_user(f"[Report of the offline checks (/review {path}), shown to the user]\n\n{redact(context)}")
    chat.save()
    chat.out.notice("the report is part of the conversation now: ask about any finding")
    return True


@command("last", "/last", "the last tool call and its full output (also Ctrl-O)")
def _last(chat: Any, argument: str) -> bool:
    if chat.last_tool is None:
        chat.out.say("no tool has run in this session yet")
        return True
    call, result = chat.last_tool
    status = "error" if result.is_error else f"{result.duration_ms} ms"
    chat.out.say(f"⏺ {describe_call(call.name, call.input, width=10_000)} ({status})\n{result.content}")
    return True


@command("exit", "/exit", "leave (also Ctrl-D)")
def _exit(chat: Any, argument: str) -> bool:
    return False
