"""Running chat as a user does: piped through stdin, or in a real terminal (tmux), against the API stand-in."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.transcript_kit import TRANSCRIPTS

ASK_REDIS = [sys.executable, "-m", "ask_redis"]
MODEL = "claude-sonnet-5-5"
KEY = "sk-ant-chat-test-key-4242"
TMUX = shutil.which("tmux")
needs_tmux = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (tests/run.sh installs it)")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "REDIS_URL", "ASK_REDIS"))}
    env.update(extra)
    return env


def chat(lines: str, standin=None, args=(), cwd=None, key: str | None = KEY, timeout=60) -> subprocess.CompletedProcess:
    """`ask-redis` with `lines` piped to stdin."""
    env = clean_env(**({"ANTHROPIC_API_KEY": key} if key else {}), **({"ANTHROPIC_BASE_URL": standin.url} if standin else {}))
    return subprocess.run(ASK_REDIS + ["--model", MODEL, *args], input=lines, env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def normalise(text: str) -> str:
    """Durations and dates vary from run to run."""
    text = re.sub(r"\(\d+ ms\)", "(N ms)", text)
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "DATE", text)


def workspace(tmp_path: Path) -> Path:
    target = tmp_path / "workspace"
    shutil.copytree(TRANSCRIPTS / "fixtures" / "shop", target)
    return target


def sessions_dir() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "ask-redis" / "sessions"


def saved_sessions() -> list[Path]:
    return sorted(sessions_dir().glob("*.jsonl"), key=lambda p: p.stat().st_mtime)


def saved_messages(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def assert_valid_history(messages: list[dict]) -> None:
    """Every tool_use is answered, once, in the very next message; nothing else is a tool_result."""
    for index, message in enumerate(messages):
        uses = [b["id"] for b in message["content"] if b.get("type") == "tool_use"]
        if message["role"] == "assistant" and uses:
            following = messages[index + 1]
            assert following["role"] == "user"
            answered = [b["tool_use_id"] for b in following["content"] if b.get("type") == "tool_result"]
            assert answered == uses, (uses, answered)
            kinds = [b["type"] for b in following["content"]]
            assert kinds[:len(uses)] == ["tool_result"] * len(uses)  # results come first
        if message["role"] == "user" and index > 0:
            previous = messages[index - 1]
            previous_uses = [b["id"] for b in previous["content"] if b.get("type") == "tool_use"]
            for block in message["content"]:
                if block.get("type") == "tool_result":
                    assert block["tool_use_id"] in previous_uses


class Terminal:
    """ask-redis in a tmux pane of a private tmux server: keys in, the screen out."""

    def __init__(self, tmp_path: Path, env: dict[str, str], args=(), cwd: Path | None = None, width=100, height=40,
                 subcommand: tuple[str, ...] = ()):
        self.socket = f"ask-redis-test-{uuid.uuid4().hex[:10]}"
        argv = [*ASK_REDIS, *subcommand] if subcommand else [*ASK_REDIS, "--model", MODEL, *args]
        command = " ".join(shlex.quote(part) for part in argv)
        script = tmp_path / f"{self.socket}.sh"
        script.write_text(f"cd {shlex.quote(str(cwd or tmp_path))}\n{command}\necho \"[exit $?]\"\nsleep 300\n")
        full_env = clean_env(**env)
        full_env["TERM"] = "xterm-256color"
        self._tmux("-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y", str(height), "-s", "chat",
                   f"sh {shlex.quote(str(script))}", env=full_env)

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True, env=env, timeout=30)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "chat", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "chat", "-l", text)

    def paste(self, text: str) -> None:
        """A bracketed paste, as a terminal sends it when the application asked for it."""
        self._tmux("set-buffer", "-b", "paste", text)
        self._tmux("paste-buffer", "-p", "-d", "-b", "paste", "-t", "chat")

    def screen(self, colours: bool = False) -> str:
        """The pane and its scrollback, trailing blanks dropped (with its colour codes when asked)."""
        text = self._tmux("capture-pane", "-p", "-J", "-S", "-500", "-t", "chat", *(["-e"] if colours else []))
        return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")

    def wait_for(self, predicate, what: str, timeout: float = 60) -> str:
        """Poll the screen until predicate(screen) holds; fail with the screen if it never does."""
        if isinstance(predicate, str):
            needle = predicate
            predicate = lambda screen: needle in screen  # noqa: E731
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {what}; screen:\n{screen}")
            time.sleep(0.05)

    def input_line(self) -> str:
        """The text of the input line: the last line starting with the prompt, above the toolbar."""
        lines = self.screen().splitlines()
        return next((line[2:] for line in reversed(lines) if line.startswith("> ") or line == ">"), "")

    def prompt_ready(self, what: str = "the prompt") -> str:
        """Wait until the input prompt is up (its bottom toolbar shows); keys sent before would reach a cooked tty."""
        return self.wait_for(lambda screen: "· context " in screen.splitlines()[-1], what)

    def close(self) -> None:
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], capture_output=True, timeout=30)
