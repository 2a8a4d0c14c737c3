"""Chat's costs that a person feels: the first token after Enter, rendering a streamed answer, saving a session.

    .venv/bin/python bench/bench_chat.py [--runs 5]

First token: chat runs on a pseudo-terminal against the loopback API stand-in; the time from Enter to the first
word of a scripted answer on the screen. The baseline is the same question piped into chat with stdout on the
same kind of terminal, where the answer is written raw: the difference is what the live input line and the
markdown rendering add.

Streaming: a 15 KB markdown answer (headings, paragraphs, lists, code blocks) arrives as ~1,000 deltas. The baseline
writes each delta raw; LiveAnswer prints finished blocks as markdown above the input line and keeps only the
unfinished one in the live region. Its first row is the stream's own path (what each delta costs the turn); the
second adds a live-region redraw every 10 deltas (the input thread redraws at most 10 times a second, and the API
sends far more than 10 deltas a second, so this is generous). The naive row re-renders the whole answer as markdown on every delta (what
a single rich Live over the answer does). Target: under 1 ms per delta.

Saving: a 200-turn session (about 1 MB of JSON, tool outputs included). The baseline is json.dumps of the
messages and one write; session_store.save adds redaction, a private temporary file, fsync and a rename.
Target: under 100 ms per save.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown

from ask_redis import session_store as store
from ask_redis.chat_render import LiveAnswer, RichOutput, Screen
from ask_redis.conversation import Conversation
from ask_redis.events import Final, TextDelta, Usage

STREAM_TARGET_MS_PER_DELTA = 1.0
SAVE_TARGET_MS = 100.0


def answer_text() -> str:
    parts = []
    for n in range(40):
        parts.append(f"## Finding {n}\n\nThe `product:{n}` keys are written with `SET` and no TTL, so they pile up as orphans "
                     "when products are deleted; pass `ex=3600` or your freshness budget in the same command.\n")
        parts.append("- use `SCAN` with `COUNT 1000`, never `KEYS`\n- pipeline the loop in batches of 100\n- one client per process\n")
        parts.append("```python\nfor key in r.scan_iter(match=\"product:*\", count=1000):\n    r.unlink(key)\n```\n")
    return "\n".join(parts)


def deltas(text: str, size: int = 15) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def console() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=100, color_system="truecolor")


def stream_raw(pieces: list[str]) -> None:
    target = console()
    for piece in pieces:
        target.file.write(piece)
        target.file.flush()


def stream_live_answer(pieces: list[str], redraw_every: int = 0) -> None:
    """The stream's path through LiveAnswer; with `redraw_every`, the live region drawn every so many deltas too
    (in chat the input thread draws it at most 10 times a second)."""
    target = console()
    output = RichOutput(Screen(target.file), console=target)
    with LiveAnswer(output) as render:
        for n, piece in enumerate(pieces):
            render(TextDelta(text=piece))
            if redraw_every and n % redraw_every == 0:
                render.render(100)
        render(Final(subtype="success", is_error=False, result="", stop_reason="end_turn", num_turns=1, session_id="s",
                     duration_ms=0, total_cost_usd=0, usage=Usage()))


def stream_naive(pieces: list[str]) -> None:
    shown = ""
    with Live(console=console(), refresh_per_second=10, vertical_overflow="visible") as live:
        for piece in pieces:
            shown += piece
            live.update(Markdown(shown), refresh=True)


def session(turns: int = 200) -> Conversation:
    conversation = Conversation(session_id="bench-0000")
    output = "\n".join(f"{i}\tdef cache_{i}(r):\n    return r.get('product:{i}')" for i in range(60))
    for n in range(turns):
        conversation.add_user(f"question {n}: why is product:{n} slow to load?")
        conversation.add_assistant([{"type": "text", "text": "Let me read the module."},
                                    {"type": "tool_use", "id": f"toolu_{n}", "name": "Read", "input": {"file_path": "shop/cache.py"}}])
        conversation.add_tool_results([{"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": output}])
        conversation.add_assistant([{"type": "text", "text": answer_text()[:1500]}])
    return conversation


def save_raw(conversation: Conversation, directory: Path) -> None:
    text = "\n".join(json.dumps(m, ensure_ascii=False) for m in conversation.messages)
    (directory / "raw.jsonl").write_text(text)


def save_store(conversation: Conversation, info: store.SessionInfo) -> None:
    store.save(conversation, info)


# One first word, and one last word to know the answer is over (a repeated sentence would let the next run's
# wait find the previous answer's copies).
ANSWER_WORDS = "FIRSTWORD of a scripted answer about eviction. " + "Then the rest of it, sentence after sentence. " * 20 + "LASTWORD."


def first_token(runs: int) -> tuple[float, float]:
    """Medians in ms: Enter to the first word on screen, in chat and (baseline) piped chat with raw writes."""
    import shutil

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.bench_startup import BANNER_DONE, PtyRun, chat_env
    from tests.author_transcripts import sse, text
    from tests.standin import StandIn

    script = shutil.which("ask-redis", path=str(Path(sys.executable).parent)) or "ask-redis"
    answers = [sse([text(ANSWER_WORDS)], "end_turn") for _ in range(2 * (runs + 1))]
    times: dict[bool, list[float]] = {True: [], False: []}
    with StandIn(responses=answers) as standin, tempfile.TemporaryDirectory() as scratch:
        env = chat_env(scratch, ANTHROPIC_BASE_URL=standin.url)
        for terminal in (True, False):
            run = PtyRun([script, "--model", "claude-sonnet-4-5"], env, stdin_pipe=not terminal)
            try:
                if terminal:
                    run.wait_for(BANNER_DONE)
                for n in range(runs + 1):
                    time.sleep(0.2)
                    run.mark()
                    began = time.monotonic()
                    run.send(f"question {n}\r".encode() if terminal else f"question {n}\n".encode())
                    seen = run.wait_for(b"FIRSTWORD")
                    run.wait_for(b"LASTWORD")  # from the same mark: both may come in one read
                    if terminal:
                        run.seen = run.output.index(b"LASTWORD", run.seen)
                        run.wait_for(b"/help")  # the toolbar of an idle chat, after the answer: the turn is over
                    if n:  # the first one warms the connection
                        times[terminal].append((seen - began) * 1000)
            finally:
                run.close()
    return statistics.median(times[True]), statistics.median(times[False])


def median_ms(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-terminal", action="store_true", help="skip the first-token runs on a pseudo-terminal")
    args = parser.parse_args()

    chat_first, piped_first = first_token(args.runs) if not args.no_terminal else (float("nan"), float("nan"))
    pieces = deltas(answer_text())
    raw = median_ms(lambda: stream_raw(pieces), args.runs)
    live = median_ms(lambda: stream_live_answer(pieces), args.runs)
    drawn = median_ms(lambda: stream_live_answer(pieces, redraw_every=10), args.runs)
    naive = median_ms(lambda: stream_naive(pieces[:150]), 1) * len(pieces) / 150  # quadratic: one run on 150 deltas, scaled (an underestimate)

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["XDG_DATA_HOME"] = scratch
        conversation = session()
        size_kb = len("\n".join(json.dumps(m) for m in conversation.messages)) / 1024
        info = store.SessionInfo(id=conversation.session_id, created=0, updated=0)
        base = median_ms(lambda: save_raw(conversation, Path(scratch)), args.runs)
        saved = median_ms(lambda: save_store(conversation, info), args.runs)

    per_delta = drawn / len(pieces)  # the target counts the redraws too
    rows = [
        ("first token: piped, raw writes (baseline)", f"{piped_first:8.1f} ms", "", "1.00"),
        ("first token: chat, Enter to screen", f"{chat_first:8.1f} ms", "", f"{chat_first / piped_first:.2f}"),
        ("stream: raw writes (baseline)", f"{raw:8.1f} ms", f"{raw / len(pieces) * 1000:7.1f} µs", "1.00"),
        ("stream: LiveAnswer, the stream's path", f"{live:8.1f} ms", f"{live / len(pieces) * 1000:7.1f} µs", f"{live / raw:.2f}"),
        ("stream: LiveAnswer + a redraw every 10 deltas", f"{drawn:8.1f} ms", f"{drawn / len(pieces) * 1000:7.1f} µs", f"{drawn / raw:.2f}"),
        ("stream: naive Live(Markdown(all))", f"{naive:8.1f} ms", f"{naive / len(pieces) * 1000:7.1f} µs", f"{naive / raw:.2f}"),
        (f"save {size_kb:.0f} KB session: json + write (baseline)", f"{base:8.1f} ms", "", "1.00"),
        ("save: session_store.save", f"{saved:8.1f} ms", "", f"{saved / base:.2f}"),
    ]
    print(f"{len(pieces)} deltas, {len(answer_text()) // 1024} KB answer; median of {args.runs} runs\n")
    print(f"{'case':<45} {'total':>11} {'per delta':>10} {'ratio':>7}")
    for name, total, each, ratio in rows:
        print(f"{name:<45} {total:>11} {each:>10} {ratio:>7}")
    ok = per_delta <= STREAM_TARGET_MS_PER_DELTA and saved <= SAVE_TARGET_MS
    print(f"\ntargets: <= {STREAM_TARGET_MS_PER_DELTA} ms per delta ({per_delta:.3f}), <= {SAVE_TARGET_MS:.0f} ms per save "
          f"({saved:.1f}): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
