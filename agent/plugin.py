"""`ask-redis plugin [--out DIR]`: a Claude Code plugin marketplace for the Redis expert.

One install gives a Claude Code user the redis-expert subagent, the ask-redis skill and the MCP
server (started by Claude Code, so no `claude mcp add`). The marketplace written here points at
the installed command; the repository's own `.claude-plugin/` is this output with `--command ask-redis`.
The skill folder (`skills/ask-redis/SKILL.md`) is the Agent Skills format, and installs as is into
Codex, Cursor and Gemini CLI.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from ask_redis.agent_file import MCP_SERVER, NAME as AGENT_NAME, PLUGIN_SERVER, render as render_agent

MARKETPLACE = "ask-redis"
PLUGIN = "ask-redis"
SKILL = "ask-redis"
PLUGIN_DIR = f"plugins/{PLUGIN}"
DESCRIPTION = ("A senior Redis engineer: the redis-expert subagent, a skill for ask-redis's read-only Redis tools "
               "(review, overview, keyspace, slow log, the offline review in CI) and the ask-redis MCP server.")


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version as installed

    try:
        return installed("ask-redis")
    except PackageNotFoundError:
        return "0.0.0"


def skill_text() -> str:
    from ask_redis.prompts import load

    return load("skill-ask-redis.md")


def installed_command() -> str:
    """The absolute path of the running ask-redis command, so the plugin works whatever Claude Code's PATH is."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "ask-redis" and argv0.exists():
        return str(argv0.resolve())
    beside = Path(sys.executable).parent / "ask-redis"  # `python -m ask_redis plugin`: this environment's script
    if beside.exists():
        return str(beside.resolve())
    found = shutil.which("ask-redis")
    return str(Path(found).resolve()) if found else "ask-redis"


def files(command: str) -> dict[str, str]:
    """Every file of the marketplace, by path relative to its root."""
    manifest = {
        "name": PLUGIN,
        "version": version(),
        "description": DESCRIPTION,
        "author": {"name": "ask-redis"},
        "license": "MIT",
        "keywords": ["redis", "valkey", "review", "mcp", "database"],
    }
    servers = {"mcpServers": {MCP_SERVER: {"command": command, "args": ["mcp"]}}}
    marketplace = {
        "name": MARKETPLACE,
        "owner": {"name": "ask-redis"},
        "description": "ask-redis for Claude Code",
        "plugins": [{"name": PLUGIN, "source": f"./{PLUGIN_DIR}", "description": DESCRIPTION, "version": version(),
                     "category": "database"}],
    }
    return {
        ".claude-plugin/marketplace.json": json.dumps(marketplace, indent=2) + "\n",
        f"{PLUGIN_DIR}/.claude-plugin/plugin.json": json.dumps(manifest, indent=2) + "\n",
        f"{PLUGIN_DIR}/.mcp.json": json.dumps(servers, indent=2) + "\n",
        f"{PLUGIN_DIR}/agents/{AGENT_NAME}.md": render_agent("sonnet", server=PLUGIN_SERVER),
        f"{PLUGIN_DIR}/skills/{SKILL}/SKILL.md": skill_text(),
    }


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ask-redis plugin",
                                description="Write a Claude Code plugin marketplace: the redis-expert subagent, the "
                                            "ask-redis skill and the MCP server in one install.")
    p.add_argument("--out", default="ask-redis-marketplace", metavar="DIR",
                   help="where to write it (default: ./ask-redis-marketplace)")
    p.add_argument("--command", help="the command Claude Code starts for the MCP server "
                                     "(default: this ask-redis, by absolute path)")
    p.add_argument("--force", action="store_true", help="overwrite the files of an existing marketplace")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    out = Path(args.out).expanduser()
    command = args.command or installed_command()
    rendered = files(command)
    existing = [path for path in rendered if (out / path).exists()]
    if existing and not args.force:
        sys.stderr.write(f"ask-redis plugin: {out / existing[0]} exists; pass --force to overwrite\n")
        return 1
    try:
        for path, text in rendered.items():
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as error:
        sys.stderr.write(f"ask-redis plugin: cannot write {out}: {error.strerror or error}\n")
        return 1
    sys.stdout.write(f"wrote a Claude Code marketplace to {out}\n"
                     f"install it with:\n  claude plugin marketplace add {out.resolve()}\n"
                     f"  claude plugin install {PLUGIN}@{MARKETPLACE}\n"
                     f"the MCP server runs: {command} mcp (give it ANTHROPIC_API_KEY for the expert tool)\n")
    return 0
