"""The `ask-redis` command. Kept to the standard library until it knows what to run, so --help is instant."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ask_redis.config import Settings

SUBCOMMANDS = {
    "review": ("ask_redis.review.run", "run the expert's checks without a model (static + live)"),
    "doctor": ("ask_redis.doctor", "check the API key, ripgrep, the Bash sandbox and the Redis URL"),
    "mcp": ("ask_redis.mcp_server", "serve the expert over MCP (stdio, or --http) for other coding agents"),
    "agent-file": ("ask_redis.agent_file", "write a Claude Code subagent definition"),
    "plugin": ("ask_redis.plugin", "write a Claude Code plugin marketplace (subagent, skill, MCP server)"),
    "redis-acl": ("ask_redis.live.acl", "print an ACL SETUSER line for a least-privilege inspector account"),
}

EPILOG = "subcommands:\n" + "\n".join(f"  {name:<11} {text}" for name, (_, text) in SUBCOMMANDS.items()) + """

environment: ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, ASK_REDIS_MODEL, REDIS_URL
exit codes: 0 ok, 1 runtime or API error, 2 usage error"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ask-redis",
        description="A senior Redis engineer for your repository and your Redis instance.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("prompt", nargs="?", help="what to ask; '-' reads it from stdin; none opens chat")
    p.add_argument("--repo", help="the repository to work in (default: current directory)")
    p.add_argument("--model", help="model ID or alias: opus, sonnet, haiku (default: newest sonnet)")
    p.add_argument("--max-turns", type=int, help="API calls one answer may take (default 40)")
    p.add_argument("--max-tokens", type=int, help="output tokens per API call (default 16000)")
    p.add_argument("--redis-url", help="a Redis to inspect read-only (redis://, rediss://, unix://)")
    p.add_argument("--rdb", metavar="FILE", help="an RDB dump the model may analyse (every key, no server load)")
    p.add_argument("--output-format", choices=["text", "json", "stream-json"], help="one-shot output (default text)")
    p.add_argument("--json", action="store_true", help="same as --output-format json")
    p.add_argument("--include-partial-messages", action="store_true", help="stream-json: also print the API's stream events")
    p.add_argument("--no-stream", action="store_true", help="wait for whole answers instead of streaming")
    p.add_argument("--record", metavar="FILE", help="write this session's API exchanges to a transcript file")
    p.add_argument("--continue", dest="continue_", action="store_true", help="chat: resume the latest session")
    p.add_argument("--resume", metavar="ID", help="chat: resume a saved session")
    p.add_argument("--verbose", action="store_true", help="show tool progress and full error details")
    p.add_argument("--version", action=ShowVersion, nargs=0, help="print the installed version and exit")
    return p


class ShowVersion(argparse.Action):
    """Looked up only when asked, so --help stays instant."""

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import PackageNotFoundError, version

        try:
            sys.stdout.write(f"ask-redis {version('ask-redis')}\n")
        except PackageNotFoundError:
            sys.stdout.write("ask-redis (version unknown: not installed as a package)\n")
        parser.exit()


def main(argv: list[str] | None = None) -> int:
    from ask_redis import chat_keys

    argv = sys.argv[1:] if argv is None else argv
    held = chat_keys.hold() if chat_keys.opens_chat(argv, SUBCOMMANDS) else None  # keys typed at once are kept
    try:
        return dispatch(argv)
    except BrokenPipeError:
        # The reader went away (`ask-redis ... | head -1`): stop quietly, like any Unix filter.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit-time flush cannot fail again
        return 0
    finally:
        chat_keys.release(held)


def dispatch(argv: list[str]) -> int:
    if argv and argv[0] in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[argv[0]][0])
        return module.main(argv[1:])
    args = parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        return run(args, argv)
    except KeyboardInterrupt:
        sys.stderr.write("\nask-redis: cancelled\n")
        return 130
    except BrokenPipeError:
        raise
    except Exception as error:  # the last line of defence: one line unless --verbose
        from ask_redis.redact import redact
        from ask_redis.terminal import safe

        if args.verbose:  # the details, but still never a secret that an exception message carried
            import traceback

            sys.stderr.write(redact(traceback.format_exc()))
            return 1
        sys.stderr.write(f"ask-redis: error: {safe(redact(f'{type(error).__name__}: {error}'))} (--verbose shows details)\n")
        return 1


def setup_logging(verbose: bool) -> None:
    """Tool crashes are logged; only --verbose shows them (redacted), so no traceback reaches a user otherwise."""
    import logging

    class Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            from ask_redis.redact import redact  # only once something is logged: chat's first frame does not wait

            record.msg, record.args = redact(record.getMessage()), None
            if record.exc_info:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
            return True

    logger = logging.getLogger("ask_redis")
    logger.propagate = False
    handler: logging.Handler = logging.StreamHandler(sys.stderr) if verbose else logging.NullHandler()
    handler.addFilter(Redact())
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)


def flags_from(args: argparse.Namespace) -> dict:
    """The settings the command line gave (None: not given)."""
    output_format = "json" if args.json else args.output_format
    return {
        "repo": args.repo, "model": args.model, "max_turns": args.max_turns, "max_tokens": args.max_tokens,
        "redis_url": args.redis_url, "output_format": output_format, "verbose": args.verbose or None,
        "stream": False if args.no_stream else None, "record": args.record,
        "rdb": args.rdb,
    }


def settings_from(args: argparse.Namespace):
    from ask_redis.config import load

    return load(flags_from(args))


def checked_settings(args: argparse.Namespace, say) -> Settings | None:
    """The settings, or None once `say(line)` has told the user why they cannot be used (a usage error)."""
    from ask_redis.config import ConfigError
    from ask_redis.terminal import safe

    try:
        settings = settings_from(args)
    except ConfigError as error:
        say(f"ask-redis: {safe(str(error))}")
        return None
    from ask_redis.sandbox import workspace_problem

    if workspace_problem(settings.repo):  # / would give the tools the host's /proc, /dev and /tmp
        say(f"ask-redis: --repo {safe(str(settings.repo))}: {workspace_problem(settings.repo).removeprefix('the workspace ')}")
        return None
    if settings.repo == Path.home().resolve():
        say(f"ask-redis: note: the workspace is {safe(str(settings.repo))}, so the tools can read everything below it "
            "(secret values are redacted); pass --repo PROJECT to narrow it")
    return settings


def run(args: argparse.Namespace, argv: list[str]) -> int:
    if args.prompt is None and sys.stdin.isatty() and sys.stdout.isatty():
        from ask_redis import chat_repl

        return chat_repl.start(args)  # the input line first; these settings are checked behind it
    settings = checked_settings(args, lambda line: sys.stderr.write(line + "\n"))
    if settings is None:
        return 2
    from ask_redis.conversation import readable
    from ask_redis.terminal import safe

    prompt = args.prompt
    if prompt is not None and (args.resume or args.continue_):
        sys.stderr.write("ask-redis: --resume and --continue open chat: give no prompt (or pipe the questions to stdin)\n")
        return 2
    if prompt is None:
        from ask_redis import chat

        return chat.run(settings, resume=args.resume, continue_latest=args.continue_)
    if prompt == "-":
        prompt = sys.stdin.buffer.read().decode("utf-8", "replace")
    prompt = readable(prompt)
    if not prompt.strip():
        sys.stderr.write("ask-redis: the prompt is empty\n")
        return 2
    if not any(c.isprintable() and not c.isspace() for c in prompt):
        sys.stderr.write(f"ask-redis: the prompt has no printable characters ({safe(prompt[:40])})\n")
        return 2
    if settings.api_key is None:
        return no_key_fallback(settings)
    return one_shot(settings, prompt, argv)


def no_key_fallback(settings) -> int:
    if settings.output_format != "text":
        # A script asked for the result object: a text report on stdout would break its parser.
        import uuid

        from ask_redis.events import Final

        message = ("no API key: set ANTHROPIC_API_KEY (or api_key in the config file); "
                   "`ask-redis review --format json` runs the offline review without one")
        sys.stderr.write(f"ask-redis: error: {message}\n")
        from ask_redis.stream_json import result_line

        sys.stdout.write(result_line(Final.failed("error_setup", message, str(uuid.uuid4()))))
        return 1
    sys.stderr.write("ask-redis: no API key: set ANTHROPIC_API_KEY (or api_key in the config file) for the full agent; "
                     "running the offline review instead\n")
    review = importlib.import_module("ask_redis.review.run")
    argv = [str(settings.repo)] + (["--redis-url", settings.redis_url] if settings.redis_url else [])
    argv += ["--rdb", str(settings.rdb)] if settings.rdb else []
    return review.main(argv)


def one_shot(settings, prompt: str, argv: list[str]) -> int:
    from ask_redis.model import ModelError
    from ask_redis.oneshot import Printer
    from ask_redis.redact import redact
    from ask_redis.session import open_session
    from ask_redis.terminal import safe

    try:
        session = open_session(settings, record_meta={"prompt": redact(prompt), "argv": [redact(a) for a in argv]})
    except ModelError as error:
        sys.stderr.write(f"ask-redis: {safe(str(error))}\n")
        if settings.output_format != "text":  # a script still gets its result object, with the same message
            import uuid

            from ask_redis.events import Final

            sys.stdout.write(Final.failed("error_setup", str(error), str(uuid.uuid4())).model_dump_json() + "\n")
        return 1
    partial = parser().parse_args(argv).include_partial_messages
    printer = Printer(settings.output_format, settings.verbose, partial=partial)
    session.model.relay_stream_events = partial and settings.output_format == "stream-json"
    printer(session.start_event())
    problem = session.redis_problem()
    if problem:  # the user asked for a live look: say so now, before paying for a run that cannot see Redis
        from ask_redis.events import Final

        printer(Final.failed("error_setup", f"--redis-url: {problem}", session.conversation.session_id))
        return printer.finish()
    events = session.ask(prompt)
    try:
        for event in events:
            printer(event)
    except KeyboardInterrupt:
        printer.cancelled()
        raise
    finally:
        events.close()
        if session.recorder:
            if printer.format == "text":
                printer._newline()  # the answer's last line is not glued to this note
            try:
                session.recorder.save()
                sys.stderr.write(f"ask-redis: transcript written to {safe(str(settings.record))}\n")
            except OSError as error:
                sys.stderr.write(f"ask-redis: cannot write the transcript {safe(str(settings.record))}: {error.strerror}\n")
    return printer.finish()
