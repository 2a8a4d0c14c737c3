"""The README's script-facing documentation is rendered from the code: the `--json` object and the
stream-json messages from the pydantic models in ask_redis.stream_json, the MCP tools from the server's own
tool list. The tests fail when the README differs, or when a model gains a field nobody documented.

After a deliberate change, rewrite the two README sections (only the text between their markers):

    .venv/bin/python -m tests.test_output_schema
"""

from __future__ import annotations

import json
import re
import sys
import typing
from pathlib import Path

import anyio

from ask_redis import events, stream_json
from ask_redis.agent_file import PLUGIN_SERVER, mcp_tool_names
from ask_redis.mcp_server import ExpertResult, build_server

README = Path(__file__).resolve().parent.parent / "README.md"
SCHEMA_MARKERS = ("<!-- output-schema:start -->", "<!-- output-schema:end -->")
MCP_MARKERS = ("<!-- mcp:start -->", "<!-- mcp:end -->")

# Field meanings: a model's own Field(description=...) wins; the models carry none, so theirs live here.
# A field documented nowhere fails the test.
SESSION = "the session's id, the same on every line of a run"
UUID = "a fresh id for this line"
PARENT = "always null (Claude Code's id of the Task call that ran a subagent)"
FIELDS: dict[str, dict[str, str]] = {
    "Usage": {
        "input_tokens": "input tokens not read from or written to the prompt cache",
        "output_tokens": "tokens the model wrote",
        "cache_creation_input_tokens": "input tokens written to the prompt cache",
        "cache_read_input_tokens": "input tokens read from the prompt cache",
    },
    "SystemInit": {
        "type": "always `system`",
        "subtype": "always `init`",
        "session_id": SESSION,
        "uuid": UUID,
        "cwd": "absolute path of the repository the tools may read",
        "model": "the model ID the run uses (an alias resolved)",
        "tools": "tools offered to the model",
        "mcp_servers": "always empty: ask-redis connects to no MCP server (`name`/`status` objects in Claude Code)",
        "schema_version": "ask-redis: version of this schema (see Versioning)",
        "tools_unavailable": "ask-redis: tools left out, each with the reason (e.g. no Redis URL, no sandbox)",
        "redis": "ask-redis: the Redis URL with its password masked, or null",
    },
    "SystemRetry": {
        "type": "always `system`",
        "subtype": "always `api_retry`",
        "session_id": SESSION,
        "uuid": UUID,
        "attempt": "1-based number of this retry",
        "max_retries": "retries allowed before the run fails with an API error",
        "retry_delay_ms": "wait before the retry",
        "error_status": "HTTP status of the failed call, or null for a connection error",
        "error": "the failure and the retry, as one line for a person",
    },
    "SystemNotice": {
        "type": "always `system`",
        "subtype": "always `notice` (ask-redis's own subtype)",
        "session_id": SESSION,
        "uuid": UUID,
        "message": "one line for the user (e.g. why the answer was cut), not part of the answer",
    },
    "ApiMessage": {
        "id": "the API's message id",
        "type": "always `message`",
        "role": "always `assistant`",
        "model": "the model that wrote it",
        "content": "the message's content blocks as the API sent them: `text`, `tool_use` (`id`, `name`, `input`), `thinking`",
        "stop_reason": "why the API ended this message: `end_turn`, `tool_use`, `max_tokens`, `refusal`, ...",
        "stop_sequence": "always null",
        "usage": "tokens of this call (a Usage object)",
    },
    "AssistantMessage": {
        "type": "always `assistant`",
        "message": "the API's message (table below)",
        "parent_tool_use_id": PARENT,
        "session_id": SESSION,
        "uuid": UUID,
        "turn": "ask-redis: 1-based number of the API call",
        "cost_usd": "ask-redis: estimated cost of this call in US dollars",
        "duration_ms": "ask-redis: how long the call took",
    },
    "ToolResultMessage": {
        "type": "always `user`",
        "message": "`{\"role\": \"user\", \"content\": [{\"type\": \"tool_result\", \"tool_use_id\", \"content\", \"is_error\"}]}`: what the "
                   "tool returned to the model, secrets redacted; `is_error` is true when it failed (unknown tool, bad "
                   "input, refused, crashed) and the run goes on",
        "parent_tool_use_id": PARENT,
        "session_id": SESSION,
        "uuid": UUID,
        "tool_name": "ask-redis: the tool's name (Read, Grep, Glob, Bash, redis_overview, ...)",
        "duration_ms": "ask-redis: how long the tool ran",
    },
    "StreamEventMessage": {
        "type": "always `stream_event`",
        "event": "the Messages API stream event as sent: `message_start`, `content_block_start`, `content_block_delta` "
                 "(`text_delta`, `input_json_delta`, ...), `content_block_stop`, `message_delta`, `message_stop`",
        "parent_tool_use_id": PARENT,
        "session_id": SESSION,
        "uuid": UUID,
    },
    "ResultMessage": {
        "type": "always `result`",
        "subtype": "Claude Code's: `success`, `error_max_turns` or `error_during_execution` (table below)",
        "is_error": "false only for `success`",
        "duration_ms": "wall time of the run",
        "duration_api_ms": "time spent in API calls",
        "num_turns": "API calls made",
        "result": "the answer's text (the last turn's text), the cut text of a cut answer, or the error message",
        "stop_reason": "the API's last stop_reason, or null when the run stopped for another reason",
        "session_id": SESSION,
        "total_cost_usd": "estimated cost in US dollars (token counts times list prices)",
        "usage": "tokens summed over every call (a Usage object)",
        "modelUsage": "per model: `inputTokens`, `outputTokens`, `cacheReadInputTokens`, `cacheCreationInputTokens`, "
                      "`webSearchRequests`, `costUSD`",
        "permission_denials": "always empty: ask-redis's tools are read-only and ask for no permission",
        "errors": "why the run failed, one line each; empty on success",
        "api_error_status": "always null (Claude Code's HTTP status of an API error; ask-redis says it in `errors`)",
        "uuid": UUID,
        "ask_redis_subtype": "ask-redis: the finer reason (table below)",
        "schema_version": "ask-redis: version of this schema (see Versioning)",
    },
}

SUBTYPES = {  # ask_redis_subtype: (Claude Code subtype, exit code, when)
    "success": ("success", "0", "the model finished its answer (`end_turn` or `stop_sequence`)"),
    "error_max_turns": ("error_max_turns", "1", "`--max-turns` API calls were made without a final answer"),
    "error_max_tokens": ("error_during_execution", "1", "the answer was cut at `--max-tokens`; `result` holds the cut text"),
    "error_refusal": ("error_during_execution", "1", "the model declined; none of that message's tools ran"),
    "error_context_window": ("error_during_execution", "1", "the conversation no longer fits the model's context window"),
    "error_api": ("error_during_execution", "1", "the API failed for good (after retries), or answered with an unknown stop reason"),
    "error_cancelled": ("error_during_execution", "130", "the run was cancelled (Ctrl-C) before it finished"),
    "error_setup": ("error_during_execution", "1", "the run could not start: no API key (JSON formats), or the `--redis-url` cannot be reached"),
}

MESSAGES = stream_json.MESSAGES
DOCUMENTED = [*MESSAGES, stream_json.ApiMessage, events.Usage]


def type_of(prop: dict) -> str:
    if "const" in prop:
        return f'`"{prop["const"]}"`'
    if "enum" in prop:
        return "string (one of the subtypes)"
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop:
        kinds = [type_of(p) for p in prop["anyOf"]]
        return " or ".join(kinds)
    kind = prop.get("type", "any")
    if kind == "array":
        return f"array of {type_of(prop.get('items', {}))}"
    if kind == "object":
        values = prop.get("additionalProperties")
        return f"object of {type_of(values)}" if isinstance(values, dict) and values else "object"
    return kind


def field_table(model: type, only: list[str] | None = None) -> list[str]:
    schema = model.model_json_schema()
    docs = {**FIELDS.get(model.__name__, {})}
    for base in model.__mro__[1:]:
        for name, text in FIELDS.get(base.__name__, {}).items():
            docs.setdefault(name, text)
    rows = ["| field | type | meaning |", "|---|---|---|"]
    for name, prop in schema["properties"].items():
        if only is not None and name not in only:
            continue
        rows.append(f"| `{name}` | {type_of(prop)} | {model.model_fields[name].description or docs[name]} |")
    return rows


def example_stream() -> list[str]:
    """A short run as stream-json prints it: the internal events of one Grep and an answer, serialised."""
    usage = events.Usage(input_tokens=1200, output_tokens=90, cache_read_input_tokens=5200)
    grep = {"type": "tool_use", "id": "toolu_01", "name": "Grep", "input": {"pattern": "keys\\(", "output_mode": "content"}}
    answer = "`KEYS` at shop/cache.py:27 blocks Redis; use SCAN."
    run = [
        events.Start(session_id="20260101-120000-ab12", model="claude-sonnet-4-5", workspace="/home/me/shop",
                     tools=["Bash", "Glob", "Grep", "Read"], tools_unavailable={"redis_overview": "no Redis URL configured"}),
        events.TurnUsage(turn=1, usage=usage, cost_usd=0.005106, duration_ms=2300, message_id="msg_01",
                         stop_reason="tool_use", content=[{"type": "text", "text": "Looking for KEYS."}, grep]),
        events.ToolResult(id="toolu_01", name="Grep", content="shop/cache.py:27:    for k in r.keys(\"product:*\"):",
                          is_error=False, duration_ms=14),
        events.TurnUsage(turn=2, usage=usage, cost_usd=0.005106, duration_ms=2800, message_id="msg_02",
                         stop_reason="end_turn", content=[{"type": "text", "text": answer}]),
        events.Final(subtype="success", is_error=False, result=answer, stop_reason="end_turn", num_turns=2,
                     session_id="20260101-120000-ab12", duration_ms=5210, total_cost_usd=0.010212, usage=usage + usage),
    ]
    serialiser = stream_json.StreamJson()
    lines = [line for event in run for line in serialiser.lines(event).splitlines()]
    ids = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 100))
    return [re.sub(r'"uuid":"[0-9a-f-]{36}"', lambda _: f'"uuid":"{next(ids)}"', line) for line in lines]


def render_schema() -> str:
    out = [
        SCHEMA_MARKERS[0],
        f"## Output for scripts (schema version {events.SCHEMA_VERSION})",
        "",
        "`--output-format stream-json` and `--json` are what `claude -p --output-format stream-json --verbose` and",
        "`claude -p --output-format json` print, so a parser written for Claude Code (the Claude Agent SDK's message",
        "parser, CI integrations) reads ask-redis unchanged: the tests feed every line of every authored transcript to",
        "the Agent SDK's parser. What ask-redis knows beyond Claude Code is in additional fields (marked ask-redis",
        "below); no Claude Code field changes meaning. Generated from `agent/stream_json.py` by",
        "`tests/test_output_schema.py`, which fails when the two disagree. Both formats write the answer's data to",
        "stdout and nothing else; progress and errors go to stderr.",
        "",
        "### `--json`: one object",
        "",
        "`ask-redis --json \"PROMPT\"` prints one line: the `result` object, the same as the last stream-json line.",
        "",
        *field_table(stream_json.ResultMessage),
        "",
        "`usage` (here and in `assistant` messages):",
        "",
        *field_table(events.Usage),
        "",
        "`subtype` (Claude Code's), `ask_redis_subtype` (the finer reason) and the exit code:",
        "",
        "| ask_redis_subtype | subtype | exit code | when |",
        "|---|---|---|---|",
        *[f"| `{name}` | `{cc}` | {code} | {text} |" for name, (cc, code, text) in SUBTYPES.items()],
        "",
        "Usage errors (a bad flag, an empty prompt) exit 2 before any output.",
        "",
        "### `--output-format stream-json`: one message per line",
        "",
        "Every line is one JSON object with a `type`. A run prints `system`/`init` first and `result` last, exactly",
        "once each. Between them, in the order they happen: an `assistant` message when an API call has answered",
        "(all its content blocks, before any of its tools runs), a `user` message with the `tool_result` of each tool",
        "call, `system`/`api_retry` when a call is retried and `system`/`notice` for other notices. With",
        "`--include-partial-messages`, the API's own stream events come as `stream_event` lines while the answer",
        "streams, each call's before its `assistant` message. ask-redis prints one `assistant` message per API call",
        "(Claude Code may split a call's blocks over several messages with the same `message.id`).",
        "",
    ]
    for model in MESSAGES:
        fields = model.model_fields
        kind = fields["type"].default + (f"` / `{fields['subtype'].default}" if "subtype" in fields and fields["subtype"].default else "")
        doc = " ".join((model.__doc__ or "").split())
        out += [f"#### `{kind}`", "", doc, "", *field_table(model), ""]
        if model is stream_json.AssistantMessage:
            out += ["`message`:", "", *field_table(stream_json.ApiMessage), ""]
    out += [
        "Example (one Grep, then the answer):",
        "",
        "```json",
        *example_stream(),
        "```",
        "",
        "### Versioning",
        "",
        f"The schema version is {events.SCHEMA_VERSION}; `system`/`init` and `result` carry it as `schema_version`,",
        "and so does the MCP `expert` tool's structuredContent. Adding a field or a message type is a compatible",
        "change: consumers must ignore fields and message types they do not know. Removing or renaming a field, or",
        "changing its type or meaning, bumps the version. Version 2 took Claude Code's format; version 1's `start`,",
        "`text`, `tool_call`, `tool_result`, `usage` and `notice` events are gone, and its `subtype` values are now",
        "`ask_redis_subtype`.",
        "",
        "### MCP `expert` structuredContent",
        "",
        "The `--json` object above, plus:",
        "",
        *field_table(ExpertResult, only=[name for name in ExpertResult.model_fields if name not in stream_json.ResultMessage.model_fields]),
        SCHEMA_MARKERS[1],
    ]
    return "\n".join(out)


def argument_line(name: str, prop: dict, required: bool) -> str:
    kind = type_of(prop)
    bounds = ", ".join(f"{key} {prop[key]}" for key in ("minimum", "maximum", "maxLength") if key in prop)
    pattern = prop.get("pattern") or next((p.get("pattern") for p in prop.get("anyOf", []) if p.get("pattern")), None)
    extra = []
    if pattern and "|" in pattern:
        extra.append("one of " + ", ".join(f"`{v}`" for v in pattern.strip("^$()").split("|")))
    if bounds:
        extra.append(bounds)
    if not required and prop.get("default") is not None:
        extra.append(f"default {prop['default']}")
    for option in prop.get("anyOf", []):
        extra += [f"{key} {option[key]}" for key in ("minimum", "maximum", "maxLength") if key in option]
    detail = f" ({'; '.join(extra)})" if extra else ""
    return f"`{name}`{'' if required else '?'}: {kind}{detail}. {prop.get('description', '').rstrip('.')}."


def render_mcp() -> str:
    tools = anyio.run(build_server().list_tools)
    rows = ["| tool | arguments | what it does |", "|---|---|---|"]
    for tool in tools:
        required = set(tool.input_schema.get("required", []))
        args = "<br>".join(argument_line(name, prop, name in required) for name, prop in tool.input_schema["properties"].items())
        description = tool.description.replace("|", "\\|")
        rows.append(f"| `{tool.name}` | {args or 'none'} | {description} |")
    read_only = all(t.annotations.read_only_hint and t.annotations.destructive_hint is False and t.annotations.idempotent_hint
                    for t in tools)
    open_world = [t.name for t in tools if t.annotations.open_world_hint]
    out = [
        MCP_MARKERS[0],
        "## Use it from your coding agent (MCP)",
        "",
        "`ask-redis mcp` is an MCP server over stdio (the host agent starts it) or, with `--http`, over streamable",
        "HTTP (one server for a team, see below); the host calls its tools. Give it",
        "`ANTHROPIC_API_KEY` for the `expert` tool (the other tools need no key). Server flags set defaults for",
        "every call: `--repo DIR` (default: the directory the host starts it in), `--redis-url URL` (or `REDIS_URL`),",
        "`--model`, `--max-turns`. If `ask-redis` is not on the host's PATH, use the absolute path of the command",
        "(e.g. `/path/to/.venv/bin/ask-redis`).",
        "",
        "**Claude Code**: install the plugin (below), which brings the server, the subagent and the skill; or add",
        "the server alone:",
        "",
        "    claude mcp add ask-redis -e ANTHROPIC_API_KEY=sk-ant-... -- ask-redis mcp",
        "    claude mcp add ask-redis -e ANTHROPIC_API_KEY=sk-ant-... -- ask-redis mcp --redis-url redis://localhost:6379/0",
        "",
        "**Codex** (`~/.codex/config.toml`; Codex stops a tool call after 60 s unless told otherwise, and a review",
        "takes longer):",
        "",
        "```toml",
        "[mcp_servers.ask-redis]",
        'command = "ask-redis"',
        'args = ["mcp"]',
        'env = { ANTHROPIC_API_KEY = "sk-ant-..." }',
        "tool_timeout_sec = 600",
        "```",
        "",
        "**Cursor** (`.cursor/mcp.json` in the project, or `~/.cursor/mcp.json`), Claude Desktop and most other",
        "clients:",
        "",
        "```json",
        json.dumps({"mcpServers": {"ask-redis": {"command": "ask-redis", "args": ["mcp"],
                                                 "env": {"ANTHROPIC_API_KEY": "sk-ant-..."}}}}, indent=2),
        "```",
        "",
        "**Gemini CLI** (`~/.gemini/settings.json`, or `.gemini/settings.json` in the project; `timeout` is in ms):",
        "",
        "```json",
        json.dumps({"mcpServers": {"ask-redis": {"command": "ask-redis", "args": ["mcp"],
                                                 "env": {"ANTHROPIC_API_KEY": "$ANTHROPIC_API_KEY"}, "timeout": 600000}}},
                   indent=2),
        "```",
        "",
        "Gemini CLI starts no MCP server in a folder it does not trust (with folder trust on, `gemini mcp list`",
        "shows the server as Disabled there). Trust the project once: start `gemini` in it and pick **Trust folder**",
        "in the dialog (or `/permissions` later); the choice is kept in `~/.gemini/trustedFolders.json`. Check with",
        "`gemini mcp list`, which should say `ask-redis: ask-redis mcp (stdio) - Connected`.",
        "",
        "Try it without an agent, with the MCP Inspector's command line (Node.js; its current release asks for",
        "Node 22):",
        "",
        "    npx -y @modelcontextprotocol/inspector --cli ask-redis mcp --method tools/list",
        "    npx -y @modelcontextprotocol/inspector --cli ask-redis mcp --method tools/call --tool-name review --tool-arg path=.",
        "    npx -y @modelcontextprotocol/inspector --cli -e ANTHROPIC_API_KEY=sk-ant-... ask-redis mcp \\",
        "        --method tools/call --tool-name expert --tool-arg 'task=review my cache layer'",
        "",
        "### Tools",
        "",
        ("Every tool is annotated `readOnlyHint: true`, `destructiveHint: false`, `idempotentHint: true`. "
         if read_only else "Some tools are not read-only. ")
        + f"`openWorldHint` is true for {', '.join(f'`{n}`' for n in open_world)} only (it calls the Anthropic API);",
        "the others touch only the repository and the Redis you name.",
        "",
        *rows,
        "",
        "- `expert` answers with the text of the answer and, as structuredContent, the `--json` object plus",
        "  `findings` (see Output for scripts). `isError` is true when the run did not succeed.",
        "- The direct tools answer with a compact text for the model and the full data as structuredContent",
        "  (`review`: the report object of `ask-redis review --format json`). These objects gain keys over time (a",
        "  key inventory from the review engine is next): read the keys you know, ignore the others.",
        "- Progress: while `expert` runs, one progress notification per tool call, per finished turn and per retry",
        "  notice (when the client sends a progress token).",
        "- Cancellation: a `notifications/cancelled` for an `expert` call stops the run (the API stream is closed,",
        "  no further tool runs); the server keeps serving other calls.",
        "- Errors (bad arguments, no API key, an API failure, an unreachable Redis) are `isError` results with one",
        "  line of text; the server never exits on them. Arguments and passwords are never echoed back.",
        "",
        "### One server for a team: `--http`",
        "",
        "    ask-redis mcp --http 127.0.0.1:8765                      # loopback: no token needed",
        "    ASK_REDIS_MCP_TOKEN=$(cat token) ask-redis mcp --http 0.0.0.0:8765 --redis-url redis://cache:6379/0",
        "    ask-redis mcp --http 0.0.0.0:8765 --token-file /etc/ask-redis/token --max-experts 4",
        "",
        "serves the same tools, progress and cancellation over streamable HTTP at `http://HOST:PORT/mcp` (the first",
        "line on stderr says where; port 0 picks a free one).",
        "",
        "- Loopback by default. Bound anywhere else it refuses to start without a bearer token, read from",
        "  `--token-file` or `ASK_REDIS_MCP_TOKEN` (never a command-line argument, which `ps` would show); at least 16",
        "  characters (`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`). A request without",
        "  `Authorization: Bearer <token>` gets 401.",
        "- Against DNS rebinding: a request with a foreign `Origin` gets 403 (`--allow-origin ORIGIN` admits one;",
        "  loopback origins are admitted on loopback), and on loopback a `Host` that is not a loopback name gets 421.",
        "- `--max-experts N` (default 2) caps concurrent `expert` runs over all clients; one more gets an `isError`",
        "  result starting `busy:`. The model-free tools are not limited.",
        "- One line on stderr per call: the tool, its arguments redacted (a task only by its length), the outcome",
        "  and the time; one per refused request. The token and passwords never appear.",
        "",
        "Clients:",
        "",
        "    claude mcp add --transport http ask-redis http://redis-tools:8765/mcp --header \"Authorization: Bearer $TOKEN\"",
        "",
        "```toml",
        "# ~/.codex/config.toml",
        "[mcp_servers.ask-redis]",
        'url = "http://redis-tools:8765/mcp"',
        'bearer_token_env_var = "ASK_REDIS_MCP_TOKEN"',
        "tool_timeout_sec = 600",
        "```",
        "",
        "Cursor: `{\"mcpServers\": {\"ask-redis\": {\"url\": \"http://redis-tools:8765/mcp\", \"headers\": {\"Authorization\":",
        "\"Bearer ...\"}}}}`; Gemini CLI: the same with `httpUrl` instead of `url`.",
        "",
        "The server speaks plain HTTP: off a trusted network, put it behind a TLS-terminating proxy.",
        "",
        "### As a Claude Code plugin",
        "",
        "The repository is a Claude Code marketplace (`.claude-plugin/marketplace.json`, the plugin in",
        "`plugins/ask-redis/`). One install gives the redis-expert subagent, the `ask-redis` skill and the MCP server,",
        "which Claude Code starts itself (no `claude mcp add`):",
        "",
        "    claude plugin marketplace add /path/to/ask-redis        # a clone; the server runs `ask-redis` from PATH",
        "    claude plugin install ask-redis@ask-redis",
        "",
        "Or write the marketplace from the installed package, pointing at this `ask-redis` by absolute path",
        "(so it works whatever Claude Code's PATH is):",
        "",
        "    ask-redis plugin [--out DIR] [--command CMD] [--force]  # default DIR: ./ask-redis-marketplace",
        "    claude plugin marketplace add DIR && claude plugin install ask-redis@ask-redis",
        "",
        "`claude mcp list` then shows `plugin:ask-redis:ask-redis: ... - ✔ Connected`. The server gets Claude Code's",
        "environment: set `ANTHROPIC_API_KEY` there for the `expert` tool. In the plugin the tools are named",
        f"`mcp__{PLUGIN_SERVER}__<tool>`, and the plugin's subagent names them so.",
        "",
        "### The skill in other agents",
        "",
        "`plugins/ask-redis/skills/ask-redis/SKILL.md` is an Agent Skill (`name` and `description` front matter): when",
        "and how to use these tools, with the shell command for each, and the offline review in CI. Copy the",
        "`ask-redis` folder into the agent's skills folder, and register the MCP server as above:",
        "",
        "| agent | skills folder |",
        "|---|---|",
        "| Claude Code (without the plugin) | `~/.claude/skills/` or `.claude/skills/` |",
        "| Codex | `~/.codex/skills/` |",
        "| Cursor | `.cursor/skills/` in the project, or `~/.cursor/skills/` |",
        "| Gemini CLI | `~/.gemini/skills/` or `.gemini/skills/` (in a trusted folder) |",
        "",
        "### As a Claude Code subagent",
        "",
        "    ask-redis agent-file [--scope project|user] [--stdout] [--force] [--model sonnet|opus|haiku|inherit]",
        "",
        "writes `.claude/agents/redis-expert.md` (project scope: in the current directory; user scope: in",
        "`~/.claude/agents/`): front matter (`name`, `description`, `tools`, `model`) and the redis-expert persona as",
        "the body, telling the subagent to use the MCP tools above when they are registered. It names these tools:",
        "",
        f"    {', '.join(['Read', 'Grep', 'Glob', 'Bash', *mcp_tool_names()])}",
        "",
        "It refuses to overwrite an existing file unless given `--force`; `--stdout` prints it instead.",
        MCP_MARKERS[1],
    ]
    return "\n".join(out)


def section(text: str, markers: tuple[str, str]) -> str | None:
    match = re.search(re.escape(markers[0]) + r".*?" + re.escape(markers[1]), text, re.S)
    return match.group(0) if match else None


def test_every_model_field_is_documented():
    for model in [*DOCUMENTED, ExpertResult]:
        documented = {k for base in model.__mro__ for k in FIELDS.get(base.__name__, {})}
        documented |= {name for name, info in model.model_fields.items() if info.description}
        missing = set(model.model_fields) - documented
        assert not missing, f"{model.__name__}: document {sorted(missing)} in FIELDS"
    models = {model.__name__: model for model in DOCUMENTED}
    for name, fields in FIELDS.items():
        stale = set(fields) - set(models[name].model_fields)
        assert not stale, f"{name}: FIELDS documents fields that no longer exist: {sorted(stale)}"
    assert set(SUBTYPES) == set(typing.get_args(events.Subtype))
    assert {cc for cc, _, _ in SUBTYPES.values()} == set(typing.get_args(stream_json.ResultSubtype))
    assert all(stream_json.CLAUDE_SUBTYPES.get(name, "error_during_execution") == cc for name, (cc, _, _) in SUBTYPES.items())


def test_the_example_stream_parses_with_the_agent_sdk():
    from claude_agent_sdk import AssistantMessage, ResultMessage, SystemMessage, UserMessage
    from claude_agent_sdk._internal.message_parser import parse_message

    parsed = [parse_message(json.loads(line)) for line in example_stream()]
    assert [type(m) for m in parsed] == [SystemMessage, AssistantMessage, UserMessage, AssistantMessage, ResultMessage]


def test_readme_schema_section_matches_the_models():
    assert section(README.read_text(), SCHEMA_MARKERS) == render_schema(), \
        "README output schema is stale: run .venv/bin/python -m tests.test_output_schema"


def test_readme_mcp_section_matches_the_server():
    assert section(README.read_text(), MCP_MARKERS) == render_mcp(), \
        "README MCP section is stale: run .venv/bin/python -m tests.test_output_schema"


def write_readme() -> None:
    text = README.read_text()
    for markers, rendered in ((SCHEMA_MARKERS, render_schema()), (MCP_MARKERS, render_mcp())):
        current = section(text, markers)
        if current is None:
            text = text.rstrip("\n") + "\n\n" + rendered + "\n"
        else:
            text = text.replace(current, rendered)
    README.write_text(text)


if __name__ == "__main__":
    write_readme()
    sys.stdout.write(f"rewrote the generated sections of {README}\n")
