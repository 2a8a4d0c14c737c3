"""`ask-redis agent-file`: a Claude Code subagent definition that parses and names only real tools."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ask_redis.prompts import load
from tests.test_mcp_server import run as run_mcp
from tests.test_mcp_server import server_env

ASK_REDIS = Path(sys.executable).parent / "ask-redis"
# Claude Code's built-in tools (its documented tool list); the agent file may name these or the MCP tools.
CLAUDE_CODE_TOOLS = {"Agent", "Bash", "Edit", "Glob", "Grep", "LS", "MultiEdit", "NotebookEdit", "NotebookRead", "Read",
                     "TodoWrite", "WebFetch", "WebSearch", "Write"}


def agent_file(args, cwd, home=None):
    env = server_env(HOME=str(home or cwd))
    return subprocess.run([str(ASK_REDIS), "agent-file", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def parse(text: str) -> tuple[dict[str, str], str]:
    """Front matter as Claude Code reads it: `---`, `key: value` lines (a value may be a quoted string), `---`."""
    lines = text.split("\n")
    assert lines[0] == "---", "no front matter"
    end = lines.index("---", 1)
    front = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(": ")
        assert sep and key.isidentifier(), f"not a key: value line: {line!r}"
        assert key not in front, f"duplicate key {key}"
        if value.startswith('"'):
            value = json.loads(value)  # a JSON string is a valid YAML double-quoted scalar
        else:
            assert ": " not in value and " #" not in value, f"plain value that YAML would misread: {line!r}"
        front[key] = value
    return front, "\n".join(lines[end + 1:])


def test_front_matter_and_body(tmp_path):
    result = agent_file(["--stdout"], tmp_path)
    assert result.returncode == 0, result.stderr
    front, body = parse(result.stdout)
    assert set(front) == {"name", "description", "tools", "model"}
    assert front["name"] == "redis-expert" and front["model"] == "sonnet"
    assert "Redis" in front["description"] and "proactively" in front["description"]
    # the persona's knowledge and rules are carried whole
    persona = load("redis-expert.md")
    for section in ("## Picking a data structure", "## Eviction policies", "## Anti-patterns and their fixes", "## Review checklist"):
        start = persona.index(section)
        assert persona[start:persona.index("\n## ", start + 1)] in body, section
    assert "**Cite evidence.**" in body and "### Shape of a review" in body
    # its own tool environment is replaced by the host's: the host's Bash is not a sandbox
    assert "sandboxed: the workspace is read-only" not in body
    assert "**Bash** is the host's own shell, not a sandbox" in body
    assert "use them:" in body and "`mcp__ask-redis__expert`" in body
    assert not list(tmp_path.rglob("*.md")), "--stdout wrote a file"


def test_names_only_tools_that_exist(tmp_path):
    front, body = parse(agent_file(["--stdout"], tmp_path).stdout)
    named = front["tools"].split(", ")

    async def scenario(session):
        return [t.name for t in (await session.list_tools()).tools]

    served, _ = run_mcp(scenario, server_env(), tmp_path)
    exposed = {f"mcp__ask-redis__{name}" for name in served}
    assert {"Read", "Grep", "Glob", "Bash"} <= set(named)
    assert exposed <= set(named), "every MCP tool the server exposes is offered"
    unknown = [name for name in named if name not in CLAUDE_CODE_TOOLS | exposed]
    assert not unknown
    for name in exposed:
        assert f"`{name}`" in body, f"the note does not say when to use {name}"


def test_project_scope_writes_in_cwd_and_refuses_to_overwrite(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    first = agent_file([], project, home=tmp_path / "home")
    target = project / ".claude" / "agents" / "redis-expert.md"
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"wrote {target}"
    assert "claude mcp add ask-redis -- ask-redis mcp" in first.stderr
    written = target.read_text()
    parse(written)
    target.write_text("my own edits\n")
    again = agent_file([], project, home=tmp_path / "home")
    assert again.returncode == 1
    assert again.stderr.strip() == f"ask-redis agent-file: {target} exists; pass --force to overwrite it"
    assert target.read_text() == "my own edits\n"
    forced = agent_file(["--force", "--model", "opus"], project, home=tmp_path / "home")
    assert forced.returncode == 0
    assert parse(target.read_text())[0]["model"] == "opus"
    assert not (tmp_path / "home" / ".claude").exists()


def test_user_scope_writes_under_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    result = agent_file(["--scope", "user"], tmp_path, home=home)
    assert result.returncode == 0, result.stderr
    assert (home / ".claude" / "agents" / "redis-expert.md").is_file()
    assert not (tmp_path / ".claude" / "agents").exists()


@pytest.mark.parametrize("args, code, message", [
    (["--scope", "galaxy"], 2, "invalid choice: 'galaxy'"),
    (["--model", "gpt"], 2, "invalid choice: 'gpt'"),
])
def test_usage_errors(tmp_path, args, code, message):
    result = agent_file(args, tmp_path)
    assert result.returncode == code and message in result.stderr


def test_unwritable_target_is_one_line(tmp_path):
    (tmp_path / ".claude").write_text("a file where the directory should be")
    result = agent_file([], tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ask-redis agent-file: cannot write {tmp_path / '.claude' / 'agents' / 'redis-expert.md'}: ")
    assert "Traceback" not in result.stderr


def test_the_rules_name_the_review_tool_by_the_hosts_name():
    from ask_redis.agent_file import render

    text = render()
    assert "Start a review with the `mcp__ask-redis__review` tool" in text
    assert "`redis_review`" not in text


def test_the_plugins_subagent_names_the_plugins_tools():
    """Claude Code calls a plugin's server plugin:<plugin>:<server>; its tools become mcp__plugin_<plugin>_<server>__<tool>."""
    from ask_redis.agent_file import PLUGIN_SERVER, render

    front, body = parse(render(server=PLUGIN_SERVER))
    named = front["tools"].split(", ")
    mcp = [name for name in named if name.startswith("mcp__")]
    assert mcp and all(name.startswith("mcp__plugin_ask-redis_ask-redis__") for name in mcp)
    assert "mcp__ask-redis__" not in body and "claude mcp add" not in body
    assert "The ask-redis plugin starts the ask-redis MCP server for you" in body
    assert "Start a review with the `mcp__plugin_ask-redis_ask-redis__review` tool" in body
