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


def broken(streamed: dict, keep: int, fault: str = "cut", error: tuple[str, str] | None = None) -> dict:
    """The first `keep` events of a streamed message, then a fault: the connection cut mid-body ("cut"), reset
    by the peer ("reset"), or an `event: error` of the given (type, message) inside the 200 stream."""
    events = streamed["sse"][:keep]
    if error:
        kind, message = error
        events.append({"event": "error", "data": {"type": "error", "error": {"type": kind, "message": message}}})
        return {**streamed, "sse": events}
    return {**streamed, "sse": events, "cut": fault}


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
        "title": "The stream is cut mid-body (text mode): the partial text is marked abandoned in one line, the retried answer follows",
        "session": session("how do I size maxmemory?", fixture=None),
        "expect": {"exit_code": 0, "stdout": ["Start from your working set", "25% headroom"],
                   "stderr": ["the answer stream broke midway (connection error: peer closed connection",
                              "the partial answer above is abandoned; retrying in 0.0 s (1/4)"], "stderr_absent": ["Traceback", "ask-redis: error:"]},
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
    faults = stream_faults(cut)
    return {**faults, "live-redis": live, "stop-sequence": stop_sequence, "context-window-exceeded": context_full, "max-turns": max_turns,
            "review-streamed": review, "review-json": review_json, "max-tokens": max_tokens, "pause-turn": pause,
            "refusal-with-tool": refusal, "overloaded-then-ok": overloaded, "overloaded-for-good": overloaded_for_good,
            "stream-cut": cut, "tool-errors": tool_error}


def stream_faults(cut: dict) -> dict[str, dict]:
    """Streams that break: each is retried like a failed request and the session still gets its answer; the
    request after a retry is the one before it (the partial message never reaches the history)."""
    global _ids
    _ids = iter(range(5001, 10_000))  # the transcripts above keep their ids
    cut["exchanges"].append(sse([text("Start from your working set (INFO memory: used_memory_dataset), then add "
                                      "25% headroom for fragmentation and replication buffers.")], "end_turn"))
    overloaded = ("overloaded_error", "Overloaded")
    grep_ttl = tool("Grep", pattern=r"\.set\(", output_mode="content", **{"-n": True})
    read_cache = tool("Read", file_path="shop/cache.py")
    partial = "Sessions look fine. The product cache"
    answer = "`shop/cache.py:14` and `shop/cache.py:34` write with `r.set(...)` and no `ex=`: those keys never expire."
    again = "What an unbounded HGETALL costs: it walks the whole hash in one command; use HSCAN."
    ok = lambda words: sse([text(words)], "end_turn")  # noqa: E731
    return {
        "stream-cut-json": {
            "title": "A --json review whose second turn is cut mid-body: retried, the tool results kept, one clean result",
            "session": session("do my cache writes expire?", "--json"),
            "expect": {"exit_code": 0, "stdout": ['"subtype":"success"', '"num_turns":2', "never expire"],
                       "stdout_absent": [partial], "stderr": []},
            "exchanges": [sse([grep_ttl, read_cache], "tool_use"),
                          sse([text(partial), text(answer)], "end_turn", cut_after_blocks=1),
                          sse([text(answer)], "end_turn")],
        },
        "stream-reset-after-first-delta": {
            "title": "A connection reset after the first text delta (stream-json): an api_retry event, then the whole answer",
            "session": session("is HGETALL safe on a big hash?", "--output-format", "stream-json", fixture=None),
            "expect": {"exit_code": 0, "stdout": ['"subtype":"api_retry"', "Connection reset by peer", '"subtype":"success"', "HSCAN"],
                       "stderr": []},
            "exchanges": [broken(sse([text(again)], "end_turn"), keep=3, fault="reset"), ok(again)],
        },
        "error-event-overloaded": {
            "title": "event: error overloaded_error inside a 200 stream, after some text: retried like a 529",
            "session": session("is HGETALL safe on a big hash?", fixture=None),
            "expect": {"exit_code": 0, "stdout": ["HSCAN"],
                       "stderr": ["the API is overloaded (overloaded_error event in the answer stream: Overloaded)", "(1/4)"],
                       "stderr_absent": ["ask-redis: error:"]},
            "exchanges": [broken(sse([text(again)], "end_turn"), keep=3, error=overloaded), ok(again)],
        },
        "error-event-api-error": {
            "title": "event: error api_error right after message_start (--json): retried like a 500",
            "session": session("is HGETALL safe on a big hash?", "--json", fixture=None),
            "expect": {"exit_code": 0, "stdout": ['"subtype":"success"', "HSCAN"], "stderr": []},
            "exchanges": [broken(sse([text(again)], "end_turn"), keep=1, error=("api_error", "Internal server error")), ok(again)],
        },
        "error-event-invalid-request": {
            "title": "event: error invalid_request_error: not retried, its message in one line, exit 1",
            "session": session("is HGETALL safe on a big hash?", fixture=None),
            "expect": {"exit_code": 1, "stdout": [],
                       "stderr": ["ask-redis: error: the API returned an error (invalid_request_error event in the answer stream: "
                                  "messages.1.content: tool_use ids must be unique)"], "stderr_absent": ["retrying"]},
            "exchanges": [broken(sse([text(again)], "end_turn"), keep=1,
                                 error=("invalid_request_error", "messages.1.content: tool_use ids must be unique"))],
        },
        "three-cuts-then-ok": {
            "title": "Three cuts in a row, then success: three notices, one answer",
            "session": session("is HGETALL safe on a big hash?", fixture=None),
            "expect": {"exit_code": 0, "stdout": ["HSCAN"], "stderr": ["(1/4)", "(2/4)", "(3/4)"], "stderr_absent": ["(4/4)", "ask-redis: error:"]},
            "exchanges": [*(sse([text(again)], "end_turn", cut_after_blocks=1) for _ in range(3)), ok(again)],
        },
        "cut-for-good": {
            "title": "A cut on every attempt: after the retry budget one line and exit 1",
            "session": session("is HGETALL safe on a big hash?", fixture=None),
            "expect": {"exit_code": 1, "stdout": [],
                       "stderr": ["(4/4)", "ask-redis: error: the answer stream broke midway (connection error: peer closed connection "
                                  "without sending complete message body); the text above is incomplete"], "stderr_absent": ["Traceback"]},
            "exchanges": [broken(sse([text(again)], "end_turn"), keep=3) for _ in range(5)],
        },
    }


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
