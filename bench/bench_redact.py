"""Redaction speed, and what --record costs a session.

    .venv/bin/python bench/bench_redact.py [--runs 7] [--turns 10] [--result-kb 30]

1. `redact()` over 1 MB of mixed text (this repository's code and docs but the redaction code itself,
   configs and every format of the secret table, interleaved) and over a single 1 MB line (the same text JSON-encoded, as the recorder and
   the session store redact it), against the obvious baseline in the same run: one case-insensitive regex
   pass for `password=...`. Adversarial lines (a repeated `key:`, `redis-cli `, `user a on `, dashes) show
   that time stays linear. Target: each under 100 ms.
2. A ten-turn one-shot session, each turn a Read of a 30 KB file, over a loopback stand-in of the Messages
   API, with and without --record. Target: recorded at most 2x unrecorded.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ask_redis.redact import redact  # noqa: E402
from tests.secret_table import FORMATS  # noqa: E402

TARGET_MS = 100.0
TARGET_RECORD_RATIO = 2.0
BASELINE = re.compile(r"(?i)password[ \t]*[=:][ \t]*\S+")


def mixed_text(size: int) -> str:
    # The redaction code itself is left out: it names every rule's needle on every line.
    sources = [p.read_text() for p in sorted((ROOT / "agent").rglob("*.py")) if p.name not in ("redact.py", "secret_files.py")]
    sources += [(ROOT / "README.md").read_text()]
    sources += [content.format(s=secret) for _, _, content, secret in FORMATS]
    pieces, total, n = [], 0, 0
    while total < size:
        piece = sources[n % len(sources)]
        pieces.append(piece)
        total += len(piece)
        n += 1
    return "".join(pieces)[:size]


def median_ms(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_redact(runs: int) -> bool:
    text = mixed_text(1_000_000)
    line = json.dumps(text)[:1_000_000]
    cases = [("1 MB mixed text", text), ("1 MB single line (JSON)", line)]
    adversarial = [("repeated 'key:'", "key:" * 250_000), ("repeated 'redis-cli '", "redis-cli " * 100_000),
                   ("repeated 'user a on '", "user a on " * 100_000), ("dashes", "-" * 1_000_000),
                   ("repeated 'password=x '", "password=x " * 90_000)]
    print(f"{'case':<28}{'redact ms':>11}{'baseline ms':>13}{'ratio':>8}")
    ok = True
    for label, value in cases + adversarial:
        redact(value)  # warm the caches of compiled patterns
        ours = median_ms(lambda: redact(value), runs)
        base = median_ms(lambda: BASELINE.sub("x", value), runs)
        print(f"{label:<28}{ours:>11.1f}{base:>13.1f}{ours / base:>8.1f}")
        if (label, value) in cases:
            ok = ok and ours < TARGET_MS
    print(f"(target: each 1 MB case under {TARGET_MS:g} ms; baseline: one regex pass for password=...)")
    return ok


def bench_record(runs: int, turns: int, result_kb: int) -> bool:
    from ask_redis import cli
    from tests.standin import StandIn

    workspace = Path(tempfile.mkdtemp(prefix="bench-record-"))
    body = mixed_text(result_kb * 1024)
    (workspace / "big.py").write_text("\n".join(line[:150] for line in body.splitlines()) + "\n")

    def responses():
        out = []
        for turn in range(turns):
            content = [{"type": "tool_use", "id": f"toolu_{turn:03d}", "name": "Read", "input": {"file_path": "big.py"}}]
            out.append({"status": 200, "json": {"id": f"msg_{turn}", "type": "message", "role": "assistant",
                                                "model": "claude-sonnet-5-5", "content": content, "stop_reason": "tool_use",
                                                "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 10}}})
        out.append({"status": 200, "json": {"id": "msg_end", "type": "message", "role": "assistant",
                                            "model": "claude-sonnet-5-5", "content": [{"type": "text", "text": "Done."}],
                                            "stop_reason": "end_turn", "stop_sequence": None,
                                            "usage": {"input_tokens": 10, "output_tokens": 10}}})
        return out

    import io
    import os
    from contextlib import redirect_stderr, redirect_stdout

    def session(record: bool) -> float:
        with StandIn(responses=responses()) as standin:
            os.environ["ANTHROPIC_BASE_URL"] = standin.url
            argv = ["--no-stream", "--model", "claude-sonnet-5-5", "--max-turns", str(turns + 2), "--repo", str(workspace)]
            if record:
                argv += ["--record", str(workspace / "session.json")]
            start = time.perf_counter()
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                code = cli.main([*argv, "read it ten times"])
            elapsed = time.perf_counter() - start
            assert code == 0 and len(standin.requests) == turns + 1, (code, len(standin.requests))
        return elapsed * 1000

    os.environ["ANTHROPIC_API_KEY"] = "sk-ant-bench-not-a-key"
    session(False), session(True)  # warm imports
    plain, recorded = [], []
    for _ in range(runs):
        plain.append(session(False))
        recorded.append(session(True))
    ratio = statistics.median(recorded) / statistics.median(plain)
    print(f"\n{turns}-turn session, {result_kb} KB per tool result: unrecorded {statistics.median(plain):.0f} ms, "
          f"--record {statistics.median(recorded):.0f} ms, ratio {ratio:.2f} (target <= {TARGET_RECORD_RATIO:g})")
    return ratio <= TARGET_RECORD_RATIO


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--result-kb", type=int, default=30)
    args = parser.parse_args(argv)
    ok = bench_redact(args.runs)
    ok = bench_record(max(3, args.runs // 2), args.turns, args.result_kb) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
