"""The real REPL in a real terminal (a tmux pane): keys in, the screen out, the API stand-in behind it."""

from __future__ import annotations

import re

import pytest

from tests.author_transcripts import sse, text, tool
from tests.fixtures_chat import (KEY, Terminal, assert_valid_history, needs_tmux, saved_messages, saved_sessions,
                                 workspace)
from tests.standin import StandIn

pytestmark = needs_tmux

LONG = " ".join(f"word{i}" for i in range(300))
BANNER = "Enter sends"


@pytest.fixture
def terminals():
    opened = []
    yield opened
    for terminal in opened:
        terminal.close()


def open_terminal(terminals, tmp_path, standin=None, args=(), cwd=None, height=40):
    env = {"ANTHROPIC_API_KEY": KEY, **({"ANTHROPIC_BASE_URL": standin.url} if standin else {})}
    terminal = Terminal(tmp_path, env, args=args, cwd=cwd, height=height)
    terminals.append(terminal)
    terminal.wait_for(BANNER, "the banner")
    terminal.prompt_ready()
    return terminal


def texts(message):
    return [block["text"] for block in message["content"] if block.get("type") == "text"]


def test_streaming_then_ctrl_c_cancels_the_turn_and_the_next_turn_works(tmp_path, terminals):
    responses = [sse([text(LONG)], "end_turn"), sse([text("The **next** answer works.")], "end_turn")]
    with StandIn(responses=responses, chunk_delay=0.05) as standin:
        term = open_terminal(terminals, tmp_path, standin)
        term.type("tell me everything")
        term.keys("Enter")
        screen = term.wait_for("word12 ", "the first words of the answer")
        assert "word299" not in screen  # shown while the stream is still coming
        term.keys("C-c")
        screen = term.wait_for("cancelled: the rest of this answer was dropped", "the cancel notice")
        assert "word299" not in screen and "Traceback" not in screen
        term.prompt_ready()
        term.type("and next?")
        term.keys("Enter")
        screen = term.wait_for("The next answer works.", "the next answer (markdown rendered: no asterisks)")
    assert len(standin.requests) == 2 and not standin.errors
    history = standin.requests[1]["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user"]
    partial = texts(history[1])[0]
    assert partial.startswith("word0 word1") and "word299" not in partial
    assert texts(history[2]) == ["[The user interrupted the answer above before it was complete.]", "and next?"]
    [saved] = saved_sessions()
    assert_valid_history(saved_messages(saved))
    assert texts(saved_messages(saved)[-1]) == ["The **next** answer works."]


def test_ctrl_c_while_a_tool_runs_answers_its_tool_use(tmp_path, terminals):
    slow = tool("Bash", command="sleep 30", description="wait a long time")
    responses = [sse([text("Checking the server."), slow], "tool_use"), sse([text("Fine, skipped.")], "end_turn")]
    with StandIn(responses=responses) as standin:
        term = open_terminal(terminals, tmp_path, standin)
        term.type("check it")
        term.keys("Enter")
        screen = term.wait_for('Bash(command="sleep 30")', "the running tool line")
        assert "Checking the server." in screen
        term.keys("C-c")
        term.wait_for('Checking the server.\n⏺ Bash(command="sleep 30")\n  ⎿ cancelled\n⏹ cancelled', "the cancelled tool and turn")
        term.prompt_ready()
        term.type("skip that")
        term.keys("Enter")
        term.wait_for("Fine, skipped.", "the next answer")
        term.prompt_ready()
        term.keys("C-o")
        term.wait_for('> skip that\nFine, skipped.\n\n⏺ Bash(command="sleep 30") (error)\nnot run: cancelled by the user',
                      "the last tool output on Ctrl-O")
    history = standin.requests[1]["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user"]
    assert_valid_history(history)
    result = history[2]["content"][0]
    assert result == {"type": "tool_result", "tool_use_id": slow["id"], "content": "not run: cancelled by the user", "is_error": True}
    assert texts(history[2])[-1] == "skip that"


def test_input_keys_paste_history_search_and_completion(tmp_path, terminals):
    repo = workspace(tmp_path)
    responses = [sse([text("First.")], "end_turn"), sse([text("Second.")], "end_turn"), sse([text("Third.")], "end_turn"),
                 sse([text("Fourth.")], "end_turn")]
    with StandIn(responses=responses) as standin:
        term = open_terminal(terminals, tmp_path, standin, cwd=repo)
        term.type("leaderboard question")
        term.keys("Enter")
        term.wait_for("First.", "the first answer")
        term.prompt_ready()
        term.type("line one")
        term.keys("Escape", "Enter")
        term.type("line two")
        term.keys("C-j")
        term.type("line three")
        term.wait_for("  line three", "three lines in the input")
        term.keys("Enter")
        term.wait_for("Second.", "the second answer")
        term.prompt_ready()
        term.paste("pasted one\npasted two\n")
        term.wait_for("  pasted two", "the paste in the input, not sent")
        assert "Third." not in term.screen()
        term.keys("Enter")
        term.wait_for("Third.", "the third answer")
        term.prompt_ready()
        term.keys("C-r")
        term.type("leader")
        term.keys("Enter")  # accept the search result into the input
        term.keys("Enter")  # send it
        term.wait_for("Fourth.", "the answer to the question found by Ctrl-R")
        term.prompt_ready()
        term.type("/co")
        term.wait_for("/cost", "the command completion menu")
        term.type("st")
        term.keys("Enter")
        term.wait_for("cache hits:", "the /cost output")
        term.prompt_ready()
        term.type("read shop/ca")
        term.wait_for(lambda screen: re.search(r"> read shop/ca\n +cache\.py\n", screen), "the path completion menu")
        term.keys("Tab")
        term.wait_for("read shop/cache.py", "the workspace path completion")
    asked = [texts(r["messages"][-1])[-1] for r in standin.requests]
    assert asked == ["leaderboard question", "line one\nline two\nline three", "pasted one\npasted two\n", "leaderboard question"]
    history_file = tmp_path / "xdg-data" / "ask-redis" / "history"
    assert history_file.stat().st_mode & 0o777 == 0o600
    history = history_file.read_text()
    assert "+line one\n+line two\n+line three" in history and "+/cost" in history


def test_banner_ctrl_d_and_continue_with_two_ctrl_c(tmp_path, terminals):
    args = ["--redis-url", "redis://:hunter2-banner-pw@127.0.0.1:1/0"]
    with StandIn(responses=[sse([text("Use **HSCAN**.")], "end_turn")]) as standin:
        term = open_terminal(terminals, tmp_path, standin, args=args)
        screen = term.screen()
        assert "claude-sonnet-5-5" in screen and f"workspace  {tmp_path.resolve()}" in screen
        assert "redis      redis://:[REDACTED]@127.0.0.1:1/0 (read-only)" in screen
        assert "sandbox    Bash runs in a bubblewrap sandbox" in screen
        term.type("big hash?")
        term.keys("Enter")
        term.wait_for("Use HSCAN.", "the answer")
        term.prompt_ready()
        term.keys("C-d")
        term.wait_for("[exit 0]", "a clean exit on Ctrl-D")
        [saved] = saved_sessions()
        again = open_terminal(terminals, tmp_path, standin, args=["--continue"])
        screen = again.wait_for("Use HSCAN.", "the resumed session's last answer")
        assert f"resumed session {saved.stem[:8]} (2 messages)" in screen and "> big hash?" in screen
        again.type("/clear")
        again.keys("Enter")
        again.wait_for(f"the previous one is saved (/resume {saved.stem[:8]})", "/clear")
        again.prompt_ready()
        again.type(f"/resume {saved.stem[:5]}")
        again.keys("Enter")
        screen = again.wait_for(f"resumed session {saved.stem[:8]} (2 messages): big hash?\n> big hash?\nUse HSCAN.", "/resume")
        again.prompt_ready()
        again.keys("C-c")
        again.wait_for("Ctrl-C again to exit", "the first Ctrl-C hint")
        assert "[exit" not in again.screen()
        again.keys("C-c")
        again.wait_for("[exit 0]", "the exit on the second Ctrl-C")
    assert "hunter2-banner-pw" not in term.screen() + again.screen()
