"""The real REPL in a real terminal (a tmux pane): keys in, the screen out, the API stand-in behind it."""

from __future__ import annotations

import re
import time

import pytest

from tests.author_transcripts import sse, text, tool
from tests.fixtures_chat import (KEY, Terminal, assert_valid_history, needs_tmux, saved_messages, saved_sessions,
                                 workspace)
from tests.fixtures_redis import redis_standalone  # noqa: F401 (a fixture)
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
        screen = term.wait_for("redis      redis://:[REDACTED]@127.0.0.1:1/0  unreachable: ", "the Redis check in the banner")
        assert "Connection refused" in screen
        assert "sandbox    Bash runs in a bubblewrap sandbox" in term.wait_for("sandbox", "the sandbox line")
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
        screen = again.wait_for("[exit 0]", "the exit on the second Ctrl-C")
        assert f"resume this session with: ask-redis --continue (or --resume {saved.stem[:8]})" in screen
    assert "hunter2-banner-pw" not in term.screen() + again.screen()


# -- what a person notices first: an instant start, a screen that never garbles, failures that look like failures


PARAGRAPHS = "\n\n".join(f"Paragraph {n:02d} says something distinct about eviction and memory." for n in range(40))


def paragraph_counts(screen: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in screen.splitlines():
        for found in re.findall(r"Paragraph \d\d says", line):
            counts[found] = counts.get(found, 0) + 1
    return counts


def test_typing_half_a_second_after_start_gets_its_answer(tmp_path, terminals):
    with StandIn(responses=[sse([text("Answered the early question.")], "end_turn")]) as standin:
        term = Terminal(tmp_path, {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": standin.url})
        terminals.append(term)
        time.sleep(0.5)  # long before the SDK is imported: the keys must wait, unechoed, for the input line
        term.type("an early question")
        term.keys("Enter")
        screen = term.wait_for("Answered the early question.", "the answer to keys typed at 0.5 s")
    assert screen.count("an early question") == 1  # shown once, as the question: never echoed raw
    assert "> an early question" in screen
    assert [texts(r["messages"][-1])[-1] for r in standin.requests] == ["an early question"]


def test_typing_while_an_answer_streams_never_garbles_it(tmp_path, terminals):
    with StandIn(responses=[sse([text(PARAGRAPHS)], "end_turn")], chunk_delay=0.03) as standin:
        term = open_terminal(terminals, tmp_path, standin)
        term.type("stream it")
        term.keys("Enter")
        term.wait_for("Paragraph 03 says", "the first paragraphs")
        term.type("typed while it streams")
        screen = term.wait_for("Paragraph 39 says", "the whole answer")
        term.prompt_ready()
        screen = term.screen()
    counts = paragraph_counts(screen)
    assert sorted(counts) == [f"Paragraph {n:02d} says" for n in range(40)] and set(counts.values()) == {1}, counts
    assert screen.count("typed while it streams") == 1 and term.input_line() == "typed while it streams"
    assert not standin.errors and len(standin.requests) == 1


def test_ctrl_c_keeps_the_type_ahead_and_shows_no_line_twice(tmp_path, terminals):
    responses = [sse([text(PARAGRAPHS)], "end_turn"), sse([text("Second answer.")], "end_turn")]
    with StandIn(responses=responses, chunk_delay=0.1) as standin:  # still streaming when Ctrl-C comes, on a busy machine too
        term = open_terminal(terminals, tmp_path, standin)
        term.type("stream it")
        term.keys("Enter")
        term.wait_for("Paragraph 02 says", "the first paragraphs")
        term.type("my next question")
        time.sleep(0.3)
        term.keys("C-c")
        screen = term.wait_for("cancelled: the rest of this answer was dropped", "the cancel notice")
        assert term.input_line() == "my next question"  # the type-ahead survived the interrupt
        counts = paragraph_counts(screen)
        assert counts and set(counts.values()) == {1} and "Paragraph 39 says" not in counts, screen
        assert screen.count("my next question") == 1
        term.keys("Enter")
        screen = term.wait_for("Second answer.", "the answer to the type-ahead")
    assert set(paragraph_counts(screen).values()) == {1}
    assert texts(standin.requests[1]["messages"][-1])[-1] == "my next question"


def test_a_question_sent_while_an_answer_streams_is_queued_then_asked(tmp_path, terminals):
    responses = [sse([text(PARAGRAPHS)], "end_turn"), sse([text("The queued one, answered.")], "end_turn")]
    with StandIn(responses=responses, chunk_delay=0.03) as standin:
        term = open_terminal(terminals, tmp_path, standin)
        term.type("stream it")
        term.keys("Enter")
        term.wait_for("Paragraph 02 says", "the first paragraphs")
        term.type("and then this")
        term.keys("Enter")
        term.wait_for("queued: and then this", "the queued question under the answer")
        screen = term.wait_for("The queued one, answered.", "the queued question's answer")
    assert screen.index("Paragraph 39 says") < screen.index("> and then this") < screen.index("The queued one, answered.")
    assert "queued: and then this" not in screen
    assert texts(standin.requests[1]["messages"][-1])[-1] == "and then this"


def test_review_dot_reviews_the_workspace_not_dot_git(tmp_path, terminals):
    repo = workspace(tmp_path)
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    term = open_terminal(terminals, tmp_path, None, cwd=repo)
    term.type("/review .")
    time.sleep(0.3)  # the path completion menu would have opened by now
    term.keys("Enter")
    screen = term.wait_for("the report is part of the conversation now", "the review of the workspace")
    assert re.search(r"^shop/cache\.py:29:\d+ high +keys-command ", screen, re.M), screen
    assert ".git" not in screen
    assert re.search(r"^\d+ findings \(.*\) in \d+ files, \d+ rules, \d+\.\d s$", screen, re.M)


def test_a_failed_bash_shows_as_failed_and_rg_runs_in_the_sandbox(tmp_path, terminals):
    repo = workspace(tmp_path)
    found = tool("Bash", command="rg -l -F r.keys shop", description="find KEYS calls")
    failed = tool("Bash", command="ls no-such-dir", description="list a missing directory")
    responses = [sse([found, failed], "tool_use"), sse([text("Done looking.")], "end_turn")]
    with StandIn(responses=responses) as standin:
        term = open_terminal(terminals, tmp_path, standin, cwd=repo)
        term.type("look around")
        term.keys("Enter")
        screen = term.wait_for("Done looking.", "the answer after the tools")
        colours = term.screen(colours=True)
    assert re.search(r'⏺ Bash\(command="rg -l -F r\.keys shop"\)\n  ⎿ \d+ lines? \(', screen), screen
    assert "⎿ exit code 2: ls: cannot access 'no-such-dir'" in screen
    failed_line = next(line for line in colours.splitlines() if "exit code 2" in line)
    assert re.search(r"\x1b\[[0-9;]*(31|91)[;m]", failed_line), failed_line  # red
    results = standin.requests[1]["messages"][-1]["content"]
    assert [r.get("is_error", False) for r in results if r["type"] == "tool_result"] == [False, True]
    assert "shop/cache.py" in results[0]["content"].split()  # the shipped rg ran inside the sandbox


def test_the_banner_says_whether_redis_answers(tmp_path, terminals, redis_standalone):
    good = open_terminal(terminals, tmp_path, None, args=["--redis-url", redis_standalone.url()])
    screen = good.wait_for("reachable (Redis", "a reachable Redis in the banner")
    assert re.search(r"redis      redis://:\[REDACTED\]@127\.0\.0\.1:\d+/0  reachable \(Redis \d", screen)
    wrong = open_terminal(terminals, tmp_path, None, args=["--redis-url", redis_standalone.url(password="not-the-password")])
    screen = wrong.wait_for("auth failed: ", "a wrong password in the banner")
    assert "not-the-password" not in screen and redis_standalone.password not in good.screen()


def test_one_shot_in_a_terminal_renders_markdown(tmp_path, terminals):
    answer = ("Use these:\n\n| structure | use |\n|---|---|\n| **ZSET** | leaderboard |\n| HASH | profile |\n\n"
              "```python\nr.zadd('board', {'ann': 3})\n```\n")
    with StandIn(responses=[sse([text(answer)], "end_turn")]) as standin:
        term = Terminal(tmp_path, {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": standin.url}, args=["which structures?"])
        terminals.append(term)
        screen = term.wait_for("[exit 0]", "the one-shot to finish")
    assert "|---|" not in screen and "**" not in screen and "```" not in screen
    lines = screen.splitlines()
    header = next(i for i, line in enumerate(lines) if re.fullmatch(r" *structure +use *", line))
    assert re.fullmatch(r" *─{10,} *", lines[header + 1])  # a drawn table: header, rule, aligned rows
    assert re.fullmatch(r" *ZSET +leaderboard *", lines[header + 2]) and re.fullmatch(r" *HASH +profile *", lines[header + 3])
    assert "r.zadd('board', {'ann': 3})" in screen and "not offered" not in screen


def test_review_in_an_80_column_terminal_is_coloured_and_fits(tmp_path, terminals):
    repo = workspace(tmp_path)
    term = Terminal(tmp_path, {}, cwd=repo, width=80, height=50, subcommand=("review", "."))
    terminals.append(term)
    term.wait_for("[exit 0]", "the review to finish")
    coloured = term._tmux("capture-pane", "-p", "-e", "-S", "-500", "-t", "chat")  # not joined: rows as drawn
    plain = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert re.search(r"^shop/cache\.py:29:\d+ high +keys-command", plain, re.M)
    assert max(len(line.rstrip()) for line in plain.splitlines()) <= 80
    high = next(line for line in coloured.splitlines() if "keys-command" in line and "high" in line)
    assert re.search(r"\x1b\[[0-9;]*31[;m][^ ]*high", high), high  # colour on, on a terminal: severity in red
    assert re.search(r"^\d+ findings? \(.*\) in \d+ files?, \d+ rules, \d+\.\d s$", plain, re.M)
