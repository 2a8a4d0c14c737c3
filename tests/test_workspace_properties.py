"""Any input to Read, Grep or Glob gives a result or a ToolError: never a crash, never the canary."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ask_redis.tools import ToolContext, run_tool
from tests.fixtures_workspace import CANARY, TOOLS, build_workspace

# Every character, lone surrogates and NUL included.
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)
names = st.sampled_from([
    "big.txt", "windows.txt", "dump.rdb", "latin1.txt", ".env", "cache notes.md", "src", "src/app/cache",
    "src/app/cache/redis_client.py", "canary_link.txt", "outside_dir", "outside_dir/inner.py", "..", "../outside",
    "../outside/canary.txt", "/", "/etc/passwd", "~", ".", "./", "-dash.py", "build", "ignored_settings.py",
    "src/inside_link.py", ".git", ".git/config", "nope/../big.txt", "src/../../outside", "",
])
paths = st.one_of(names, names, any_text, st.builds(lambda a, b: f"{a}/{b}", names, any_text))
# Mostly valid numbers, so most calls get past validation and into the tools.
numbers = st.one_of(st.none(), st.integers(0, 300), st.integers(0, 3000), st.integers(-5, 5000), st.integers())
patterns = st.one_of(any_text, st.sampled_from(["redis", "-1", "--files", "a(", "[", "\\", "(?i)REDIS", ".*", "^$",
                                                "CANARY", "x{99999999}", "(?P<n>a)", "\\p{Greek}", "\\b"]))
globs = st.one_of(st.none(), any_text, st.sampled_from(["*.py", "**/*.py", "src/**", "!*.md", "{a,b", "[", "**",
                                                         "../*", "/etc/*", "outside_dir/*", "*.{py,md}"]))
many = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> ToolContext:
    return build_workspace(tmp_path_factory.mktemp("properties")).ctx


def check(name: str, raw, ctx: ToolContext) -> None:
    outcome = run_tool(TOOLS, name, raw, ctx)
    assert isinstance(outcome.content, str) and outcome.content
    assert "failed unexpectedly" not in outcome.content, outcome.content
    assert CANARY not in outcome.content
    assert "hunter2" not in outcome.content


@many
@given(file_path=paths, offset=numbers, limit=numbers)
def test_read_any_input(ctx, file_path, offset, limit):
    raw = {"file_path": file_path}
    if offset is not None:
        raw["offset"] = offset
    if limit is not None:
        raw["limit"] = limit
    check("Read", raw, ctx)


@many
@given(
    pattern=patterns, path=st.one_of(st.none(), paths), glob=globs,
    type=st.one_of(st.none(), st.sampled_from(["py", "md", "nope", "", "-x"]), any_text),
    mode=st.sampled_from(["content", "files_with_matches", "count", "lines", None]),
    flags=st.fixed_dictionaries({}, optional={"-i": st.booleans(), "-n": st.booleans(), "-A": numbers, "-B": numbers,
                                              "-C": numbers, "multiline": st.booleans(), "head_limit": numbers,
                                              "offset": numbers}),
)
def test_grep_any_input(ctx, pattern, path, glob, type, mode, flags):
    raw = {"pattern": pattern, **{k: v for k, v in flags.items() if v is not None}}
    for key, value in (("path", path), ("glob", glob), ("type", type), ("output_mode", mode)):
        if value is not None:
            raw[key] = value
    check("Grep", raw, ctx)


@many
@given(pattern=st.one_of(globs.filter(lambda g: g is not None), paths), path=st.one_of(st.none(), paths))
def test_glob_any_input(ctx, pattern, path):
    raw = {"pattern": pattern} if path is None else {"pattern": pattern, "path": path}
    check("Glob", raw, ctx)


@settings(max_examples=60, deadline=None)
@given(raw=st.one_of(st.none(), st.dictionaries(st.sampled_from(["file_path", "pattern", "path", "offset", "x"]),
                                                st.one_of(any_text, st.integers(), st.none(), st.lists(st.integers())))))
def test_malformed_input_objects(raw):
    ctx = ToolContext(workspace=Path("/nonexistent-workspace-for-properties"))
    for name in TOOLS:
        check(name, raw, ctx)
