"""What a sandboxed command costs: `true` through the Bash sandbox against plain `true`, same run.

    .venv/bin/python bench/bench_sandbox.py [--runs N]

Rows: plain `true` via subprocess (the baseline); bare `bwrap --unshare-all ... true`;
`true` through sandbox.run (bwrap with every mount, seccomp, limits, the per-call cgroup,
the bash wrapper, the wait for the namespace to end). Runs are interleaved so that noise
from other work on the machine falls on every row alike. Target: median overhead < 30 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ask_redis import sandbox  # noqa: E402

TARGET_MS = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    capability = sandbox.probe()
    if not capability.ok:
        print(f"sandbox unavailable: {capability.explain()}")
        return 1
    bwrap = sandbox.find_bwrap()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as directory:
        workspace = Path(directory)
        bare = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--proc", "/proc", "--dev", "/dev", "true"]
        rows = {
            "plain true (subprocess)": lambda: subprocess.run(["true"], check=True),
            "bare bwrap --unshare-all true": lambda: subprocess.run(bare, check=True),
            "sandbox.run('true')": lambda: _check(sandbox.run("true", workspace, timeout=30)),
        }
        for run in rows.values():  # warm caches once
            run()
        samples: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(args.runs):
            for name, run in rows.items():
                started = time.perf_counter()
                run()
                samples[name].append((time.perf_counter() - started) * 1000)

    baseline = statistics.median(samples["plain true (subprocess)"])
    print(f"bubblewrap: {subprocess.run([bwrap, '--version'], capture_output=True, text=True).stdout.strip()}; "
          f"process limit: {capability.process_limit}; {args.runs} runs each, interleaved")
    print(f"{'command':<32} {'median ms':>10} {'p90 ms':>8} {'overhead ms':>12} {'ratio':>7}")
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{name:<32} {median:>10.2f} {p90:>8.2f} {median - baseline:>12.2f} {median / baseline:>6.1f}x")
    overhead = statistics.median(samples["sandbox.run('true')"]) - baseline
    verdict = "meets" if overhead < TARGET_MS else "MISSES"
    print(f"sandbox overhead {overhead:.2f} ms per call: {verdict} the {TARGET_MS:.0f} ms target")
    return 0 if overhead < TARGET_MS else 1


def _check(result: sandbox.Result) -> None:
    if result.exit_code != 0:
        raise SystemExit(f"sandboxed true failed: {result.output}")


if __name__ == "__main__":
    sys.exit(main())
