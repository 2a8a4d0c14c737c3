"""Grep over the fixture tree with the real ripgrep from the wheel."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from ask_redis.tools import ToolError, grep
from tests.fixtures_workspace import CANARY, TOOLS, ws  # noqa: F401  (ws is a fixture)


def listed(text: str) -> list[str]:
    """The paths of a files_with_matches result."""
    lines = text.split("\n\n")[0].split("\n")
    assert lines[0].startswith("Found "), text
    return lines[1:]


def test_default_mode_lists_files_sorted_by_path_relative_to_the_workspace(ws):
    text = ws.ok("Grep", pattern="import redis")
    assert listed(text) == [".hidden_worker.py", "src/app/cache/redis_client.py", "tests/test_cache.py"]
    assert text.startswith("Found 3 files")


def test_hidden_files_are_searched_and_vcs_dirs_skipped(ws):
    assert ".env" in listed(ws.ok("Grep", pattern="REDIS_URL"))
    assert ws.ok("Grep", pattern="redis-in-git-config").startswith("No matches found")


@pytest.mark.parametrize("with_git_dir", [True, False])
def test_gitignore_is_honoured_with_or_without_a_git_directory(ws, with_git_dir):
    if not with_git_dir:
        shutil.rmtree(ws.root / ".git")
    files = listed(ws.ok("Grep", pattern="redis"))
    assert "ignored_settings.py" not in files and "build/generated.py" not in files
    assert "src/app/cache/redis_client.py" in files


def test_no_match_says_ignore_rules_applied_and_counts_ignored_matches(ws):
    text = ws.ok("Grep", pattern="CLIENT = redis")
    assert text.startswith("No matches found")
    assert ".gitignore" in text
    assert "1 ignored file(s) would match, e.g. ignored_settings.py" in text


def test_a_glob_does_not_bring_ignored_files_back(ws):
    assert listed(ws.ok("Grep", pattern="redis", glob="*.py")) == [
        ".hidden_worker.py", "src/app/cache/redis_client.py", "tests/test_cache.py"]
    assert listed(ws.ok("Grep", pattern="redis", glob="**/*.py")) == [
        ".hidden_worker.py", "src/app/cache/redis_client.py", "tests/test_cache.py"]
    # A glob with a directory part goes through --glob, whose whitelisting is undone.
    assert "ignored_settings.py" not in ws.ok("Grep", pattern="redis", glob="{ignored_settings,tests/test_cache}.py")
    assert listed(ws.ok("Grep", pattern="redis", glob="src/**/*.py")) == ["src/app/cache/redis_client.py"]


def test_negated_glob_excludes(ws):
    files = listed(ws.ok("Grep", pattern="import redis", glob="!tests/**"))
    assert "tests/test_cache.py" not in files and "src/app/cache/redis_client.py" in files


def test_type_filter(ws):
    assert listed(ws.ok("Grep", pattern="redis", type="md")) == ["cache notes.md"]
    assert "unrecognized file type" in ws.error("Grep", pattern="redis", type="no-such-type")


def test_content_mode_shows_path_line_text_with_context(ws):
    text = ws.ok("Grep", pattern="def get_user", output_mode="content", **{"-B": 1, "-A": 1})
    assert text.split("\n") == [
        "src/app/cache/redis_client.py-7-",
        "src/app/cache/redis_client.py:8:def get_user(r, uid):",
        "src/app/cache/redis_client.py-9-    return r.get(f'user:{uid}')",
    ]


def test_context_groups_in_one_file_are_separated(ws):
    text = ws.ok("Grep", pattern="^def ", output_mode="content", path="src/app/cache/redis_client.py", **{"-C": 1})
    assert text.split("\n") == [
        "src/app/cache/redis_client.py-3-",
        "src/app/cache/redis_client.py:4:def client():",
        "src/app/cache/redis_client.py-5-    return redis.Redis(host='cache', socket_timeout=1)",
        "--",
        "src/app/cache/redis_client.py-7-",
        "src/app/cache/redis_client.py:8:def get_user(r, uid):",
        "src/app/cache/redis_client.py-9-    return r.get(f'user:{uid}')",
    ]


def test_no_separator_between_files(ws):
    text = ws.ok("Grep", pattern="^import redis", output_mode="content", **{"-A": 1})
    assert "--" not in text.split("\n")
    assert text.split("\n")[:2] == [".hidden_worker.py:1:import redis", ".hidden_worker.py-2-QUEUE = 'jobs'"]


def test_content_without_line_numbers(ws):
    text = ws.ok("Grep", pattern="^import", output_mode="content", path="tests", **{"-n": False})
    assert text == "tests/test_cache.py:import redis"


def test_case_insensitive(ws):
    assert ws.ok("Grep", pattern="IMPORT REDIS").startswith("No matches")
    assert len(listed(ws.ok("Grep", pattern="IMPORT REDIS", **{"-i": True}))) == 3


def test_multiline(ws):
    pattern = r"def client\(\):.*socket_timeout"
    assert ws.ok("Grep", pattern=pattern).startswith("No matches")
    assert listed(ws.ok("Grep", pattern=pattern, multiline=True)) == ["src/app/cache/redis_client.py"]


def test_count_mode_has_per_file_counts_and_a_total(ws):
    text = ws.ok("Grep", pattern="redis", output_mode="count", path="src")
    assert text.split("\n") == ["Found 2 matching lines in 1 file", "src/app/cache/redis_client.py:2"]


def test_head_limit_and_offset_page_with_a_footer(ws):
    everything = listed(ws.ok("Grep", pattern="redis", head_limit=0))
    assert len(everything) == 7
    first = ws.ok("Grep", pattern="redis", head_limit=3)
    assert listed(first) == everything[:3]
    assert "[Showing files 1-3 of 7. Use offset=3 to see more.]" in first
    second = ws.ok("Grep", pattern="redis", head_limit=3, offset=3)
    assert listed(second) == everything[3:6]
    assert "Use offset=6" in second
    last = ws.ok("Grep", pattern="redis", head_limit=3, offset=6)
    assert listed(last) == everything[6:] and "Use offset" not in last


def test_content_head_limit_counts_lines(ws):
    text = ws.ok("Grep", pattern="cache:user", output_mode="content", head_limit=5, offset=10)
    rows = text.split("\n\n")[0].split("\n")
    assert rows == [f"big.txt:{n}:line {n}: cache:user:{n}" for n in range(11, 16)]
    assert "of 3000. Use offset=15" in text


def test_default_head_limit_is_250(ws):
    text = ws.ok("Grep", pattern="cache:user", output_mode="content")
    assert len(text.split("\n\n")[0].split("\n")) == 250
    assert "Use offset=250" in text


def test_pattern_starting_with_a_dash(ws):
    assert listed(ws.ok("Grep", pattern="-1")) == ["-dash.py"]
    (ws.root / "flags.sh").write_text("rg --files\n")
    assert listed(ws.ok("Grep", pattern="--files")) == ["flags.sh"]  # searched for, not taken as a flag


def test_invalid_regex_returns_ripgreps_message(ws):
    message = ws.error("Grep", pattern="a(b")
    assert "regex parse error" in message and "unclosed group" in message


def test_binary_files_are_skipped(ws):
    assert "dump.rdb" not in ws.ok("Grep", pattern="redis-ver")


def test_non_utf8_content_is_shown_with_replacement(ws):
    assert ws.ok("Grep", pattern="redis", output_mode="content", path="latin1.txt") == "latin1.txt:1:caf\ufffd redis"


def test_file_name_with_spaces(ws):
    assert listed(ws.ok("Grep", pattern="pipelines")) == ["cache notes.md"]


def test_long_lines_are_cut_by_ripgrep(ws):
    (ws.root / "min.js").write_text("x" * 3000 + "redis" + "y" * 3000 + "\n")
    text = ws.ok("Grep", pattern="redis", output_mode="content", path="min.js")
    assert len(text) < 1000 and "omitted" in text


@pytest.mark.parametrize("path", ["..", "../outside", "canary_link.txt", "outside_dir", "/etc", str(Path.home())])
def test_paths_leaving_the_workspace_are_refused(ws, path):
    assert "outside the workspace" in ws.error("Grep", pattern="CANARY", path=path)


def test_symlinks_out_of_the_workspace_are_never_followed(ws):
    assert ws.ok("Grep", pattern="CANARY", **{"-i": True}).startswith("No matches")
    text = ws.ok("Grep", pattern=".", output_mode="content", head_limit=0)
    assert CANARY not in text and "canary_link" not in text and "outside_dir" not in text


def test_missing_path_and_fifo_path(ws):
    assert "does not exist" in ws.error("Grep", pattern="x", path="nope")
    os.mkfifo(ws.root / "pipe")
    assert "not a regular file" in ws.error("Grep", pattern="x", path="pipe")


def test_results_are_redacted(ws):
    text = ws.ok("Grep", pattern="REDIS_PASSWORD", output_mode="content")
    assert "hunter2" not in text
    assert ".env:2:REDIS_PASSWORD=[REDACTED]" in text
    # A match inside the masked value is no match: searching for the secret finds nothing.
    assert ws.ok("Grep", pattern="hunter2", output_mode="content").startswith("No matches")


def test_time_limit_gives_partial_results_with_a_note(ws, monkeypatch):
    monkeypatch.setattr(grep, "TIME_LIMIT_SECONDS", 0.0)
    text = ws.ok("Grep", pattern="redis")
    assert "stopped after 0 s" in text and "partial" in text


def test_output_limit_keeps_whole_lines_and_says_so(ws, monkeypatch):
    monkeypatch.setattr(grep, "MAX_OUTPUT_BYTES", 300)
    text = ws.ok("Grep", pattern="cache:user", output_mode="content", head_limit=0)
    rows = text.split("\n\n")[0].split("\n")
    assert 0 < len(rows) < 3000
    assert all(row.startswith("big.txt:") and row.endswith(row.split(":")[1]) for row in rows)
    assert "partial" in text


@pytest.mark.parametrize("mode", ["content", "files_with_matches", "count"])
def test_no_head_limit_still_pages_at_a_character_cap(ws, monkeypatch, mode):
    pattern = "cache:user" if mode == "content" else "redis"
    full = ws.ok("Grep", pattern=pattern, output_mode=mode, head_limit=100000)
    monkeypatch.setattr(grep, "MAX_RESULT_CHARS", 60)
    first = ws.ok("Grep", pattern=pattern, output_mode=mode, head_limit=0)
    page = first.split("\n\n")[0]
    assert len(full.split("\n\n")[0]) > 100 and len(page) <= 60 + 120  # the cap, plus the one entry that crosses it
    assert "cut at 60 characters" in first
    next_offset = int(first.split("Use offset=")[1].split(" ")[0])
    second = ws.ok("Grep", pattern=pattern, output_mode=mode, head_limit=3, offset=next_offset)
    rows = lambda text: text.split("\n\n")[0].split("\n")[0 if mode == "content" else 1:]
    assert rows(first) + rows(second) == rows(full)[:len(rows(first)) + len(rows(second))]


def test_schema_uses_claude_codes_parameter_names():
    schema = TOOLS["Grep"].schema()["input_schema"]
    assert set(schema["properties"]) == {"pattern", "path", "glob", "type", "output_mode", "-i", "-n", "-A", "-B", "-C",
                                         "multiline", "head_limit", "offset"}
    assert schema["required"] == ["pattern"]
    assert schema["properties"]["output_mode"]["default"] == "files_with_matches"
    assert schema["properties"]["head_limit"]["default"] == 250
    assert schema["properties"]["-A"] == {"type": "integer", "minimum": 0, "maximum": 10000,
                                          "description": schema["properties"]["-A"]["description"]}
    assert all("anyOf" not in prop for prop in schema["properties"].values())


def test_unknown_parameter_is_refused(ws):
    assert "Invalid input" in ws.error("Grep", pattern="x", include="*.py")


def test_ripgrep_is_found_beside_the_interpreter_then_on_path(monkeypatch, tmp_path):
    venv_bin = Path(sys.executable).parent
    assert grep.ripgrep_binary() == str(venv_bin / "rg")
    monkeypatch.setattr(grep.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(venv_bin))
    assert grep.ripgrep_binary() == shutil.which("rg")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError, match="ripgrep"):
        grep.ripgrep_binary()
    assert "ripgrep" in TOOLS["Grep"].unavailable_reason(None)


def test_confinement_check_on_result_paths(ws):
    from ask_redis.tools.workspace import Confinement

    check = Confinement(ws.root.resolve())
    assert check.inside("src/app/cache/redis_client.py") and check.inside("src/inside_link.py")
    assert check.inside("cache notes.md") and check.inside(".")
    for escaping in ("canary_link.txt", "outside_dir/inner.py", "..", "../outside/canary.txt", "src/../../outside"):
        assert not check.inside(escaping), escaping


def test_null_and_placeholder_values_mean_the_default(ws):
    text = ws.ok("Grep", pattern="import redis", head_limit=None, offset=None, output_mode=None, path="undefined",
                 glob="null", type="")
    assert listed(text) == [".hidden_worker.py", "src/app/cache/redis_client.py", "tests/test_cache.py"]


def test_type_and_glob_together_still_drop_ignored_files(ws):
    text = ws.ok("Grep", pattern="redis", type="py", glob="*settings.py")
    assert text.startswith("No matches found") and "1 ignored file(s) would match, e.g. ignored_settings.py" in text
    assert listed(ws.ok("Grep", pattern="redis", type="py", glob="test_*.py")) == ["tests/test_cache.py"]


def test_an_ignored_file_named_as_path_is_searched(ws):
    assert listed(ws.ok("Grep", pattern="CLIENT", path="ignored_settings.py")) == ["ignored_settings.py"]
