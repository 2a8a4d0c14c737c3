"""Glob over the fixture tree with the real ripgrep from the wheel."""

from __future__ import annotations

import shutil

import pytest

from ask_redis.tools import glob as glob_module, grep
from tests.fixtures_workspace import TOOLS, ws  # noqa: F401  (ws is a fixture)


def paths(text: str) -> list[str]:
    body = text.split("\n\n")[0]
    return [] if body == "No files found" else body.split("\n")


def test_pattern_without_slash_matches_names_at_any_depth_sorted_by_path(ws):
    text = ws.ok("Glob", pattern="*.py")
    assert paths(text) == ["-dash.py", ".hidden_worker.py", "src/app/__init__.py", "src/app/cache/redis_client.py",
                           "tests/test_cache.py"]


def test_ignored_files_are_left_out_and_counted(ws):
    text = ws.ok("Glob", pattern="*.py")
    assert "ignored_settings.py" not in paths(text) and "build/generated.py" not in paths(text)
    assert "2 more file(s) match but are ignored by .gitignore" in text


def test_gitignore_counts_without_a_git_directory(ws):
    shutil.rmtree(ws.root / ".git")
    text = ws.ok("Glob", pattern="**/*.py")
    assert "ignored_settings.py" not in paths(text)
    assert "2 more file(s) match but are ignored" in text


def test_slash_patterns_are_anchored(ws):
    assert paths(ws.ok("Glob", pattern="src/**/*.py")) == ["src/app/__init__.py", "src/app/cache/redis_client.py"]
    assert paths(ws.ok("Glob", pattern="src/app/*.py")) == ["src/app/__init__.py"]
    assert paths(ws.ok("Glob", pattern="src/*/cache/*.py")) == ["src/app/cache/redis_client.py"]
    assert paths(ws.ok("Glob", pattern="./tests/test_*.py")) == ["tests/test_cache.py"]


def test_glob_with_wildcard_directories_still_drops_ignored_files(ws):
    (ws.root / "build" / "sub").mkdir()
    (ws.root / "build" / "sub" / "x.py").write_text("")
    (ws.root / "src" / "app" / "ignored_settings.py").write_text("")  # ignored by name at any depth
    found = paths(ws.ok("Glob", pattern="*/*/*.py"))
    assert found == ["src/app/__init__.py"]


def test_path_parameter_sets_the_search_directory(ws):
    assert paths(ws.ok("Glob", pattern="*.py", path="src/app/cache")) == ["src/app/cache/redis_client.py"]
    assert paths(ws.ok("Glob", pattern="*.py", path=str(ws.root / "tests"))) == ["tests/test_cache.py"]


def test_absolute_pattern_inside_the_workspace(ws):
    assert paths(ws.ok("Glob", pattern=str(ws.root / "tests" / "*.py"))) == ["tests/test_cache.py"]
    assert "outside" in ws.error("Glob", pattern="/etc/*.conf")


def test_hidden_files_spaces_binaries_are_listed_vcs_dirs_are_not(ws):
    found = paths(ws.ok("Glob", pattern="**/*"))
    for name in (".env", ".hidden_worker.py", "cache notes.md", "dump.rdb", "latin1.txt", "big.txt"):
        assert name in found
    assert not any(p.startswith(".git/") for p in found)


def test_brace_and_class_patterns(ws):
    assert paths(ws.ok("Glob", pattern="*.{md,txt}")) == ["big.txt", "cache notes.md", "latin1.txt", "windows.txt"]
    assert paths(ws.ok("Glob", pattern="[bw]*.txt")) == ["big.txt", "windows.txt"]


def test_more_than_100_results_are_truncated_with_a_note(ws):
    many = ws.root / "many"
    many.mkdir()
    for n in range(150):
        (many / f"f{n:03}.txt").write_text("")
    text = ws.ok("Glob", pattern="many/*.txt")
    assert paths(text) == [f"many/f{n:03}.txt" for n in range(100)]
    assert "showing 100 of 150 files" in text


def test_no_match(ws):
    assert ws.ok("Glob", pattern="*.nothing") == "No files found"
    assert ws.ok("Glob", pattern="nowhere/*.py") == "No files found"


@pytest.mark.parametrize("pattern,path", [("../*", None), ("../outside/*", None), ("*", "outside_dir"),
                                          ("*", ".."), ("outside_dir/*", None), ("*", "/tmp")])
def test_leaving_the_workspace_is_refused(ws, pattern, path):
    arguments = {"pattern": pattern} if path is None else {"pattern": pattern, "path": path}
    assert "outside the workspace" in ws.error("Glob", **arguments)


def test_symlinks_are_never_listed_or_followed(ws):
    found = paths(ws.ok("Glob", pattern="**/*"))
    assert "canary_link.txt" not in found and not any(p.startswith("outside_dir") for p in found)


def test_path_must_be_an_existing_directory(ws):
    assert "does not exist" in ws.error("Glob", pattern="*", path="nope")
    assert "is a file" in ws.error("Glob", pattern="*", path="big.txt")


def test_invalid_glob_is_ripgreps_error(ws):
    assert "glob" in ws.error("Glob", pattern="src/**/[z.py").lower()


def test_time_limit_note(ws, monkeypatch):
    monkeypatch.setattr(grep, "TIME_LIMIT_SECONDS", 0.0)
    assert "partial" in ws.ok("Glob", pattern="*.py")


def test_schema_speaks_claude_codes_names():
    schema = TOOLS["Glob"].schema()["input_schema"]
    assert set(schema["properties"]) == {"pattern", "path"}
    assert schema["required"] == ["pattern"]
    assert glob_module.MAX_RESULTS == 100


def test_placeholder_path_means_the_workspace_root(ws):
    assert paths(ws.ok("Glob", pattern="tests/*.py", path="undefined")) == ["tests/test_cache.py"]
