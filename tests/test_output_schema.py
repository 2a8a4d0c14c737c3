"""The README's script-facing documentation is rendered from the code: the `--json` object and the
stream-json events from the pydantic models in ask_redis.events, the MCP tools from the server's own
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

from ask_redis import events
from ask_redis.agent_file import mcp_tool_names
from ask_redis.mcp_server import ExpertResult, build_server

README = Path(__file__).resolve().parent.parent / "README.md"
SCHEMA_MARKERS = ("<!-- output-schema:start -->", "<!-- output-schema:end -->")
MCP_MARKERS = ("<!-- mcp:start -->", "<!-- mcp:end -->")

# Field meanings: a model's own Field(description=...) wins; the event models carry none, so theirs live here.
# A field documented nowhere fails the test.
FIELDS: dict[str, dict[str, str]] = {
    "Usage": {
        "input_tokens": "input tokens not read from or written to the prompt cache",
        "output_tokens": "tokens the model wrote",
        "cache_creation_input_tokens": "input tokens written to the prompt cache",
        "cache_read_input_tokens": "input tokens read from the prompt cache",
    },
    "Start": {
        "type": "event type",
        "schema_version": "version of this schema (see Versioning)",
        "session_id": "the session's id (chat sessions resume with `--resume ID`)",
        "model": "the model ID the run uses (an alias resolved)",
        "workspace": "absolute path of the repository the tools may read",
        "tools": "tools offered to the model",
        "tools_unavailable": "tools left out, each with the reason (e.g. no Redis URL, no sandbox)",
        "redis": "the Redis URL with its password masked, or null",
    },
    "TextDelta": {
        "type": "event type",
        "text": "the next piece of the answer; the pieces in order make the answer",
    },
    "ToolCall": {
        "type": "event type",
        "id": "the tool_use id; its `tool_result` carries the same id",
        "name": "tool name (Read, Grep, Glob, Bash, redis_overview, ...)",
        "input": "the arguments the model gave",
    },
    "ToolResult": {
        "type": "event type",
        "id": "the id of the `tool_call` this answers",
        "name": "tool name",
        "content": "what the tool returned to the model, secrets redacted",
        "is_error": "true when the tool failed (unknown tool, bad input, refused, crashed); the run goes on",
        "duration_ms": "how long the tool ran",
    },
    "TurnUsage": {
        "type": "event type",
        "turn": "1-based number of the API call",
        "usage": "tokens of this call (a Usage object)",
        "cost_usd": "estimated cost of this call in US dollars",
    },
    "Notice": {
        "type": "event type",
        "message": "one line for the user (a retry, a cut answer), not part of the answer",
    },
    "Final": {
        "type": "always `result`",
        "subtype": "`success` or why the run stopped (table below)",
        "is_error": "false only for `success`",
        "result": "the answer's text (the last turn's text), or the error message",
        "stop_reason": "the API's last stop_reason, or null when the run stopped for another reason",
        "num_turns": "API calls made",
        "session_id": "the session's id",
        "duration_ms": "wall time of the run",
        "total_cost_usd": "estimated cost in US dollars (token counts times list prices)",
        "usage": "tokens summed over every call (a Usage object)",
    },
}

SUBTYPES = {
    "success": ("0", "the model finished its answer (`end_turn` or `stop_sequence`)"),
    "error_max_turns": ("1", "`--max-turns` API calls were made without a final answer"),
    "error_max_tokens": ("1", "the answer was cut at `--max-tokens`; `result` holds the cut text"),
    "error_refusal": ("1", "the model declined; none of that message's tools ran"),
    "error_context_window": ("1", "the conversation no longer fits the model's context window"),
    "error_api": ("1", "the API failed for good (after retries), or answered with an unknown stop reason"),
    "error_cancelled": ("130", "the run was cancelled (Ctrl-C) before it finished"),
    "error_setup": ("1", "the run could not start: no API key (JSON formats), or the `--redis-url` cannot be reached"),
}

EVENTS = [events.Start, events.TextDelta, events.ToolCall, events.ToolResult, events.TurnUsage, events.Notice, events.Final]


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
    """A short run as stream-json prints it, built from the models themselves."""
    usage = events.Usage(input_tokens=1200, output_tokens=90, cache_read_input_tokens=5200)
    stream = [
        events.Start(session_id="20260101-120000-ab12", model="claude-sonnet-4-5", workspace="/home/me/shop",
                     tools=["Bash", "Glob", "Grep", "Read"], tools_unavailable={"redis_overview": "no Redis URL configured"}),
        events.ToolCall(id="toolu_01", name="Grep", input={"pattern": "keys\\(", "output_mode": "content"}),
        events.ToolResult(id="toolu_01", name="Grep", content="shop/cache.py:27:    for k in r.keys(\"product:*\"):",
                          is_error=False, duration_ms=14),
        events.TurnUsage(turn=1, usage=usage, cost_usd=0.005106),
        events.TextDelta(text="`KEYS` at shop/cache.py:27 blocks Redis; "),
        events.TextDelta(text="use SCAN."),
        events.TurnUsage(turn=2, usage=usage, cost_usd=0.005106),
        events.Final(subtype="success", is_error=False, result="`KEYS` at shop/cache.py:27 blocks Redis; use SCAN.",
                     stop_reason="end_turn", num_turns=2, session_id="20260101-120000-ab12", duration_ms=5210,
                     total_cost_usd=0.010212, usage=usage + usage),
    ]
    return [event.model_dump_json() for event in stream]


def render_schema() -> str:
    final_fields = list(events.Final.model_fields)
    out = [
        SCHEMA_MARKERS[0],
        f"## Output for scripts (schema version {events.SCHEMA_VERSION})",
        "",
        "Generated from the models in `agent/events.py` by `tests/test_output_schema.py`, which fails when the two",
        "disagree. Both formats write the answer's data to stdout and nothing else; progress and errors go to stderr.",
        "",
        "### `--json`: one object",
        "",
        "`ask-redis --json \"PROMPT\"` prints one line: the `result` object, the same as the last stream-json event.",
        "Its fields are those of `claude -p --output-format json` plus `stop_reason`.",
        "",
        *field_table(events.Final),
        "",
        "`usage` (here and in the `usage` event):",
        "",
        *field_table(events.Usage),
        "",
        "`subtype` and the exit code:",
        "",
        "| subtype | exit code | when |",
        "|---|---|---|",
        *[f"| `{name}` | {code} | {text} |" for name, (code, text) in SUBTYPES.items()],
        "",
        "Usage errors (a bad flag, an empty prompt) exit 2 before any output.",
        "",
        "### `--output-format stream-json`: one event per line",
        "",
        "Every line is one JSON object with a `type`. A run prints `start` first and `result` last, exactly once",
        "each; between them `text`, `tool_call`, `tool_result`, `usage` and `notice` in the order they happen",
        "(every `tool_call` is followed by its `tool_result` before the next call).",
        "",
    ]
    for model in EVENTS:
        kind = model.model_fields["type"].default
        doc = " ".join((model.__doc__ or "").split())
        out += [f"#### `{kind}`", "", doc, "", *field_table(model), ""]
    out += [
        "Example (one Grep, then the answer):",
        "",
        "```json",
        *example_stream(),
        "```",
        "",
        "### Versioning",
        "",
        f"The schema version is {events.SCHEMA_VERSION}; `start.schema_version` carries it, and so does the MCP `expert`",
        "tool's structuredContent. Adding a field or an event type is a compatible change: consumers must ignore",
        "fields and event types they do not know. Removing or renaming a field, or changing its type or meaning,",
        "bumps the version.",
        "",
        "### MCP `expert` structuredContent",
        "",
        "The `--json` object above, plus:",
        "",
        *field_table(ExpertResult, only=[name for name in ExpertResult.model_fields if name not in final_fields]),
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
        "`ask-redis mcp` is an MCP server over stdio: the host agent starts it and calls its tools. Give it",
        "`ANTHROPIC_API_KEY` for the `expert` tool (the other tools need no key). Server flags set defaults for",
        "every call: `--repo DIR` (default: the directory the host starts it in), `--redis-url URL` (or `REDIS_URL`),",
        "`--model`, `--max-turns`. If `ask-redis` is not on the host's PATH, use the absolute path of the command",
        "(e.g. `/path/to/.venv/bin/ask-redis`).",
        "",
        "**Claude Code**",
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
        "**Any MCP client** (Cursor's `.cursor/mcp.json`, Claude Desktop, ...):",
        "",
        "```json",
        json.dumps({"mcpServers": {"ask-redis": {"command": "ask-redis", "args": ["mcp"],
                                                 "env": {"ANTHROPIC_API_KEY": "sk-ant-..."}}}}, indent=2),
        "```",
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
        "  `schema_version` and `findings` (see Output for scripts). `isError` is true when the run did not succeed.",
        "- The direct tools answer with a compact text for the model and the full data as structuredContent.",
        "- Progress: while `expert` runs, one progress notification per tool call, per finished turn and per retry",
        "  notice (when the client sends a progress token).",
        "- Cancellation: a `notifications/cancelled` for an `expert` call stops the run (the API stream is closed,",
        "  no further tool runs); the server keeps serving other calls.",
        "- Errors (bad arguments, no API key, an API failure, an unreachable Redis) are `isError` results with one",
        "  line of text; the server never exits on them. Arguments and passwords are never echoed back.",
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
    for model in [*EVENTS, events.Usage, ExpertResult]:
        documented = {k for base in model.__mro__ for k in FIELDS.get(base.__name__, {})}
        documented |= {name for name, info in model.model_fields.items() if info.description}
        missing = set(model.model_fields) - documented
        assert not missing, f"{model.__name__}: document {sorted(missing)} in FIELDS"
    for name, fields in FIELDS.items():
        model = getattr(events, name)
        stale = set(fields) - set(model.model_fields)
        assert not stale, f"{name}: FIELDS documents fields that no longer exist: {sorted(stale)}"
    assert set(SUBTYPES) == set(typing.get_args(events.Subtype))


def test_every_event_type_is_in_the_stream_union():
    union = typing.get_args(typing.get_args(events.Event)[0])
    assert set(union) == set(EVENTS)


def test_the_example_stream_parses_as_events():
    from pydantic import TypeAdapter

    adapter = TypeAdapter(events.Event)
    parsed = [adapter.validate_json(line) for line in example_stream()]
    assert type(parsed[0]) is events.Start and type(parsed[-1]) is events.Final


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
