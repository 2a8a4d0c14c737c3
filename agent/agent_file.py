"""`ask-redis agent-file`: a Claude Code subagent definition (`.claude/agents/redis-expert.md`).

Front matter (name, description, tools, model) and, as the body, the redis-expert persona with its
"how you work here" part rewritten for a host agent: Claude Code's own tools, plus the ask-redis MCP
tools when they are registered.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "redis-expert"
MCP_SERVER = "ask-redis"
HOST_TOOLS = ("Read", "Grep", "Glob", "Bash")
MODELS = ("sonnet", "opus", "haiku", "inherit")

DESCRIPTION = (
    "Senior Redis engineer. Use proactively for anything Redis: data modelling and key design, caching strategy "
    "(TTL, invalidation, stampedes), eviction and memory, persistence, pub/sub and streams, Lua, Sentinel and "
    "Cluster, client usage and latency, and reviews of code that uses Redis (KEYS, missing TTLs, per-request "
    "clients, unpipelined loops, unbounded reads)."
)


# How Claude Code names the server's tools: mcp__<server>__<tool>. A plugin's server is called
# plugin:<plugin>:<server>, which becomes plugin_<plugin>_<server> in tool names.
ADDED_SERVER = MCP_SERVER
PLUGIN_SERVER = f"plugin_{MCP_SERVER}_{MCP_SERVER}"


def mcp_tool_names(server: str = ADDED_SERVER) -> list[str]:
    """The tools `ask-redis mcp` exposes, as Claude Code names them (mcp__<server>__<tool>)."""
    import anyio

    from ask_redis.mcp_server import build_server

    tools = anyio.run(build_server().list_tools)
    return [f"mcp__{server}__{tool.name}" for tool in tools]


def host_section(mcp_tools: list[str], server: str = ADDED_SERVER) -> str:
    expert = f"mcp__{server}__expert"
    others = [name for name in mcp_tools if name != expert]
    where = ("The ask-redis plugin starts the ask-redis MCP server for you; use its tools:" if server == PLUGIN_SERVER else
             f"When the {MCP_SERVER} MCP tools are registered (`claude mcp add {MCP_SERVER} -- {MCP_SERVER} mcp`), use them:")
    lines = [
        "## How you work here",
        "",
        "You run as a subagent of a coding agent, inside the user's repository, with these tools:",
        "- **Read**, **Grep**, **Glob** over the repository: look before you advise.",
        "- **Bash** is the host's own shell, not a sandbox: use it only for read-only commands. Never run anything",
        "  that writes to Redis or to the repository (no redis-cli writes, no FLUSH*, CONFIG SET, DEBUG or KEYS",
        "  against a live instance).",
        "",
        where,
    ]
    for name in others:
        short = name.removeprefix(f"mcp__{server}__")
        lines.append(f"- `{name}`: {TOOL_USES.get(short, 'read-only, no model')}.")
    if expert in mcp_tools:
        lines.append(f"- `{expert}` with a `task` (and a `redis_url` when a live instance matters): hands the whole "
                     "question to ask-redis, which reads the repository and inspects Redis through its own sandboxed, "
                     "allowlisted tools and returns an answer with evidence. Prefer it for whole reviews and for "
                     "anything that needs a live instance.")
    lines.append("")
    lines.append("Redis URLs may hold passwords: pass them to these tools, never echo them in your answer.")
    return "\n".join(lines) + "\n"


TOOL_USES = {
    "redis_overview": "the live instance's vital signs (memory, eviction policy, hit ratio, persistence, replication, "
                      "config) in one read-only call, no model",
    "redis_keyspace": "a bounded sample of the keyspace: namespaces, memory, TTL coverage, big keys, encodings "
                      "(key names, never values)",
    "redis_slowlog": "the slow log grouped by command, and per-command latency",
    "review": "the deterministic review checks over the code (and the instance, given a redis_url): candidate "
              "findings with file:line to verify by reading the code",
}


def body(mcp_tools: list[str], server: str = ADDED_SERVER) -> str:
    """The persona, with its tool environment replaced by the host's; the rules and review shape are kept."""
    from ask_redis.prompts import load

    persona = load("redis-expert.md")
    head, marker, rest = persona.partition("## How you work here")
    rules_at = rest.find("\nRules:")
    if not marker or rules_at < 0:
        return persona.rstrip() + "\n\n" + host_section(mcp_tools, server)
    rules = rest[rules_at:].replace("`redis_review`", f"`mcp__{server}__review`")  # the host's name for it
    return head + host_section(mcp_tools, server) + rules.rstrip() + "\n"


def render(model: str = "sonnet", server: str = ADDED_SERVER) -> str:
    """The subagent file; `server` is the name Claude Code gives the MCP server (added by hand, or a plugin's)."""
    mcp_tools = mcp_tool_names(server)
    tools = ", ".join([*HOST_TOOLS, *mcp_tools])
    front = [f"name: {NAME}", f"description: {json.dumps(DESCRIPTION)}", f"tools: {tools}", f"model: {model}"]
    return "---\n" + "\n".join(front) + "\n---\n\n" + body(mcp_tools, server)


def target(scope: str) -> Path:
    base = Path.home() if scope == "user" else Path.cwd()
    return base / ".claude" / "agents" / f"{NAME}.md"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ask-redis agent-file",
                                description="Write a Claude Code subagent definition for the Redis expert.")
    p.add_argument("--scope", choices=["project", "user"], default="project",
                   help="project: ./.claude/agents/ (default); user: ~/.claude/agents/")
    p.add_argument("--stdout", action="store_true", help="print the file instead of writing it")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--model", choices=MODELS, default="sonnet", help="the model Claude Code runs the subagent on")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    text = render(args.model)
    if args.stdout:
        sys.stdout.write(text)
        return 0
    path = target(args.scope)
    if path.exists() and not args.force:
        sys.stderr.write(f"ask-redis agent-file: {path} exists; pass --force to overwrite it\n")
        return 1
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        sys.stderr.write(f"ask-redis agent-file: cannot write {path}: {error.strerror or error}\n")
        return 1
    sys.stdout.write(f"wrote {path}\n")
    sys.stderr.write(f"ask-redis agent-file: register the MCP tools too: claude mcp add {MCP_SERVER} -- {MCP_SERVER} mcp\n")
    return 0
