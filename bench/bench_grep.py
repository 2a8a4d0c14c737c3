"""Grep tool vs raw ripgrep with the same flags, on a generated 20,000-file tree (or a repository you name).

    .venv/bin/python bench/bench_grep.py [--repo PATH] [--files 20000] [--runs 7]

The baseline runs the exact argv the Grep tool gave ripgrep (recorded during a call), from Python with
its output captured, so the ratio is what the tool adds: parsing, sorting by path, paging, confinement
checks and redaction. Target: median ratio <= 1.15.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ask_redis.tools import ToolContext, grep, run_tool

TARGET = 1.15
WORDS = ("cache", "client", "pipeline", "user", "session", "value", "result", "config", "timeout", "retry",
         "queue", "stream", "handler", "request", "response", "payload", "item", "index", "batch", "limit")


def generate(root: Path, count: int, seed: int = 7) -> None:
    """A source tree: `count` files of 30-80 lines in nested packages, a few mentioning Redis calls."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    (root / ".gitignore").write_text("node_modules/\n*.log\n")
    for n in range(count):
        directory = root / f"pkg{n % 40:02}" / f"mod{n % 13:02}"
        directory.mkdir(parents=True, exist_ok=True)
        lines = [f"# module {n}", "import os", ""]
        for i in range(rng.randint(30, 80)):
            a, b = rng.sample(WORDS, 2)
            lines.append(f"def {a}_{b}_{i}({a}, {b}=None):")
            if rng.random() < 0.004:
                lines.append(f"    return r.hgetall('{a}:{{{b}}}')  # HGETALL on a growing hash")
            else:
                lines.append(f"    return {a}.get({b!s}, {i})")
        (directory / f"file_{n:05}.py").write_text("\n".join(lines) + "\n")


def median_ms(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def recorded_argv(ctx: ToolContext, tools: dict, arguments: dict) -> list[str]:
    """The ripgrep argv (and working directory) the Grep tool uses for these arguments."""
    seen = []
    original = grep.RipgrepRun.start.__func__

    def spy(cls, args, cwd, time_limit, output_limit=None, stdin=None):
        seen.append(([grep.ripgrep_binary(), *args], cwd))
        return original(cls, args, cwd, time_limit, output_limit, stdin)

    grep.RipgrepRun.start = classmethod(spy)
    try:
        outcome = run_tool(tools, "Grep", arguments, ctx)
    finally:
        grep.RipgrepRun.start = classmethod(original)
    assert not outcome.is_error, outcome.content
    return seen[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, help="search this repository instead of a generated tree")
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)

    temp = None
    if args.repo:
        root = args.repo.resolve()
    else:
        temp = Path(tempfile.mkdtemp(prefix="bench-grep-"))
        root = temp / "tree"
        print(f"generating {args.files} files under {root} ...", file=sys.stderr)
        generate(root, args.files)
    try:
        ctx = ToolContext(workspace=root)
        tools = {"Grep": grep.Grep()}
        cases = [
            ("files_with_matches", {"pattern": r"hgetall\("}),
            ("files_with_matches -i", {"pattern": "HGETALL", "-i": True}),
            ("content", {"pattern": r"hgetall\(", "output_mode": "content"}),
            ("content -C 2", {"pattern": r"hgetall\(", "output_mode": "content", "-C": 2}),
            ("content, many lines", {"pattern": r"def cache_user_\d+", "output_mode": "content"}),
            ("count", {"pattern": "session", "output_mode": "count"}),
        ]
        files = sum(1 for _ in root.rglob("*") if _.is_file())
        print(f"tree: {root} ({files} files); {args.runs} interleaved pairs of runs per case\n")
        print(f"{'case':<24}{'raw rg ms':>11}{'Grep ms':>10}{'ratio':>8}  {'result lines':>12}")
        print("(ms: medians; ratio: median of the per-pair ratios Grep/rg)")
        ratios = []
        for label, arguments in cases:
            command, cwd = recorded_argv(ctx, tools, arguments)
            lines = len(run_tool(tools, "Grep", arguments, ctx).content.split("\n"))
            for _ in range(2):  # warm the page cache and both code paths
                subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True)
                run_tool(tools, "Grep", arguments, ctx)
            raw_times, tool_times = [], []
            # Interleaved pairs: a burst of load from elsewhere on the machine hits both sides alike.
            for _ in range(args.runs):
                raw_times.append(median_ms(lambda: subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL,
                                                                  capture_output=True), 1))
                tool_times.append(median_ms(lambda: run_tool(tools, "Grep", arguments, ctx), 1))
            raw, tool = statistics.median(raw_times), statistics.median(tool_times)
            ratio = statistics.median(t / r for t, r in zip(tool_times, raw_times))
            ratios.append(ratio)
            print(f"{label:<24}{raw:>11.1f}{tool:>10.1f}{ratio:>8.2f}  {lines:>12}")
        worst = max(ratios)
        print(f"\nmedian ratio {statistics.median(ratios):.2f}, worst {worst:.2f} (target <= {TARGET})")
        return 0 if statistics.median(ratios) <= TARGET else 1
    finally:
        if temp:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
