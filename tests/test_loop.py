"""The loop's contract, checked directly: caching, ordering, tool failures, cancellation, cost, model names."""

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import BaseModel

from ask_redis import loop
from ask_redis.conversation import Conversation
from ask_redis.events import Final, ToolCall, ToolResult, TurnUsage, Usage
from ask_redis.model import PRICES, cost_usd, resolve_model
from ask_redis.tools import Tool, ToolContext, ToolError, run_tool
from ask_redis.transcript import Replayer
from tests.standin import StandIn
from tests.author_transcripts import sse, text, tool
from tests.fixtures_redis import start_server


class EchoInput(BaseModel):
    word: str


class Echo(Tool):
    name, description, Input = "Echo", "Echo a word.", EchoInput

    def run(self, input, ctx):
        if input.word == "fail":
            raise ToolError("echo refused: fail is not a word")
        if input.word == "crash":
            raise RuntimeError("boom")
        return f"echo {input.word} redis://:s3cret-pass@db:6379"


def message(blocks, stop_reason, input_tokens=100, output_tokens=10):
    content = [SimpleNamespace(**b) for b in blocks]
    return SimpleNamespace(content=content, stop_reason=stop_reason,
                           usage=SimpleNamespace(input_tokens=input_tokens, output_tokens=output_tokens,
                                                 cache_creation_input_tokens=0, cache_read_input_tokens=50))


class ScriptedModel:
    """Stands in for ModelClient: returns the given messages in order and keeps each request body."""

    model, max_tokens = "claude-sonnet-5-5", 1000

    def __init__(self, *messages):
        self.messages, self.bodies = list(messages), []

    def call(self, body):
        self.bodies.append(json.loads(json.dumps(body)))
        return self.messages.pop(0)
        yield  # a generator, like the real client


def run_loop(model, tools=(Echo(),), max_turns=10, tmp_path=Path(".")):
    conversation = Conversation()
    conversation.add_user("hi")
    events = list(loop.run(conversation, model, list(tools), ToolContext(workspace=tmp_path), "SYSTEM", max_turns))
    return conversation, events


def tool_use(id, name, **input):
    return {"type": "tool_use", "id": id, "name": name, "input": input}


def test_parallel_calls_answered_once_each_in_order_and_failures_become_errors(tmp_path):
    model = ScriptedModel(
        message([tool_use("a", "Echo", word="one"), tool_use("b", "Echo", word="fail"), tool_use("c", "Echo", word="crash"),
                 tool_use("d", "Nope"), tool_use("e", "Echo", wrong=1)], "tool_use"),
        message([{"type": "text", "text": "done"}], "end_turn"),
    )
    conversation, events = run_loop(model, tmp_path=tmp_path)
    results = conversation.messages[2]["content"]
    assert [r["tool_use_id"] for r in results] == ["a", "b", "c", "d", "e"]
    assert [r.get("is_error", False) for r in results] == [False, True, True, True, True]
    assert results[0]["content"] == "echo one redis://:[REDACTED]@db:6379"
    assert results[1]["content"] == "echo refused: fail is not a word"
    assert "RuntimeError('boom')" in results[2]["content"]
    assert results[3]["content"].startswith("Unknown tool 'Nope'")
    assert results[4]["content"].startswith("Invalid input for Echo: word: Field required")
    assert [e.id for e in events if isinstance(e, ToolCall)] == ["a", "b", "c", "d", "e"]
    assert events[-1].subtype == "success" and events[-1].result == "done"


def test_cache_breakpoints_on_tools_system_and_last_user_turn(tmp_path):
    model = ScriptedModel(message([tool_use("a", "Echo", word="x")], "tool_use"), message([{"type": "text", "text": "ok"}], "end_turn"))
    run_loop(model, tmp_path=tmp_path)
    for body in model.bodies:
        assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
        assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
        marked = [b for m in body["messages"] for b in m["content"] if "cache_control" in b]
        assert len(marked) == 1 and marked[0] is body["messages"][-1]["content"][-1]
    second = model.bodies[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]  # the full history every turn


def test_history_is_not_mutated_by_cache_markers(tmp_path):
    model = ScriptedModel(message([{"type": "text", "text": "ok"}], "end_turn"))
    conversation, _ = run_loop(model, tmp_path=tmp_path)
    assert "cache_control" not in json.dumps(conversation.messages)


def test_usage_and_cost_per_turn_and_session(tmp_path):
    model = ScriptedModel(message([tool_use("a", "Echo", word="x")], "tool_use", 1000, 100),
                          message([{"type": "text", "text": "ok"}], "end_turn", 2000, 200))
    _, events = run_loop(model, tmp_path=tmp_path)
    turns = [e for e in events if isinstance(e, TurnUsage)]
    assert [t.usage.input_tokens for t in turns] == [1000, 2000]
    first = (1000 * 3 + 50 * 0.1 * 3 + 100 * 15) / 1e6
    assert turns[0].cost_usd == pytest.approx(first)
    final = events[-1]
    assert final.usage == Usage(input_tokens=3000, output_tokens=300, cache_read_input_tokens=100)
    assert final.total_cost_usd == pytest.approx(sum(t.cost_usd for t in turns))


def test_max_turns_stops_the_loop(tmp_path):
    model = ScriptedModel(*[message([tool_use(f"t{i}", "Echo", word="x")], "tool_use") for i in range(3)])
    conversation, events = run_loop(model, max_turns=3, tmp_path=tmp_path)
    assert events[-1].subtype == "error_max_turns" and events[-1].num_turns == 3
    assert conversation.messages[-1]["role"] == "user"  # every tool_use answered


def test_cancelling_mid_tools_leaves_no_tool_use_without_result(tmp_path):
    model = ScriptedModel(message([tool_use("a", "Echo", word="x"), tool_use("b", "Echo", word="y")], "tool_use"))
    conversation = Conversation()
    conversation.add_user("hi")
    events = loop.run(conversation, model, [Echo()], ToolContext(workspace=tmp_path), "S", 5)
    for event in events:
        if isinstance(event, ToolCall):
            break
    events.close()  # what Ctrl-C does in a front-end
    answered = conversation.messages[-1]["content"]
    assert [r["tool_use_id"] for r in answered] == ["a", "b"]
    assert all(r["is_error"] and "cancelled" in r["content"] for r in answered)
    conversation.add_user("next question")
    assert conversation.messages[-1]["content"][-1]["text"] == "next question"


@pytest.mark.parametrize("stop, subtype", [("max_tokens", "error_max_tokens"), ("refusal", "error_refusal"),
                                           ("model_context_window_exceeded", "error_context_window")])
def test_tools_in_a_stopped_message_are_never_run(stop, subtype, tmp_path):
    ran = []

    class Spy(Echo):
        def run(self, input, ctx):
            ran.append(input.word)
            return "ran"

    model = ScriptedModel(message([{"type": "text", "text": "partial"}, tool_use("a", "Echo", word="x")], stop))
    conversation, events = run_loop(model, tools=[Spy()], tmp_path=tmp_path)
    assert ran == [] and events[-1].subtype == subtype and events[-1].is_error
    assert conversation.messages[-1]["content"][0]["tool_use_id"] == "a"


def test_unknown_stop_reason_is_an_error_not_success(tmp_path):
    _, events = run_loop(ScriptedModel(message([{"type": "text", "text": "?"}], "something_new")), tmp_path=tmp_path)
    assert events[-1].subtype == "error_api" and "something_new" in events[-1].result


def test_aliases_resolve_to_the_newest_listed_model():
    assert resolve_model("sonnet").startswith("claude-sonnet-")
    assert resolve_model("opus").startswith("claude-opus-")
    assert resolve_model("haiku").startswith("claude-haiku-")
    assert resolve_model("claude-sonnet-4-5-20250929") == "claude-sonnet-4-5-20250929"
    from typing import get_args
    from anthropic.types import ModelParam
    listed = [v for a in get_args(ModelParam) for v in get_args(a) if isinstance(v, str)]
    sonnets = [m for m in listed if m.startswith("claude-sonnet-")]
    newest = resolve_model("sonnet")
    key = lambda m: tuple(int(p) for p in m.removeprefix("claude-sonnet-").split("-") if len(p) < 8)
    assert all(key(m) <= key(newest) for m in sonnets)


def test_every_model_family_has_a_price():
    for family in ("claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-4-1"):
        assert cost_usd(family, Usage(input_tokens=1_000_000)) > 0
    assert cost_usd("claude-opus-4-1", Usage(output_tokens=1_000_000)) == 75.0
    assert cost_usd("unknown-model", Usage(input_tokens=10)) == 0.0


def test_record_writes_a_transcript_that_replays_and_holds_no_key(tmp_path):
    responses = [sse([text("Looking."), tool("Glob", pattern="*.py")], "tool_use"), sse([text("Use SCAN.")], "end_turn")]
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("import redis\n")
    record = tmp_path / "session.json"
    env = {"ANTHROPIC_API_KEY": "sk-ant-record-secret-1", "PATH": "/usr/bin:/bin"}
    server = start_server(tmp_path / "redis", password="pw-in-url-9")
    try:
        with StandIn(responses=[dict(r) for r in responses]) as standin:
            env["ANTHROPIC_BASE_URL"] = standin.url
            result = subprocess.run([sys.executable, "-m", "ask_redis", "--model", "claude-sonnet-5-5", "--record", str(record),
                                     "--redis-url", server.url(), "is KEYS ok?"],
                                    cwd=repo, env=env, capture_output=True, text=True, timeout=60)
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    saved = record.read_text()
    assert "sk-ant-record-secret-1" not in saved and "pw-in-url-9" not in saved
    data = json.loads(saved)
    assert data["session"]["prompt"] == "is KEYS ok?" and len(data["exchanges"]) == 2
    assert data["exchanges"][1]["response"]["sse"][-1]["event"] == "message_stop"
    replayer = Replayer(record, workspace=str(repo))
    for body in standin.requests:
        replayer.next_response(body)
    replayer.assert_done()


def test_a_crashing_tool_prints_no_traceback_unless_verbose(tmp_path, capsys):
    from ask_redis.cli import setup_logging

    for verbose in (False, True):
        setup_logging(verbose)
        outcome = run_tool({"Echo": Echo()}, "Echo", {"word": "crash"}, ToolContext(workspace=tmp_path))
        assert outcome.is_error
        err = capsys.readouterr().err
        assert ("Traceback" in err) is verbose


def test_retry_delay_honours_the_servers_retry_after():
    from ask_redis.model import retry_delay

    assert retry_delay({"retry-after": "3"}, 1) == 3.0
    assert retry_delay({"retry-after-ms": "250", "retry-after": "9"}, 1) == 0.25
    assert retry_delay({"retry-after": "86400"}, 1) == 60.0
    assert 0.4 <= retry_delay({}, 1) <= 0.5 and 3.2 <= retry_delay({}, 4) <= 4.0
    assert retry_delay({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 2) <= 1.0  # unparsable: backoff
