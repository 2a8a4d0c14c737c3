"""Streams that break mid-answer are retried like failed requests: the replayed transcripts, checked for what
the reader sees and for what the API is sent next (never the partial message)."""

import json

import pytest

from tests.transcript_kit import TRANSCRIPTS, replay

RETRIED = {  # transcript -> (requests sent, how many of them were retries)
    "stream-cut": (2, 1),
    "stream-cut-json": (3, 1),
    "stream-reset-after-first-delta": (2, 1),
    "error-event-overloaded": (2, 1),
    "error-event-api-error": (2, 1),
    "three-cuts-then-ok": (4, 3),
    "cut-for-good": (5, 4),
}


def run(name, tmp_path, monkeypatch, capsys, respx_mock):
    return replay(TRANSCRIPTS / f"{name}.json", tmp_path, monkeypatch, capsys, respx_mock)


@pytest.mark.parametrize("name", sorted(RETRIED))
def test_a_retry_sends_the_same_history_without_the_partial_message(name, tmp_path, monkeypatch, capsys, respx_mock):
    _, out, err, replayer = run(name, tmp_path, monkeypatch, capsys, respx_mock)
    sent, retries = RETRIED[name]
    assert len(replayer.sent) == sent
    retried = replayer.sent[-retries - 1:]
    assert all(body == retried[0] for body in retried), "a retry changed the request"
    assert retried[0]["messages"][-1]["role"] == "user"  # nothing of the broken answer was added
    if "--json" not in replayer.data["session"]["argv"]:  # text mode says each retry on stderr, stream-json as an event
        assert (err + out).count("; retrying in ") == retries


def test_text_mode_marks_the_abandoned_text_and_prints_the_whole_answer(tmp_path, monkeypatch, capsys, respx_mock):
    code, out, err, _ = run("stream-cut", tmp_path, monkeypatch, capsys, respx_mock)
    assert code == 0
    assert out == ("Start from your working set.\n"
                   "Start from your working set (INFO memory: used_memory_dataset), then add 25% headroom for "
                   "fragmentation and replication buffers.\n")
    [notice] = err.splitlines()
    assert notice.startswith("ask-redis: the answer stream broke midway (connection error: ")
    assert notice.endswith("; the partial answer above is abandoned; retrying in 0.0 s (1/4)")


def test_json_reader_sees_one_clean_result_with_the_tool_turn_kept(tmp_path, monkeypatch, capsys, respx_mock):
    code, out, err, replayer = run("stream-cut-json", tmp_path, monkeypatch, capsys, respx_mock)
    assert code == 0 and err == ""
    [line] = out.splitlines()
    result = json.loads(line)
    assert result["subtype"] == "success" and result["num_turns"] == 2
    assert result["result"].startswith("`shop/cache.py:14`") and "Sessions look fine" not in result["result"]
    retried = replayer.sent[2]["messages"]
    assert [m["role"] for m in retried] == ["user", "assistant", "user"]  # the tool turn, its results, no partial
    assert {block["type"] for block in retried[-1]["content"]} == {"tool_result"}


def test_stream_json_gets_a_notice_event_and_one_session(tmp_path, monkeypatch, capsys, respx_mock):
    code, out, err, _ = run("stream-reset-after-first-delta", tmp_path, monkeypatch, capsys, respx_mock)
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and err == ""
    retries = [e for e in events if e["type"] == "system" and e["subtype"] == "api_retry"]
    assert len(retries) == 1 and "Connection reset by peer" in retries[0]["error"]
    assert retries[0]["attempt"] == 1 and retries[0]["max_retries"] >= 1
    assert events[0]["type"] == "system" and events[0]["subtype"] == "init" and events[-1]["type"] == "result"
    assert events[0]["session_id"] == events[-1]["session_id"] and events[-1]["subtype"] == "success"


def test_a_non_retryable_error_event_ends_the_run_with_its_message(tmp_path, monkeypatch, capsys, respx_mock):
    code, out, err, replayer = run("error-event-invalid-request", tmp_path, monkeypatch, capsys, respx_mock)
    assert code == 1 and len(replayer.sent) == 1
    assert err.splitlines() == ["ask-redis: error: the API returned an error (invalid_request_error event in the answer "
                                "stream: messages.1.content: tool_use ids must be unique)"]


def test_a_cut_on_every_attempt_ends_in_one_error_line(tmp_path, monkeypatch, capsys, respx_mock):
    code, _, err, _ = run("cut-for-good", tmp_path, monkeypatch, capsys, respx_mock)
    lines = err.splitlines()
    assert code == 1
    assert [line for line in lines if line.startswith("ask-redis: error:")] == lines[-1:]
    assert lines[-1] == ("ask-redis: error: the answer stream broke midway (connection error: peer closed connection "
                         "without sending complete message body); the text above is incomplete")
    assert len(lines) == 5  # four retries said, then the error


def test_a_stream_that_ends_cleanly_before_message_stop_is_retried(tmp_path, monkeypatch, capsys, respx_mock):
    from ask_redis import cli
    from tests.author_transcripts import sse, text
    from tests.transcript_kit import http_response

    whole = sse([text("Use HSCAN.")], "end_turn")
    replies = iter([http_response({**whole, "sse": whole["sse"][:-2]}), http_response(whole)])  # no message_delta, no message_stop
    sent = []

    def answer(request):
        sent.append(json.loads(request.content))
        return next(replies)

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("ask_redis.model.retry_delay", lambda headers, attempt: 0.0)
    respx_mock.post("https://api.anthropic.com/v1/messages").mock(side_effect=answer)
    code = cli.main(["--model", "claude-sonnet-5-5", "is HGETALL safe?"])
    out, err = capsys.readouterr()
    assert code == 0 and out == "Use HSCAN.\nUse HSCAN.\n"
    assert err.splitlines() == ["ask-redis: the answer stream broke midway (the stream ended before its message_stop event); "
                                "the partial answer above is abandoned; retrying in 0.0 s (1/4)"]
    assert len(sent) == 2 and sent[0] == sent[1]
