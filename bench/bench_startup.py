"""How fast ask-redis is ready, next to the bare interpreter, in the same run.

    .venv/bin/python bench/bench_startup.py [RUNS]

- `ask-redis --help` wall time. Target: under 0.3 s and under 4x `python -c pass`.
- chat: from exec to a working input line (its toolbar drawn on a pseudo-terminal that answers cursor-position
  requests like a real one), and to the complete banner (the session built, the SDK imported behind the input
  line). Target for the input line: under 300 ms, about 5x bare. Its floor is the second baseline: prompt-toolkit's
  own PromptSession with a toolbar, which is all chat loads before that frame.

Runs see their bytecode cached, as after `pip install` (which compiles it): PYTHONDONTWRITEBYTECODE is dropped
from the children's environment, or every start would compile ask_redis from source.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

TOOLBAR = "· context ".encode()
BANNER_DONE = b"Ctrl-R: search history"  # the hint line, printed once the session is built


class PtyRun:
    """A command on a pseudo-terminal of its own: output read as it comes, cursor-position requests answered."""

    def __init__(self, argv: list[str], env: dict[str, str], cols: int = 100, rows: int = 40, stdin_pipe: bool = False):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_pipe else slave, stdout=slave, stderr=slave,
                                        env=env, start_new_session=True)
        os.close(slave)
        self.master, self.output, self.seen = master, b"", 0

    def send(self, data: bytes) -> None:
        if self.process.stdin is not None:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        else:
            os.write(self.master, data)

    def mark(self) -> None:
        """Later waits look only at output from here on."""
        self.seen = len(self.output)

    def wait_for(self, needle: bytes, timeout: float = 120) -> float:
        """The monotonic time at which `needle` first appeared after the mark."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.output.find(needle, self.seen)
            if found >= 0:
                return self.when
            if time.monotonic() > deadline:
                raise TimeoutError(f"never saw {needle!r}; output tail: {self.output[-500:]!r}")
            ready, _, _ = select.select([self.master], [], [], 0.005)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                self.when = time.monotonic()
                for _ in range(chunk.count(b"\x1b[6n")):
                    os.write(self.master, b"\x1b[1;1R")
                self.output += chunk

    def close(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        os.close(self.master)


def chat_env(scratch: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANTHROPIC", "REDIS_URL", "ASK_REDIS")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"TERM": "xterm-256color", "XDG_DATA_HOME": f"{scratch}/data", "XDG_CONFIG_HOME": f"{scratch}/config",
                "ANTHROPIC_API_KEY": "sk-ant-bench", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}, **extra)
    return env


def median_seconds(argv: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# The floor for chat's first frame: prompt-toolkit alone, drawing an input line with a toolbar.
BARE_PROMPT = "from prompt_toolkit import PromptSession; PromptSession('> ', bottom_toolbar=' m · context 0k').prompt()"


def chat_start(script: str, runs: int) -> tuple[float, float, float]:
    """Medians, the runs interleaved: exec to the input line, exec to the whole banner, prompt-toolkit's bare prompt."""
    prompt, banner, floor = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(runs):
            run = PtyRun([script, "--model", "claude-sonnet-4-5"], chat_env(scratch), stdin_pipe=False)
            try:
                prompt.append(run.wait_for(TOOLBAR) - run.started)
                banner.append(run.wait_for(BANNER_DONE) - run.started)
            finally:
                run.close()
            run = PtyRun([sys.executable, "-c", BARE_PROMPT], chat_env(scratch))
            try:
                floor.append(run.wait_for(TOOLBAR) - run.started)
            finally:
                run.close()
    return statistics.median(prompt), statistics.median(banner), statistics.median(floor)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    script = shutil.which("ask-redis", path=str(Path(sys.executable).parent)) or "ask-redis"
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "ask-redis --help": [script, "--help"],
        "python -m ask_redis --help": [sys.executable, "-m", "ask_redis", "--help"],
    }
    with tempfile.TemporaryDirectory() as scratch:
        env = chat_env(scratch)
        for argv in cases.values():  # warm the page cache (and the bytecode)
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=env)
        results = {name: median_seconds(argv, runs, env) for name, argv in cases.items()}
    chat_start(script, 2)  # warm
    (results["chat: exec to input line"], results["chat: exec to whole banner"],
     results["prompt-toolkit bare prompt"]) = chat_start(script, runs)
    base = results["python -c pass"]
    print(f"{'command':<28} {'median':>9} {'x bare':>7}   ({runs} runs each)")
    for name, seconds in results.items():
        print(f"{name:<28} {seconds * 1000:>7.1f}ms {seconds / base:>6.2f}x")
    help_time, prompt_time = results["ask-redis --help"], results["chat: exec to input line"]
    print(f"target --help: < 300 ms and < 4x bare -> {'met' if help_time < 0.3 and help_time / base < 4 else 'NOT met'}")
    floor = results["prompt-toolkit bare prompt"]
    print(f"target chat input line: < 300 ms -> {'met' if prompt_time < 0.3 else 'NOT met'} ({prompt_time / base:.1f}x bare, "
          f"{prompt_time / floor:.2f}x prompt-toolkit's bare prompt)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
