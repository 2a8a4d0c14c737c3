"""Peak memory of the Read tool on a 1 GB file, reading a window near its end.

    .venv/bin/python bench/bench_read.py [--size-mb 1024] [--dir DIR]

The file is written (real lines, not a sparse hole, so every byte is scanned) into a temporary
directory and deleted afterwards. Memory is measured two ways, each against a baseline from the
same run: tracemalloc's peak of Python allocations during the call, and the growth of the process's
peak RSS (ru_maxrss) over what it was before. Target: under 100 MB.
"""

from __future__ import annotations

import argparse
import gc
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from ask_redis.tools import ToolContext, run_tool
from ask_redis.tools.read import Read

TARGET_MB = 100
LINE = b"%09d cache:user:profile value=" + b"x" * 60 + b"\n"


def write_file(path: Path, size: int) -> int:
    """Lines of ~100 bytes up to `size` bytes; returns the number of lines."""
    block_lines = 10000
    written = lines = 0
    with open(path, "wb") as handle:
        while written < size:
            block = b"".join(LINE % (lines + i + 1) for i in range(block_lines))
            handle.write(block)
            written += len(block)
            lines += block_lines
    return lines


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the file (default: a temp dir)")
    args = parser.parse_args(argv)

    free = shutil.disk_usage(args.dir or tempfile.gettempdir()).free
    if free < args.size_mb * 1024 * 1024 * 1.2:
        print(f"not enough free disk for a {args.size_mb} MB file ({free // 2**20} MB free)", file=sys.stderr)
        return 1
    workspace = Path(tempfile.mkdtemp(prefix="bench-read-", dir=args.dir))
    try:
        path = workspace / "huge.log"
        started = time.perf_counter()
        lines = write_file(path, args.size_mb * 1024 * 1024)
        size_mb = path.stat().st_size / 2**20
        print(f"wrote {size_mb:.0f} MB, {lines} lines, in {time.perf_counter() - started:.1f} s")

        tools = {"Read": Read()}
        ctx = ToolContext(workspace=workspace)
        arguments = {"file_path": "huge.log", "offset": lines - 1999, "limit": 2000}
        # Baseline in the same run: the same call on a small file, so imports and first-use costs are paid.
        (workspace / "small.log").write_bytes(LINE % 1 * 3000)
        run_tool(tools, "Read", {"file_path": "small.log", "offset": 1000, "limit": 2000}, ctx)
        gc.collect()

        rss_before = peak_rss_mb()
        tracemalloc.start()
        started = time.perf_counter()
        outcome = run_tool(tools, "Read", arguments, ctx)
        elapsed = time.perf_counter() - started
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_growth = peak_rss_mb() - rss_before

        assert not outcome.is_error, outcome.content
        last = outcome.content.split("\n\n(")[0].rsplit("\n", 1)[-1]
        assert last.startswith(f"{lines}\t"), last
        assert f"of {lines}" in outcome.content

        # What loading the file whole would cost, for scale (not done: it is the file size).
        print(f"\n{'measure':<42}{'MB':>10}")
        print(f"{'file size (what reading it whole costs)':<42}{size_mb:>10.0f}")
        print(f"{'Read: tracemalloc peak during the call':<42}{traced_peak / 2**20:>10.1f}")
        print(f"{'Read: peak RSS growth during the call':<42}{rss_growth:>10.1f}")
        worst = max(traced_peak / 2**20, rss_growth)
        print(f"\nRead of lines {lines - 1999}-{lines} took {elapsed:.1f} s; "
              f"peak {worst:.1f} MB = {worst / size_mb:.4f} of the file (target < {TARGET_MB} MB)")
        return 0 if worst < TARGET_MB else 1
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
