"""The CLI as a user runs it: a subprocess against a loopback stand-in of the Messages API."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ask_redis.transcript import Replayer
from tests.standin import StandIn
from tests.transcript_kit import TRANSCRIPTS

ASK_REDIS = [sys.executable, "-m", "ask_redis"]


def run(args, env=None, cwd=None, stdin=None, timeout=60):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "REDIS_URL", "ASK_REDIS"))}
    full_env.update(env or {})
    return subprocess.run(ASK_REDIS + args, env=full_env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout)


def workspace(tmp_path):
    target = tmp_path / "workspace"
    shutil.copytree(TRANSCRIPTS / "fixtures" / "shop", target)
    return target


def replay_over_loopback(name, tmp_path, extra_args=()):
    path = TRANSCRIPTS / f"{name}.json"
    data = json.loads(path.read_text())
    repo = workspace(tmp_path)
    with StandIn(Replayer(path, workspace=str(repo))) as standin:
        result = run([*data["session"]["argv"][:-1], *extra_args, data["session"]["argv"][-1]], cwd=repo,
                     env={"ANTHROPIC_API_KEY": "sk-ant-test-key-123", "ANTHROPIC_BASE_URL": standin.url})
    assert not standin.errors, standin.errors
    standin.replayer.assert_done()
    return result, standin


def test_streamed_review_over_loopback(tmp_path):
    result, standin = replay_over_loopback("review-streamed", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "shop/cache.py:29" in result.stdout and "scan_iter" in result.stdout
    assert len(standin.requests) == 3 and all(r["stream"] for r in standin.requests)
    assert "Traceback" not in result.stderr


def test_json_review_over_loopback_has_claude_fields(tmp_path):
    result, standin = replay_over_loopback("review-json", tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for field in ("type", "subtype", "result", "is_error", "num_turns", "session_id", "duration_ms", "total_cost_usd", "usage", "stop_reason"):
        assert field in out
    assert out["type"] == "result" and out["subtype"] == "success" and out["is_error"] is False
    assert out["num_turns"] == 2 and out["stop_reason"] == "end_turn"
    assert set(out["usage"]) >= {"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}
    assert out["usage"]["input_tokens"] == 2400 and out["usage"]["output_tokens"] == 180
    assert out["total_cost_usd"] == pytest.approx((2400 * 3 + 180 * 15) / 1e6)
    assert not any(r.get("stream") for r in standin.requests)


def test_stream_cut_over_a_real_socket_is_retried(tmp_path):
    result, standin = replay_over_loopback("stream-cut", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Start from your working set." in result.stdout and "25% headroom" in result.stdout
    [notice] = result.stderr.strip().splitlines()
    assert notice.startswith("ask-redis: the answer stream broke midway") and "abandoned; retrying" in notice
    assert len(standin.requests) == 2 and standin.requests[0] == standin.requests[1]


def test_stream_json_is_one_event_per_line(tmp_path):
    result, _ = replay_over_loopback("review-streamed", tmp_path, extra_args=("--output-format", "stream-json"))
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "system" and events[0]["subtype"] == "init" and kinds[-1] == "result"
    tool_uses = [b for e in events if e["type"] == "assistant" for b in e["message"]["content"] if b["type"] == "tool_use"]
    assert len(tool_uses) == kinds.count("user") == 4


def test_unreachable_api_is_one_line(tmp_path):
    result = run(["--model", "claude-sonnet-5-5", "hello"], cwd=tmp_path,
                 env={"ANTHROPIC_API_KEY": "sk-ant-secret-value-9", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("ask-redis: error: ") and "Traceback" not in result.stderr
    assert "sk-ant-secret-value-9" not in result.stderr + result.stdout


def test_rejected_key_is_one_line(tmp_path):
    responses = [{"status": 401, "json": {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}}]
    with StandIn(responses=responses) as standin:
        result = run(["--model", "claude-sonnet-5-5", "hello"], cwd=tmp_path,
                     env={"ANTHROPIC_API_KEY": "sk-ant-wrong-key-77", "ANTHROPIC_BASE_URL": standin.url})
    assert result.returncode == 1
    assert result.stderr.strip() == "ask-redis: error: the API key was rejected; check ANTHROPIC_API_KEY (HTTP 401: invalid x-api-key)"
    assert "sk-ant-wrong-key-77" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--repo", "/no/such/dir", "hi"], "--repo /no/such/dir: not a directory"),
    (["--max-turns", "0", "hi"], "--max-turns: Input should be greater than or equal to 1"),
    (["   "], "the prompt is empty"),
])
def test_usage_errors_exit_2_with_one_line(args, message, tmp_path):
    result = run(args, cwd=tmp_path, env={"ANTHROPIC_API_KEY": "k"})
    assert result.returncode == 2
    assert result.stderr.strip() == f"ask-redis: {message}"


def test_bad_flag_is_a_usage_error(tmp_path):
    result = run(["--no-such-flag"], cwd=tmp_path)
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr


def test_prompt_from_stdin(tmp_path):
    responses = [{"status": 200, "json": {"id": "m1", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5",
                  "content": [{"type": "text", "text": "Use a sorted set."}], "stop_reason": "end_turn", "stop_sequence": None,
                  "usage": {"input_tokens": 10, "output_tokens": 5}}}]
    with StandIn(responses=responses) as standin:
        result = run(["--no-stream", "--model", "haiku", "-"], cwd=tmp_path, stdin="leaderboard?\n",
                     env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": standin.url})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Use a sorted set.\n"
    assert standin.requests[0]["messages"][0]["content"][0]["text"] == "leaderboard?\n"
    assert standin.requests[0]["model"].startswith("claude-haiku-")


def test_help_does_not_import_the_sdk():
    code = "import sys\nfrom ask_redis import cli\ntry:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('anthropic', 'pydantic', 'httpx2', 'redis', 'rich')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "usage: ask-redis" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_api_key_never_in_the_request_body(tmp_path):
    result, standin = replay_over_loopback("review-streamed", tmp_path)
    assert "sk-ant-test-key-123" not in json.dumps(standin.requests)
    # the fixture's .env holds a Redis password: tool results carry it redacted, if at all
    assert "hunter2-canary" not in json.dumps(standin.requests)


def test_no_api_key_falls_back_to_the_offline_review(tmp_path):
    repo = workspace(tmp_path)
    result = run(["review my cache layer"], cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[0].startswith("ask-redis: no API key: set ANTHROPIC_API_KEY")
    assert re.search(r"^shop/cache\.py:29:\d+ high +keys-command ", result.stdout, re.M)
    assert "\nchecklist\n" in result.stdout


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_an_unreachable_redis_stops_the_run_before_any_api_call(output_format, tmp_path):
    from tests.fixtures_redis import free_port

    url = f"redis://:pw-never-shown-5@127.0.0.1:{free_port()}/0?connect_timeout=1"
    with StandIn(responses=[]) as standin:
        result = run(["--output-format", output_format, "--redis-url", url, "why is it slow?"], cwd=tmp_path,
                     env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": standin.url})
    assert standin.requests == []
    assert result.returncode == 1
    assert "pw-never-shown-5" not in result.stdout + result.stderr
    if output_format == "json":
        out = json.loads(result.stdout)
        assert out["subtype"] == "error_during_execution" and out["ask_redis_subtype"] == "error_setup" and out["result"].startswith("--redis-url: cannot use redis://:[REDACTED]@127.0.0.1:")
    else:
        assert result.stdout == ""
        assert result.stderr.strip().startswith("ask-redis: error: --redis-url: cannot use redis://:[REDACTED]@127.0.0.1:")
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_reachable_redis_is_checked_once_and_the_run_goes_on(tmp_path):
    from tests.fixtures_redis import start_server

    server = start_server(tmp_path / "redis", password="pw-ok-6")
    try:
        responses = [{"status": 200, "json": {"id": "m1", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5",
                      "content": [{"type": "text", "text": "Looks fine."}], "stop_reason": "end_turn", "stop_sequence": None,
                      "usage": {"input_tokens": 10, "output_tokens": 5}}}]
        with StandIn(responses=responses) as standin:
            result = run(["--no-stream", "--model", "claude-sonnet-5-5", "--redis-url", server.url(), "check it"], cwd=tmp_path,
                         env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": standin.url})
        assert result.returncode == 0, result.stderr
        assert result.stdout == "Looks fine.\n"
        assert "redis_overview" in [t["name"] for t in standin.requests[0]["tools"]]
    finally:
        server.stop()


def test_a_home_directory_workspace_gets_a_note(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    result = run(["review"], cwd=home, env={"HOME": str(home)})
    assert f"ask-redis: note: the workspace is {home}" not in result.stderr  # the review subcommand has its own path rules
    result = run(["--json", "hi"], cwd=home, env={"HOME": str(home)})
    assert f"ask-redis: note: the workspace is {home}, so the tools can read everything below it" in result.stderr
    result = run(["--json", "hi"], cwd=tmp_path, env={"HOME": str(home)})
    assert "note: the workspace" not in result.stderr
