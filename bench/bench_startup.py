"""`ask-redis --help` wall time next to the bare interpreter, in the same run.

    .venv/bin/python bench/bench_startup.py [RUNS]

Targets: under 0.3 s, and under 4x `python -c pass`.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    script = shutil.which("ask-redis", path=str(Path(sys.executable).parent)) or "ask-redis"
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "ask-redis --help": [script, "--help"],
        "python -m ask_redis --help": [sys.executable, "-m", "ask_redis", "--help"],
    }
    for argv in cases.values():  # warm the page cache
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    results = {name: median_seconds(argv, runs) for name, argv in cases.items()}
    base = results["python -c pass"]
    print(f"{'command':<28} {'median':>9} {'x bare':>7}   ({runs} runs each)")
    for name, seconds in results.items():
        print(f"{name:<28} {seconds * 1000:>7.1f}ms {seconds / base:>6.2f}x")
    help_time = results["ask-redis --help"]
    ok = help_time < 0.3 and help_time / base < 4
    print(f"target: < 300 ms and < 4x bare -> {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
