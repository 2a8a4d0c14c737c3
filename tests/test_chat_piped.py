"""Chat scripted through stdin (one turn per line), as a subprocess against the API stand-in."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

from ask_redis import compact
from tests.author_transcripts import sse, text, tool
from tests.fixtures_chat import (ASK_REDIS, KEY, MODEL, assert_valid_history, clean_env, chat, normalise, saved_messages, saved_sessions,
                                 sessions_dir, workspace)
from tests.fixtures_redis import PASSWORD, redis_standalone  # noqa: F401
from tests.standin import StandIn


def texts(message: dict) -> list[str]:
    return [block["text"] for block in message["content"] if block.get("type") == "text"]


def test_multi_turn_chat_with_slash_commands(tmp_path):
    repo = workspace(tmp_path)
    responses = [
        sse([text("A **sorted set**: ZADD to score, ZREVRANGE for the top N.")], "end_turn",
            input_tokens=1000, output_tokens=100, cache_write=2000),
        sse([text("Listing the modules."), tool("Bash", command="ls shop")], "tool_use", input_tokens=40, output_tokens=20, cache_read=3000),
        sse([text("Two modules: cache.py and sessions.py.")], "end_turn", input_tokens=60, output_tokens=12, cache_read=3100),
    ]
    lines = "\n".join([
        "which structure for a leaderboard?",
        "/cost",
        "/model haiku",
        "/model gpt-4",
        "/frobnicate now",
        "/redis not-a-url",
        "/redis redis://127.0.0.1:1",
        "/redis",
        "/repo",
        "/last",
        "which modules use redis?",
        "/last",
        "/sessions",
        "/exit",
        "this line is never sent",
    ]) + "\n"
    with StandIn(responses=responses) as standin:
        result = chat(lines, standin, cwd=repo)
    [saved] = saved_sessions()
    session_id = saved.stem
    assert normalise(result.stdout) == (
        "A **sorted set**: ZADD to score, ZREVRANGE for the top N.\n"
        "input tokens:  3,000 (0 cache reads, 2,000 cache writes, 1,000 uncached)\n"
        "output tokens: 100\n"
        "cache hits:    0% of input tokens\n"
        "cost:          $0.0120\n"
        "context:       3,100 of 200,000 tokens in the last request\n"
        f"model: {standin.requests[1]['model']}\n"
        "redis: none; /redis URL to inspect an instance\n"
        f"workspace: {repo}\n"
        "no tool has run in this session yet\n"
        "Listing the modules.\n"
        "Two modules: cache.py and sessions.py.\n"
        '⏺ Bash(command="ls shop") (N ms)\n'
        "cache.py\nsessions.py\n"
        f"* {session_id[:8]}  DATE    6 msgs  which structure for a leaderboard?\n"
    )
    assert result.stderr.splitlines() == [
        "ask-redis: unknown model 'gpt-4': use opus, sonnet, haiku or a claude-... model ID",
        "ask-redis: unknown command /frobnicate; /help lists the commands",
        "ask-redis: not a Redis URL (expected redis://, rediss://, unix:// or redis+sentinel://); Redis target unchanged",
        "ask-redis: cannot use redis://127.0.0.1:1: 127.0.0.1:1: Error 111 connecting to 127.0.0.1:1. Connection refused; Redis target unchanged",
    ]
    assert result.returncode == 1  # some input failed; the session still went on to the end
    assert len(standin.requests) == 3 and not standin.errors
    assert standin.requests[0]["model"] == "claude-sonnet-5-5"
    assert standin.requests[1]["model"].startswith("claude-haiku-") and standin.requests[2]["model"] == standin.requests[1]["model"]
    last = standin.requests[2]["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "user", "assistant", "user"]
    assert texts(last[0]) == ["which structure for a leaderboard?"] and texts(last[2]) == ["which modules use redis?"]
    assert "this line is never sent" not in json.dumps(standin.requests)
    assert saved_messages(saved)[-1] == {"role": "assistant", "content": [{"type": "text", "text": "Two modules: cache.py and sessions.py."}]}
    assert_valid_history(saved_messages(saved))


def test_help_lists_every_command(tmp_path):
    result = chat("/help\n", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("/")]
    assert listed == ["/help", "/clear", "/model", "/redis", "/repo", "/cost", "/compact", "/save", "/sessions",
                      "/resume", "/review", "/last", "/exit"]
    assert "Alt-Enter (Esc Enter) or Ctrl-J: new line" in result.stdout


def test_continue_and_resume_bring_a_session_back(tmp_path):
    responses = [sse([text("Use SCAN, never KEYS.")], "end_turn"),
                 sse([text("COUNT 1000 is a fine start.")], "end_turn"),
                 sse([text("Yes, with UNLINK.")], "end_turn")]
    with StandIn(responses=responses) as standin:
        first = chat("how do I list keys?\n", standin, cwd=tmp_path)
        [saved] = saved_sessions()
        session_id = saved.stem
        again = chat("what COUNT?\n", standin, args=["--continue"], cwd=tmp_path)
        resumed = chat(f"/resume nosuchid\n/resume {session_id[:6]}\n/sessions\nand deleting?\n", standin,
                       args=["--resume", session_id[:8]], cwd=tmp_path)
        missing = chat("hello\n", standin, args=["--resume", "feedbeef"], cwd=tmp_path)
    assert (first.returncode, first.stdout, first.stderr) == (0, "Use SCAN, never KEYS.\n", "")
    assert again.returncode == 0
    assert again.stdout == "COUNT 1000 is a fine start.\n"
    assert again.stderr == f"ask-redis: resumed session {session_id[:8]} (2 messages)\n"
    assert normalise(resumed.stdout) == (
        f"resumed session {session_id[:8]} (4 messages): how do I list keys?\n"
        f"* {session_id[:8]}  DATE    4 msgs  how do I list keys?\n"
        "Yes, with UNLINK.\n"
    )
    assert resumed.stderr == (f"ask-redis: resumed session {session_id[:8]} (4 messages)\n"
                              "ask-redis: no saved session matches 'nosuchid' (/sessions lists them)\n")
    assert resumed.returncode == 1  # the bad /resume; the chat went on
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == "ask-redis: no saved session matches 'feedbeef' (/sessions lists them)\n"
    assert [texts(m) for m in standin.requests[2]["messages"]] == [
        ["how do I list keys?"], ["Use SCAN, never KEYS."], ["what COUNT?"], ["COUNT 1000 is a fine start."], ["and deleting?"]]
    assert saved_sessions() == [saved] and len(saved_messages(saved)) == 6


def test_continue_without_a_saved_session_is_one_line(tmp_path):
    result = chat("hi\n", args=["--continue"], cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"ask-redis: no saved session for {tmp_path.resolve()}; --resume ID takes any (ids: /sessions)\n"


def test_a_stream_cut_mid_answer_is_retried_and_the_partial_text_never_reaches_the_history(tmp_path):
    responses = [sse([text("Start from your working set."), text("Then add headroom.")], "end_turn", cut_after_blocks=1),
                 sse([text("Start from the working set, then add headroom.")], "end_turn"),
                 sse([text("About 25% headroom.")], "end_turn")]
    with StandIn(responses=responses) as standin:
        result = chat("how do I size maxmemory?\nhow much headroom?\n", standin, cwd=tmp_path)
    assert result.stdout == "Start from your working set.\nStart from the working set, then add headroom.\nAbout 25% headroom.\n"
    [notice] = result.stderr.splitlines()
    assert notice.startswith("ask-redis: the answer stream broke midway (") and "; the partial answer above is abandoned; retrying" in notice
    assert result.returncode == 0
    assert standin.requests[1] == standin.requests[0]
    history = standin.requests[2]["messages"]
    assert [texts(m) for m in history] == [["how do I size maxmemory?"], ["Start from the working set, then add headroom."],
                                           ["how much headroom?"]]


def test_network_failure_mid_answer_is_one_line_and_the_chat_goes_on(tmp_path):
    responses = [sse([text("Start from your working set."), text("Then add headroom.")], "end_turn", cut_after_blocks=1),
                 sse([text("About 25% headroom.")], "end_turn")]
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "ask-redis" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("max_retries = 0\n")  # no retry: the cut is final
    with StandIn(responses=responses) as standin:
        result = chat("how do I size maxmemory?\nhow much headroom?\n", standin, cwd=tmp_path)
    assert result.stdout == "Start from your working set.\nAbout 25% headroom.\n"
    [error] = result.stderr.splitlines()
    assert error.startswith("ask-redis: error: the answer stream broke midway (") and error.endswith("); the text above is incomplete")
    assert result.returncode == 1
    history = standin.requests[1]["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user"]
    assert texts(history[1]) == ["Start from your working set."]
    assert texts(history[2]) == ["[The answer above was cut off by an API error.]", "how much headroom?"]


def test_unreachable_api_is_one_line_and_the_chat_goes_on(tmp_path):
    config = tmp_path / "xdg-config" / "ask-redis" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("max_retries = 0\n")

    class Closed:
        url = "http://127.0.0.1:9"

    result = chat("hello\n/model\n", Closed(), cwd=tmp_path)
    [line] = result.stderr.splitlines()
    assert line.startswith("ask-redis: error: ") and "Traceback" not in result.stderr
    assert KEY not in result.stderr
    assert result.stdout == "model: claude-sonnet-5-5\n" and result.returncode == 1


def test_compaction_near_the_context_window(tmp_path):
    responses = [
        sse([text("First answer.")], "end_turn"),
        sse([text("Second answer.")], "end_turn"),
        sse([text("Third answer.")], "end_turn", input_tokens=150_000, cache_read=20_000, output_tokens=90),
        sse([text("- The user asked a first question; the answer was given.")], "end_turn", input_tokens=900, output_tokens=40),
        sse([text("Fourth answer.")], "end_turn"),
    ]
    with StandIn(responses=responses) as standin:
        result = chat("/compact\nq1\nq2\nq3\nq4\n", standin, cwd=tmp_path)
    assert result.stdout == "nothing to compact yet\nFirst answer.\nSecond answer.\nThird answer.\nFourth answer.\n"
    assert result.stderr.splitlines() == [
        "ask-redis: the conversation is near the context window (170k of 200k tokens): compacting older turns into a summary",
        "ask-redis: compacted 2 earlier messages into a summary; kept the last 4",
    ]
    assert result.returncode == 0
    summary_request = standin.requests[3]
    assert summary_request["system"] == compact.SYSTEM and "tools" not in summary_request
    prompt = summary_request["messages"][0]["content"][0]["text"]
    assert "USER: q1" in prompt and "ASSISTANT: First answer." in prompt and "q2" not in prompt
    after = standin.requests[4]["messages"]
    assert [m["role"] for m in after] == ["user", "assistant", "user", "assistant", "user"]
    assert texts(after[0]) == [f"{compact.SUMMARY_HEADING}\n\n- The user asked a first question; the answer was given.", "q2"]
    assert texts(after[-1]) == ["q4"]
    [saved] = saved_sessions()
    assert [m["role"] for m in saved_messages(saved)] == ["user", "assistant", "user", "assistant", "user", "assistant"]


def test_sessions_are_private_and_redacted(tmp_path):
    with StandIn(responses=[sse([text("Never put it in code.")], "end_turn")]) as standin:
        result = chat("my redis.conf has requirepass hunter2-canary-77, is that ok?\n", standin, cwd=tmp_path)
    assert result.returncode == 0
    [saved] = saved_sessions()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(sessions_dir().stat().st_mode) == 0o700
    assert stat.S_IMODE(sessions_dir().parent.stat().st_mode) == 0o700
    content = saved.read_text()
    assert "hunter2-canary-77" not in content and "requirepass [REDACTED]" in content
    assert KEY not in content
    header = json.loads(content.splitlines()[0])
    assert header["type"] == "session" and header["id"] == saved.stem and header["messages"] == 2
    assert header["usage"]["input_tokens"] == 1200 and header["workspace"] == str(tmp_path.resolve())


def test_save_exports_markdown_and_clear_starts_a_new_session(tmp_path):
    responses = [sse([text("Pipelines batch round trips.")], "end_turn"), sse([text("A fresh start.")], "end_turn")]
    export = tmp_path / "out.md"
    with StandIn(responses=responses) as standin:
        result = chat(f"/save\nwhat is pipelining?\n/save {export}\n/clear\nhello again\n", standin, cwd=tmp_path)
    first, second = saved_sessions()
    assert result.stdout == (
        "nothing to save yet\nPipelines batch round trips.\n"
        f"saved: {first}\nexported: {export}\n"
        f"new session {second.stem[:8]}; the previous one is saved (/resume {first.stem[:8]})\n"
        "A fresh start.\n"
    )
    assert export.read_text().splitlines()[:7] == [f"# ask-redis session {first.stem}", "", "**You:**", "", "what is pipelining?", "",
                                                    "**ask-redis:**"]
    assert [texts(m) for m in standin.requests[1]["messages"]] == [["hello again"]]


def test_live_redis_set_and_dropped(tmp_path, redis_standalone):  # noqa: F811
    url = redis_standalone.url()
    responses = [sse([text("Connected answer.")], "end_turn"), sse([text("Offline answer.")], "end_turn")]
    with StandIn(responses=responses) as standin:
        result = chat(f"/redis {url}\n/redis\nhow is memory?\n/redis off\nand now?\n", standin, cwd=tmp_path)
    shown = f"redis://:[REDACTED]@127.0.0.1:{redis_standalone.port}/0"
    assert result.stdout == (
        f"redis: {shown} (Redis 7.0.15, standalone; read-only)\n"
        f"redis: {shown} (read-only)\n"
        "Connected answer.\n"
        "redis: none; the live Redis tools are off\n"
        "Offline answer.\n"
    ), result.stderr
    with_redis, without = standin.requests
    live_tools = {t["name"] for t in with_redis["tools"]} - {t["name"] for t in without["tools"]}
    assert {"redis_overview", "redis_command", "redis_keyspace"} <= live_tools
    assert shown in with_redis["system"][0]["text"] and "No Redis URL" in without["system"][0]["text"]
    assert PASSWORD not in json.dumps(standin.requests) + result.stdout + result.stderr


def test_no_api_key_still_offers_the_offline_review(tmp_path):
    repo = workspace(tmp_path)
    result = chat("is my cache ok?\n/review\n/review nowhere\n", cwd=repo, key=None)
    assert result.stderr.splitlines() == [
        f"ask-redis: no API key: set ANTHROPIC_API_KEY (or api_key in {tmp_path / 'xdg-config' / 'ask-redis' / 'config.toml'}) to chat; "
        "create a key at https://console.anthropic.com/settings/keys; /review works without one",
        "ask-redis: the report is part of the conversation now: ask about any finding",
        "ask-redis: nowhere: no such file or directory",
    ]
    assert result.stdout.startswith("ask-redis review ")
    assert re.search(r"^shop/cache\.py:29:\d+ high +keys-command ", result.stdout, re.M)
    assert result.returncode == 1
    [saved] = saved_sessions()
    [message] = saved_messages(saved)
    assert message["role"] == "user" and message["content"][0]["text"].startswith(f"[Report of the offline checks (/review {repo})")


def test_a_crash_loses_at_most_the_turn_in_flight(tmp_path):
    responses = [sse([text("Answer one.")], "end_turn"), sse([text("Answer two.")], "end_turn"),
                 sse([text(" ".join(["slow"] * 400))], "end_turn")]
    with StandIn(responses=responses, chunk_delay=0.05) as standin:
        process = subprocess.Popen(ASK_REDIS + ["--model", MODEL], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                                   env=clean_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=standin.url))
        process.stdin.write("one\ntwo\nthree\n")
        process.stdin.flush()
        assert process.stdout.readline() == "Answer one.\n"
        assert process.stdout.readline() == "Answer two.\n"
        assert process.stdout.read(4) == "slow"  # the third answer is streaming
        process.kill()
        process.wait(timeout=30)
        process.stdout.close(), process.stderr.close(), process.stdin.close()
    [saved] = saved_sessions()
    messages = saved_messages(saved)
    assert [texts(m) for m in messages] == [["one"], ["Answer one."], ["two"], ["Answer two."]]
    assert not list(sessions_dir().glob(".*.tmp"))


def test_a_resumed_session_near_the_window_is_compacted_before_the_next_question(tmp_path):
    responses = [sse([text("A long answer.")], "end_turn", input_tokens=100_000, cache_read=80_000),
                 sse([text("- earlier: one long question and answer")], "end_turn"),
                 sse([text("Short answer.")], "end_turn")]
    with StandIn(responses=responses) as standin:
        chat("first question\n", standin, cwd=tmp_path)
        [saved] = saved_sessions()
        assert json.loads(saved.read_text().splitlines()[0])["context"] == 180_090
        result = chat("second question\n", standin, args=["--continue"], cwd=tmp_path)
    assert result.stdout == "Short answer.\n"
    assert result.stderr.splitlines()[1:] == [
        "ask-redis: the conversation is near the context window (180k of 200k tokens): compacting older turns into a summary",
        "ask-redis: compacted 2 earlier messages into a summary; kept the last 0",
    ]
    assert [texts(m) for m in standin.requests[2]["messages"]] == [
        [f"{compact.SUMMARY_HEADING}\n\n- earlier: one long question and answer", "second question"]]
