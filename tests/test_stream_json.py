"""stream-json and --json as parsers written for `claude -p` read them: the Claude Agent SDK's own message
parser takes every line of every authored transcript (each stop reason, tool errors, a retry, a refusal)."""

from __future__ import annotations

import json

import httpx  # httpx2, aliased in conftest
import pytest
from claude_agent_sdk import AssistantMessage, ResultMessage, StreamEvent, SystemMessage, UserMessage
from claude_agent_sdk.types import TextBlock, ToolResultBlock, ToolUseBlock
from claude_agent_sdk._internal.message_parser import parse_message

from ask_redis import cli
from ask_redis.transcript import Replayer
from tests.transcript_kit import (TRANSCRIPTS, http_response, live_redis, placeholders_for, session_argv,
                                  workspace_for)

PATHS = sorted(TRANSCRIPTS.glob("*.json"))
FORMAT_FLAGS = ("--output-format", "stream-json", "--json")


def without_format(argv: list[str]) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--output-format":
            skip = True
        elif arg != "--json":
            out.append(arg)
    return out


def run_transcript(path, tmp_path, monkeypatch, capsys, respx_mock, output: list[str]):
    """The transcript's session with another output format; the requests must still match the recording."""
    data = json.loads(path.read_text())
    workspace = workspace_for(data, tmp_path)
    server = live_redis(data, tmp_path)
    replayer = Replayer(path, workspace=str(workspace), placeholders=placeholders_for(server))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    for name, value in data["session"].get("env", {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workspace)
    monkeypatch.setattr("ask_redis.model.retry_delay", lambda headers, attempt: 0.0)
    respx_mock.post("https://api.anthropic.com/v1/messages").mock(
        side_effect=lambda request: http_response(replayer.next_response(json.loads(request.content))))
    argv = session_argv(data, server)
    try:
        code = cli.main([*output, *without_format(argv)])
    finally:
        if server:
            server.stop()
    out, err = capsys.readouterr()
    replayer.assert_done()
    return code, out, err, data


def parsed_lines(out: str) -> list:
    messages = []
    for line in out.splitlines():
        message = parse_message(json.loads(line))
        assert message is not None, f"the SDK skipped a line as unknown: {line[:200]}"
        messages.append(message)
    return messages


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_stream_json_line_parses_with_the_agent_sdk(path, tmp_path, monkeypatch, capsys, respx_mock):
    code, out, err, data = run_transcript(path, tmp_path, monkeypatch, capsys, respx_mock,
                                          ["--output-format", "stream-json", "--verbose"])
    assert code == data["expect"]["exit_code"], err
    messages = parsed_lines(out)
    init, result = messages[0], messages[-1]
    assert isinstance(init, SystemMessage) and init.subtype == "init"
    assert {"session_id", "cwd", "model", "tools", "mcp_servers"} <= set(init.data)
    assert isinstance(result, ResultMessage) and sum(isinstance(m, ResultMessage) for m in messages) == 1
    assert result.session_id == init.data["session_id"]
    assert result.is_error == (code != 0)
    assistants = [m for m in messages if isinstance(m, AssistantMessage)]
    failed_call = json.loads(out.splitlines()[-1])["ask_redis_subtype"] == "error_api"  # that call produced no message
    assert len(assistants) == result.num_turns - failed_call
    assert all(m.model == init.data["model"] and m.message_id and m.stop_reason for m in assistants)
    # every tool_use the model sent is answered by exactly one tool_result, after it, unless the run stopped there
    used = [b.id for m in assistants for b in m.content if isinstance(b, ToolUseBlock)]
    answered = [b.tool_use_id for m in messages if isinstance(m, UserMessage) for b in m.content
                if isinstance(b, ToolResultBlock)]
    assert answered == [i for i in used if i in answered] and len(set(answered)) == len(answered)
    if result.stop_reason == "tool_use" or result.subtype == "success":
        assert answered == used
    # usage sums over the assistant messages; the answer is the last turn's text
    assert result.usage["output_tokens"] == sum(m.usage["output_tokens"] for m in assistants)
    assert result.model_usage.get(init.data["model"], {}).get("outputTokens", 0) == result.usage["output_tokens"]
    if result.subtype == "success":
        last_tools = max([i for i, m in enumerate(assistants) if m.stop_reason == "tool_use"], default=-1)
        assert result.result == "".join(b.text for m in assistants[last_tools + 1:] for b in m.content if isinstance(b, TextBlock))
        assert result.stop_reason in ("end_turn", "stop_sequence")
    else:
        assert result.errors and result.is_error


EXPECTED = {  # transcript -> (Claude Code subtype, ask-redis subtype, stop_reason)
    "review-json": ("success", "success", "end_turn"),
    "stop-sequence": ("success", "success", "stop_sequence"),
    "max-turns": ("error_max_turns", "error_max_turns", None),
    "max-tokens": ("error_during_execution", "error_max_tokens", "max_tokens"),
    "refusal-with-tool": ("error_during_execution", "error_refusal", "refusal"),
    "context-window-exceeded": ("error_during_execution", "error_context_window", "model_context_window_exceeded"),
    "overloaded-for-good": ("error_during_execution", "error_api", None),
    "stream-cut": ("success", "success", "end_turn"),  # the cut is retried and the answer completes
    "cut-for-good": ("error_during_execution", "error_api", None),
    "error-event-invalid-request": ("error_during_execution", "error_api", None),
}


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_json_is_claude_codes_result_object(path, tmp_path, monkeypatch, capsys, respx_mock):
    code, out, err, data = run_transcript(path, tmp_path, monkeypatch, capsys, respx_mock, ["--json"])
    lines = out.splitlines()
    assert len(lines) == 1, out
    raw = json.loads(lines[0])
    result = parse_message(raw)
    assert isinstance(result, ResultMessage) and code == data["expect"]["exit_code"]
    name = path.stem
    if name not in EXPECTED:
        assert result.subtype == "success" and raw["ask_redis_subtype"] == "success" and not result.is_error
        return
    subtype, ours, stop = EXPECTED[name]
    assert (result.subtype, raw["ask_redis_subtype"], result.stop_reason) == (subtype, ours, stop)
    assert result.is_error == (subtype != "success") and code == (0 if subtype == "success" else 1)
    assert raw["schema_version"] == 2 and result.duration_api_ms <= result.duration_ms + 5
    if name == "max-tokens":  # the cut text stays the result; why it was cut is the error
        assert "allkeys-lru evicts" in result.result and "max_tokens" in result.errors[0]


def test_refusal_runs_none_of_the_refused_messages_tools(tmp_path, monkeypatch, capsys, respx_mock):
    _, out, _, _ = run_transcript(TRANSCRIPTS / "refusal-with-tool.json", tmp_path, monkeypatch, capsys, respx_mock,
                                  ["--output-format", "stream-json"])
    messages = parsed_lines(out)
    refused = [m for m in messages if isinstance(m, AssistantMessage)][-1]
    assert refused.stop_reason == "refusal" and any(isinstance(b, ToolUseBlock) for b in refused.content)
    assert not any(isinstance(m, UserMessage) for m in messages[messages.index(refused):])


def test_a_retry_is_claude_codes_api_retry_message(tmp_path, monkeypatch, capsys, respx_mock):
    _, out, _, _ = run_transcript(TRANSCRIPTS / "overloaded-then-ok.json", tmp_path, monkeypatch, capsys, respx_mock,
                                  ["--output-format", "stream-json"])
    retries = [m for m in parsed_lines(out) if isinstance(m, SystemMessage) and m.subtype == "api_retry"]
    assert retries and retries[0].data["error_status"] == 529 and retries[0].data["attempt"] == 1


def test_tool_errors_are_tool_results_with_is_error(tmp_path, monkeypatch, capsys, respx_mock):
    _, out, _, _ = run_transcript(TRANSCRIPTS / "tool-errors.json", tmp_path, monkeypatch, capsys, respx_mock,
                                  ["--output-format", "stream-json"])
    blocks = [b for m in parsed_lines(out) if isinstance(m, UserMessage) for b in m.content]
    assert len(blocks) >= 2 and all(b.is_error is True and b.content for b in blocks)  # each failure is told, the run goes on


def test_partial_messages_are_the_apis_stream_events(tmp_path, monkeypatch, capsys, respx_mock):
    _, out, _, _ = run_transcript(TRANSCRIPTS / "review-streamed.json", tmp_path, monkeypatch, capsys, respx_mock,
                                  ["--output-format", "stream-json", "--include-partial-messages"])
    messages = parsed_lines(out)
    events = [m.event for m in messages if isinstance(m, StreamEvent)]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start" and kinds.count("message_start") == kinds.count("message_stop") > 1
    streamed = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta")
    texts = "".join(b.text for m in messages if isinstance(m, AssistantMessage) for b in m.content if isinstance(b, TextBlock))
    assert streamed == texts and texts
    # a stop event is the API's, without the SDK's accumulated snapshot
    assert all(set(e) <= {"type", "index"} for e in events if e["type"] == "content_block_stop")
    # each turn's stream events come before that turn's assistant message
    first_assistant = next(i for i, m in enumerate(messages) if isinstance(m, AssistantMessage))
    assert isinstance(messages[first_assistant - 1], StreamEvent)


def test_without_the_flag_there_are_no_stream_events(tmp_path, monkeypatch, capsys, respx_mock):
    _, out, _, _ = run_transcript(TRANSCRIPTS / "review-streamed.json", tmp_path, monkeypatch, capsys, respx_mock,
                                  ["--output-format", "stream-json"])
    assert not any(isinstance(m, StreamEvent) for m in parsed_lines(out))
