"""Chat's parts in process: markdown block cutting, compaction's cut points, the session store, the no-key exit."""

from __future__ import annotations

import copy
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from ask_redis import chat, compact, session_store as store
from ask_redis.chat_render import stable_cut
from ask_redis.config import Settings
from ask_redis.conversation import Conversation
from ask_redis.model import ModelClient
from tests.author_transcripts import MODEL, sse, text
from tests.fixtures_chat import assert_valid_history
from tests.standin import StandIn


@pytest.mark.parametrize("streamed, finished", [
    ("One paragraph still being wri", ""),
    ("Done paragraph.\n\nNext one", "Done paragraph.\n\n"),
    ("```python\nx = 1\n\ny = 2\n", ""),  # a blank line inside a fence does not end a block
    ("```python\nx = 1\n\ny = 2\n```\n\nAfter", "```python\nx = 1\n\ny = 2\n```\n\n"),
    ("- a\n- b\n\n- c\n\n", "- a\n- b\n\n- c\n\n"),
    ("Trailing blank without newline\n\n  ", "Trailing blank without newline\n\n"),
])
def test_stable_cut_keeps_unfinished_blocks_live(streamed, finished):
    assert streamed[:stable_cut(streamed)] == finished


def tool_round(n: int) -> list[dict]:
    uses = [{"type": "tool_use", "id": f"t{n}_{i}", "name": "Read", "input": {"file_path": f"f{i}"}} for i in range(2)]
    return [{"role": "assistant", "content": [{"type": "text", "text": f"looking {n}"}, *uses]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": u["id"], "content": "x" * 50} for u in uses]}]


def history_from(shape: list[int], interrupted: set[int]) -> list[dict]:
    """One turn per entry: a question, `rounds` tool rounds, an answer; some turns cancelled and noted."""
    conversation = Conversation()
    messages = conversation.messages
    for turn, rounds in enumerate(shape):
        conversation.add_user(f"question {turn}")
        for r in range(rounds):
            messages.extend(tool_round(turn * 10 + r))
        if turn in interrupted:
            conversation.add_user(chat.INTERRUPTED)
        else:
            messages.append({"role": "assistant", "content": [{"type": "text", "text": f"answer {turn}"}]})
    return messages


@pytest.fixture(scope="module")
def summariser():
    with StandIn() as standin:
        yield ModelClient(Settings(api_key="k", base_url=standin.url, model=MODEL, max_retries=0)), standin


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.lists(st.integers(0, 3), min_size=1, max_size=6), interrupted=st.sets(st.integers(0, 5)))
def test_compaction_never_splits_a_tool_pair(summariser, shape, interrupted):
    model, standin = summariser
    standin.responses.append(sse([text("- summary")], "end_turn"))
    original = history_from(shape, interrupted)
    assert_valid_history(original)
    conversation = Conversation(messages=copy.deepcopy(original))
    done = compact.compact(conversation, model)
    after = conversation.messages
    assert_valid_history(after)
    assert after[0]["role"] == "user" and after[0]["content"][0]["text"] == f"{compact.SUMMARY_HEADING}\n\n- summary"
    kept = original[done.summarised:]
    assert done.kept == len(kept)
    if kept:  # the kept turns are the original's tail, untouched but for the summary in front
        assert after[0]["content"][1:] == kept[0]["content"] and after[1:] == kept[1:]
        assert len(compact.turn_starts(kept)) == compact.KEEP_TURNS
    prompt = standin.requests[-1]["messages"][0]["content"][0]["text"]
    summarised = [f"{m['role'].upper()}: {b['text']}" for m in original[:done.summarised] for b in m["content"] if b["type"] == "text"]
    assert all(line in prompt for line in summarised)
    assert not any(f"USER: {b['text']}" in prompt for m in kept for b in m["content"] if b["type"] == "text" and b["text"] != chat.INTERRUPTED)


def test_empty_history_has_nothing_to_compact():
    with pytest.raises(compact.NothingToCompact):
        compact.compact(Conversation(), model=None)


def test_needs_compaction_at_eighty_percent():
    assert not compact.needs_compaction(159_999) and compact.needs_compaction(160_000)


def saved(conversation_id: str, workspace: str, text_: str) -> store.SessionInfo:
    conversation = Conversation(session_id=conversation_id, messages=[{"role": "user", "content": [{"type": "text", "text": text_}]}])
    info = store.SessionInfo(id=conversation_id, created=0, updated=0, workspace=workspace)
    store.save(conversation, info)
    return info


def test_store_finds_by_prefix_and_refuses_ambiguity(tmp_path):
    saved("aaaa1111-0000", "/w1", "first")
    saved("aaaa2222-0000", "/w2", "second")
    assert store.find("aaaa1").id == "aaaa1111-0000"
    assert store.load(store.find("aaaa2222-0000")).messages[0]["content"][0]["text"] == "second"
    with pytest.raises(store.StoreError, match=r"^'aaaa' matches 2 sessions: aaaa2222, aaaa1111; give more of the id$"):
        store.find("aaaa")
    with pytest.raises(store.StoreError, match=r"^no saved session matches 'bbbb'"):
        store.find("bbbb")
    with pytest.raises(store.StoreError, match=r"^not a session id: '\.\./etc'$"):
        store.find("../etc")
    assert store.latest("/w1").id == "aaaa1111-0000" and store.latest("/w3") is None
    assert [i.title for i in store.list_sessions()] == ["second", "first"]  # newest first


def test_damaged_session_is_one_line(tmp_path):
    info = saved("cccc3333-0000", "/w", "hello")
    with info.path.open("a") as handle:
        handle.write("{not json\n")
    with pytest.raises(store.StoreError, match=r"^session cccc3333 is damaged: line 3 is not JSON"):
        store.load(store.find("cccc"))


def test_save_is_atomic_and_private(tmp_path):
    info = saved("dddd4444-0000", "/w", "hello")
    assert oct(os.stat(info.path).st_mode & 0o777) == "0o600"
    assert [p.name for p in info.path.parent.iterdir()] == ["dddd4444-0000.jsonl"]  # no temporary left behind
    header = json.loads(info.path.read_text().splitlines()[0])
    assert header["title"] == "hello" and header["messages"] == 1


def test_no_key_and_no_review_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(chat, "review_available", lambda: False)
    code = chat.run(Settings(repo=tmp_path), resume=None, continue_latest=False)
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err == (f"ask-redis: no API key: set ANTHROPIC_API_KEY (or api_key in {tmp_path / 'xdg-config' / 'ask-redis' / 'config.toml'}) "
                            "to chat; create a key at https://console.anthropic.com/settings/keys\n")
