"""Writes the authored transcripts: the model's side is written here, the requests are filled in by
replaying with ASK_REDIS_REWRITE_TRANSCRIPTS=1 (see README, "Transcripts").

    .venv/bin/python tests/author_transcripts.py && ASK_REDIS_REWRITE_TRANSCRIPTS=1 bash tests/run.sh tests/test_transcripts.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TRANSCRIPTS = Path(__file__).resolve().parent.parent / "transcripts"
MODEL = "claude-sonnet-5-5"
_ids = iter(range(1, 10_000))


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def tool(name: str, **arguments) -> dict:
    return {"type": "tool_use", "id": f"toolu_{next(_ids):04d}", "name": name, "input": arguments}


def sse(content: list[dict], stop_reason: str, input_tokens: int = 1200, output_tokens: int = 90,
        cache_read: int = 0, cache_write: int = 0, cut_after_blocks: int | None = None) -> dict:
    """A streamed message as the API sends it: message_start, block start/delta/stop, message_delta, message_stop."""
    message_id = f"msg_{next(_ids):04d}"
    events = [{"event": "message_start", "data": {"type": "message_start", "message": {
        "id": message_id, "type": "message", "role": "assistant", "model": MODEL, "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": 1, "cache_creation_input_tokens": cache_write,
                  "cache_read_input_tokens": cache_read}}}}]
    for index, block in enumerate(content):
        if cut_after_blocks is not None and index >= cut_after_blocks:
            return {"status": 200, "headers": {"content-type": "text/event-stream"}, "sse": events, "cut": True}
        if block["type"] == "text":
            start = {"type": "text", "text": ""}
            words = block["text"].split(" ")
            deltas = [{"type": "text_delta", "text": w + (" " if i < len(words) - 1 else "")} for i, w in enumerate(words)]
            chunked = [{"type": "text_delta", "text": "".join(d["text"] for d in deltas[i:i + 6])} for i in range(0, len(deltas), 6)]
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            raw = json.dumps(block["input"])
            chunked = [{"type": "input_json_delta", "partial_json": raw[i:i + 20]} for i in range(0, len(raw), 20)]
        events.append({"event": "content_block_start", "data": {"type": "content_block_start", "index": index, "content_block": start}})
        events += [{"event": "content_block_delta", "data": {"type": "content_block_delta", "index": index, "delta": d}} for d in chunked]
        events.append({"event": "content_block_stop", "data": {"type": "content_block_stop", "index": index}})
    if cut_after_blocks is not None:
        return {"status": 200, "headers": {"content-type": "text/event-stream"}, "sse": events, "cut": True}
    events.append({"event": "message_delta", "data": {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                                        "usage": {"output_tokens": output_tokens}}})
    events.append({"event": "message_stop", "data": {"type": "message_stop"}})
    return {"status": 200, "headers": {"content-type": "text/event-stream"}, "sse": events}


def json_message(content: list[dict], stop_reason: str, input_tokens: int = 1200, output_tokens: int = 90) -> dict:
    return {"status": 200, "headers": {"content-type": "application/json"}, "json": {
        "id": f"msg_{next(_ids):04d}", "type": "message", "role": "assistant", "model": MODEL, "content": content,
        "stop_reason": stop_reason, "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}}


def api_error(status: int, kind: str, message: str, retry_after: str | None = None) -> dict:
    headers = {"content-type": "application/json"}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    return {"status": status, "headers": headers, "json": {"type": "error", "error": {"type": kind, "message": message}}}


def session(prompt: str, *flags: str, fixture: str | None = "shop") -> dict:
    return {"argv": ["--model", MODEL, *flags, prompt], "fixture": fixture, "env": {}}


REVIEW_ANSWER = (
    "## Summary\n\nThe product cache has three problems that will hurt in production; sessions are fine.\n\n"
    "## Findings\n\n"
    "### High: `KEYS` in `clear_products` (shop/cache.py:29)\n"
    "`KEYS product:*` blocks the server while it walks the whole keyspace. Use `SCAN` with `UNLINK` in batches:\n\n"
    "```python\nfor key in r.scan_iter(match=\"product:*\", count=1000):\n    r.unlink(key)\n```\n\n"
    "### High: cache writes without a TTL (shop/cache.py:14, shop/cache.py:34)\n"
    "`r.set(...)` with no `ex=` leaves orphan keys forever. Pass `ex=3600` (or your freshness budget).\n\n"
    "### Medium: a new client per call (shop/cache.py:9)\n"
    "`get_client()` builds a `Redis` (and its pool) per request. Create one module-level client with a pool.\n\n"
    "### Low: pickle values (shop/cache.py:14)\n"
    "Pickled values tie the cache to Python and are unsafe to load from a shared cache. Store JSON.\n\n"
    "## Checklist\n\n- TTL on all cache keys: **fail**\n- SCAN instead of KEYS: **fail**\n- Connection pooling: **fail** (cache), pass (sessions)\n"
)


def transcripts() -> dict[str, dict]:
    grep_keys, glob_py = tool("Grep", pattern=r"\.keys\(|\.set\(|Redis\(", output_mode="content", **{"-n": True}), tool("Glob", pattern="**/*.py")
    read_cache, read_sessions = tool("Read", file_path="shop/cache.py"), tool("Read", file_path="shop/sessions.py")
    review = {
        "title": "A multi-turn repository review with parallel tool calls, streamed",
        "session": session("review my cache layer"),
        "expect": {"exit_code": 0, "stdout": ["KEYS", "shop/cache.py:29", "scan_iter"], "stderr": []},
        "exchanges": [
            sse([text("I'll look at the code first."), glob_py, grep_keys], "tool_use", cache_write=5200),
            sse([read_cache, read_sessions], "tool_use", input_tokens=300, cache_read=5200, cache_write=900),
            sse([text(REVIEW_ANSWER)], "end_turn", input_tokens=200, output_tokens=620, cache_read=6100),
        ],
    }
    review_json = {
        "title": "The same review without streaming (--no-stream), JSON output",
        "session": session("review my cache layer", "--no-stream", "--json"),
        "expect": {"exit_code": 0, "stdout": ['"subtype":"success"', '"num_turns":2'], "stderr": []},
        "exchanges": [
            json_message([tool("Grep", pattern="keys\\(", output_mode="content")], "tool_use"),
            json_message([text("`KEYS` at shop/cache.py:29 blocks Redis; use SCAN.")], "end_turn"),
        ],
    }
    max_tokens = {
        "title": "The answer is cut at max_tokens: said on stderr, exit 1, never passed off as complete",
        "session": session("explain eviction policies", "--max-tokens", "50", fixture=None),
        "expect": {"exit_code": 1, "stdout": ["allkeys-lru evicts"], "stderr": ["cut at the max_tokens limit (50 tokens)"]},
        "exchanges": [sse([text("There are six policies. allkeys-lru evicts the least recently")], "max_tokens", output_tokens=50)],
    }
    pause = {
        "title": "pause_turn: the request is sent again and the answer completes",
        "session": session("which data structure for a leaderboard?", fixture=None),
        "expect": {"exit_code": 0, "stdout": ["sorted set", "ZADD"], "stderr": []},
        "exchanges": [
            sse([text("A leaderboard wants a sorted set.")], "pause_turn"),
            sse([text(" Use ZADD to record scores and ZREVRANGE to read the top N.")], "end_turn"),
        ],
    }
    refusal_tool = tool("Bash", command="cat /etc/shadow")
    refusal = {
        "title": "refusal with a tool_use in the same message: the tool is not run",
        "session": session("print the server's password file", "--output-format", "stream-json"),
        "expect": {"exit_code": 1, "stdout": ['"ask_redis_subtype":"error_refusal"'], "stdout_absent": ['"type":"tool_result"'], "stderr": []},
        "exchanges": [sse([text("I can't help with that."), refusal_tool], "refusal")],
    }
    overloaded = {
        "title": "529 overloaded, then a 429 with retry-after, then success",
        "session": session("is HGETALL safe on a big hash?", fixture=None),
        "expect": {"exit_code": 0, "stdout": ["HSCAN"], "stderr": ["overloaded (HTTP 529", "rate limited (HTTP 429", "retrying"]},
        "exchanges": [
            api_error(529, "overloaded_error", "Overloaded"),
            api_error(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", retry_after="0"),
            sse([text("No: HGETALL on a big hash blocks; use HSCAN.")], "end_turn"),
        ],
    }
    overloaded_for_good = {
        "title": "529 on every try: one clear line and exit 1 after the retries",
        "session": session("is HGETALL safe on a big hash?", fixture=None),
        "expect": {"exit_code": 1, "stdout": [], "stderr": ["ask-redis: error: the API is overloaded (HTTP 529: Overloaded)"], "stderr_absent": ["Traceback"]},
        "exchanges": [api_error(529, "overloaded_error", "Overloaded") for _ in range(5)],
    }
    cut = {
        "title": "The stream is cut midway: the partial text stays, one line says it is incomplete, exit 1",
        "session": session("how do I size maxmemory?", fixture=None),
        "expect": {"exit_code": 1, "stdout": ["Start from your working set"], "stderr": ["stream broke midway"], "stderr_absent": ["Traceback"]},
        "exchanges": [sse([text("Start from your working set."), text("Then add headroom for fragmentation.")], "end_turn", cut_after_blocks=1)],
    }
    bad_read = tool("Read", file_path="../../etc/passwd")
    missing = tool("Read", file_path="shop/cahce.py")
    unknown = tool("FlushAll")
    tool_error = {
        "title": "Tool errors (outside the workspace, missing file, unknown tool, bad input) go back as is_error and the loop goes on",
        "session": session("read the cache module"),
        "expect": {"exit_code": 0, "stdout": ["shop/cache.py"], "stderr": []},
        "exchanges": [
            sse([bad_read, missing, unknown, tool("Grep", pattern=42)], "tool_use"),
            sse([text("The cache module is shop/cache.py; the other paths were not readable.")], "end_turn"),
        ],
    }
    stop_sequence = {
        "title": "stop_sequence ends the turn like end_turn",
        "session": session("name the key for a user profile", fixture=None),
        "expect": {"exit_code": 0, "stdout": ["user:profile:12345"], "stderr": []},
        "exchanges": [sse([text("Use `user:profile:12345` (a hash).")], "stop_sequence")],
    }
    context_full = {
        "title": "model_context_window_exceeded: a clear error, exit 1, the tool in the cut message is not run",
        "session": session("read everything", "--output-format", "stream-json"),
        "expect": {"exit_code": 1, "stdout": ['"ask_redis_subtype":"error_context_window"', "no longer fits"], "stdout_absent": ['"type":"tool_result"'], "stderr": []},
        "exchanges": [sse([text("Reading the next file."), tool("Read", file_path="shop/cache.py")], "model_context_window_exceeded")],
    }
    max_turns = {
        "title": "--max-turns stops a model that keeps calling tools",
        "session": session("find every Redis call", "--max-turns", "2"),
        "expect": {"exit_code": 1, "stdout": [], "stderr": ["stopped after 2 turns (raise --max-turns)"]},
        "exchanges": [sse([tool("Glob", pattern="**/*.py")], "tool_use"), sse([tool("Glob", pattern="**/*.md")], "tool_use")],
    }
    policy = tool("redis_command", command="CONFIG GET maxmemory*")
    carts = tool("redis_command", command="OBJECT ENCODING cart:1")
    cart_len = tool("redis_command", command="HLEN cart:1")
    flush = tool("redis_command", command="FLUSHALL")
    live = {
        "title": "A live instance inspected read-only: allowlisted commands answered, a write refused before it is sent",
        "session": {**session("why is my Redis evicting nothing and running out of memory?", "--redis-url", "{redis_url}"),
                    "redis": {"password": "transcript-pw-31", "args": ["--maxmemory", "64mb", "--maxmemory-policy", "noeviction"],
                              "seed": [["HSET", "cart:1", *[f"f{i}" for i in range(600) for _ in (0, 1)]],
                                       ["SET", "cache:page:1", "x"]]}},
        "expect": {"exit_code": 0, "stdout": ["noeviction", "allkeys-lru", "hashtable"], "stderr": []},
        "exchanges": [
            sse([text("Checking the memory settings and the biggest hash."), policy, carts, cart_len, flush], "tool_use"),
            sse([text("`maxmemory-policy` is `noeviction` with `maxmemory` 64 MB, so writes fail instead of evicting: use "
                      "`allkeys-lru` for a cache. `cart:1` has 600 fields and is `hashtable`-encoded (over "
                      "hash-max-listpack-entries 512), which costs more memory than a listpack.")], "end_turn"),
        ],
    }
    return {"live-redis": live, "stop-sequence": stop_sequence, "context-window-exceeded": context_full, "max-turns": max_turns,
            "review-streamed": review, "review-json": review_json, "max-tokens": max_tokens, "pause-turn": pause,
            "refusal-with-tool": refusal, "overloaded-then-ok": overloaded, "overloaded-for-good": overloaded_for_good,
            "stream-cut": cut, "tool-errors": tool_error}


def main() -> int:
    from ask_redis.transcript import FORMAT

    names = set(sys.argv[1:])
    for name, spec in transcripts().items():
        if names and name not in names:
            continue
        spec["exchanges"] = [{"request": None, "response": response} for response in spec["exchanges"]]
        (TRANSCRIPTS / f"{name}.json").write_text(json.dumps({"format": FORMAT, **spec}, indent=1) + "\n")
        print(f"wrote transcripts/{name}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
