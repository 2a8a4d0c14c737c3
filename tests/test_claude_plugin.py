"""The Claude Code plugin, checked by the real Claude Code CLI (no API key needed): it validates the
marketplace, installs the plugin in a throw-away HOME, lists the subagent and the skill, and
health-checks the MCP server the plugin starts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ask_redis import plugin
from tests.transcript_kit import ROOT

ASK_REDIS = Path(sys.executable).parent / "ask-redis"
LOCAL_CLAUDE = ROOT / ".node" / "node_modules" / ".bin" / "claude"  # installed by tests/run.sh where npm exists


def claude_cli() -> Path | None:
    if LOCAL_CLAUDE.exists():
        return LOCAL_CLAUDE
    try:  # the Claude Agent SDK wheel (a test extra) ships the same CLI
        from claude_agent_sdk import __file__ as sdk

        bundled = Path(sdk).parent / "_bundled" / "claude"
        return bundled if bundled.exists() else None
    except ImportError:
        return None


CLAUDE = claude_cli()
needs_claude = pytest.mark.skipif(CLAUDE is None, reason="no Claude Code CLI: tests/run.sh installs "
                                                        "@anthropic-ai/claude-code with npm, and npm is not installed")


def claude(args: list[str], home: Path, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "CLAUDE", "REDIS_URL", "ASK_REDIS"))}
    env.update(HOME=str(home), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", DISABLE_AUTOUPDATER="1",
               ANTHROPIC_BASE_URL="http://127.0.0.1:9",  # were it to call the API, it would stay on loopback
               PATH=f"{ASK_REDIS.parent}{os.pathsep}{env.get('PATH', '')}")
    return subprocess.run([str(CLAUDE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_the_repositorys_marketplace_is_what_the_command_writes():
    for path, text in plugin.files("ask-redis").items():
        assert (ROOT / path).is_file(), f"{path} is missing: run ask-redis plugin --out . --command ask-redis --force"
        assert (ROOT / path).read_text() == text, f"{path} is stale: run ask-redis plugin --out . --command ask-redis --force"


def test_the_skill_is_a_valid_agent_skill():
    text = (ROOT / plugin.PLUGIN_DIR / "skills" / plugin.SKILL / "SKILL.md").read_text()
    front = text.split("---\n")[1]
    fields = dict(line.split(": ", 1) for line in front.strip().splitlines())
    assert fields["name"] == plugin.SKILL and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fields["name"]) and len(fields["name"]) <= 64
    assert 0 < len(fields["description"]) <= 1024 and "<" not in fields["description"]
    for tool in ("review", "redis_overview", "redis_keyspace", "redis_slowlog", "expert"):
        assert f"`{tool}`" in text, tool
    assert "ask-redis review . --format sarif" in text  # the offline review in CI


def test_plugin_command_points_at_the_installed_command_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "market"
    first = subprocess.run([str(ASK_REDIS), "plugin", "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    servers = json.loads((out / plugin.PLUGIN_DIR / ".mcp.json").read_text())["mcpServers"]
    assert servers == {"ask-redis": {"command": str(ASK_REDIS.resolve()), "args": ["mcp"]}}
    assert f"claude plugin marketplace add {out}" in first.stdout
    again = subprocess.run([str(ASK_REDIS), "plugin", "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and again.stderr.strip() == (
        f"ask-redis plugin: {out / '.claude-plugin' / 'marketplace.json'} exists; pass --force to overwrite")
    blocked = tmp_path / "file"
    blocked.write_text("x")
    failed = subprocess.run([str(ASK_REDIS), "plugin", "--out", str(blocked)], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1 and failed.stderr.startswith(f"ask-redis plugin: cannot write {blocked}: ")
    assert "Traceback" not in failed.stderr


@needs_claude
def test_claude_code_validates_the_marketplace_and_the_plugin(tmp_path):
    for target in (ROOT, ROOT / plugin.PLUGIN_DIR):
        result = claude(["plugin", "validate", str(target)], tmp_path, tmp_path)
        assert result.returncode == 0 and "Validation passed" in result.stdout, result.stdout + result.stderr


@needs_claude
def test_installed_from_the_marketplace_it_lists_the_subagent_and_connects_the_server(tmp_path):
    home, project, market = tmp_path / "home", tmp_path / "project", tmp_path / "market"
    home.mkdir()
    project.mkdir()
    (project / "cache.py").write_text("import redis\nr = redis.Redis()\nr.keys('*')\n")
    made = subprocess.run([str(ASK_REDIS), "plugin", "--out", str(market)], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr

    added = claude(["plugin", "marketplace", "add", str(market)], home, project)
    assert added.returncode == 0 and "Successfully added marketplace: ask-redis" in added.stdout, added.stdout + added.stderr
    installed = claude(["plugin", "install", "ask-redis@ask-redis"], home, project)
    assert installed.returncode == 0 and "Successfully installed plugin: ask-redis@ask-redis" in installed.stdout, \
        installed.stdout + installed.stderr

    details = claude(["plugin", "details", "ask-redis@ask-redis"], home, project)
    assert details.returncode == 0, details.stderr
    inventory = {line.split("(")[0].strip(): line for line in details.stdout.splitlines() if "(" in line}
    assert re.search(r"Agents \(1\)\s+redis-expert", inventory["Agents"])
    assert re.search(r"Skills \(1\)\s+ask-redis", inventory["Skills"])
    assert re.search(r"MCP servers \(1\)\s+ask-redis", inventory["MCP servers"])

    health = claude(["mcp", "list"], home, project)
    line = next((l for l in health.stdout.splitlines() if l.startswith("plugin:ask-redis:ask-redis:")), "")
    assert line == f"plugin:ask-redis:ask-redis: {ASK_REDIS.resolve()} mcp - ✔ Connected", health.stdout + health.stderr

    # `claude -p` prints its init message before the missing key stops it
    run = claude(["-p", "is my cache safe?", "--output-format", "stream-json", "--verbose"], home, project)
    init = json.loads(run.stdout.splitlines()[0])
    assert init["type"] == "system" and init["subtype"] == "init"
    assert "ask-redis:redis-expert" in init["agents"]
    assert "ask-redis:ask-redis" in init["skills"]
    assert {"name": "plugin:ask-redis:ask-redis"} .items() <= next(
        s for s in init["mcp_servers"] if s["name"] == "plugin:ask-redis:ask-redis").items()
    assert [p["name"] for p in init["plugins"]] == ["ask-redis"]


@needs_claude
def test_the_repositorys_marketplace_installs_from_a_clone(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    clone = tmp_path / "clone with space"
    shutil.copytree(ROOT / ".claude-plugin", clone / ".claude-plugin")
    shutil.copytree(ROOT / "plugins", clone / "plugins")
    assert claude(["plugin", "marketplace", "add", str(clone)], home, tmp_path).returncode == 0
    installed = claude(["plugin", "install", "ask-redis@ask-redis"], home, tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    health = claude(["mcp", "list"], home, tmp_path)  # `ask-redis` from PATH
    assert "plugin:ask-redis:ask-redis: ask-redis mcp - ✔ Connected" in health.stdout, health.stdout + health.stderr
