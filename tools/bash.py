"""Bash: run a shell command in a fresh bubblewrap sandbox over the read-only workspace."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from ask_redis import sandbox
from ask_redis.secret_files import sandbox_binds
from ask_redis.tools import Tool, ToolContext, ToolError, session_secrets
from ask_redis.tools.workspace import is_inside

DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000
MAX_OUTPUT_CHARS = 30_000
CWD_KEY = "bash_cwd"


class BashInput(BaseModel):
    command: str = Field(description="The bash command to run.")
    timeout: int | None = Field(
        default=None, ge=1, le=MAX_TIMEOUT_MS,
        description=f"Timeout in milliseconds (default {DEFAULT_TIMEOUT_MS}, max {MAX_TIMEOUT_MS}).",
    )
    description: str | None = Field(
        default=None, description="What the command does, in 5-10 words (shown to the user)."
    )


class Bash(Tool):
    name = "Bash"
    description = f"""Runs a bash command in a sandbox and returns its output (stdout and stderr merged, "Exit code N" appended on failure).

Sandbox rules, enforced for every call:
- The repository is mounted read-only at its real path: writing, deleting or moving files in it fails with "Read-only file system".
- There is no network at all: no DNS, no HTTP, no package installs, no connection to Redis or any other server.
- /tmp and $HOME are empty scratch space; anything written there is discarded when the call ends.
- The environment holds only PATH, HOME and LANG: no credentials, no REDIS_URL.
- At most {sandbox.MAX_PROCESSES} processes; memory and file sizes are capped.
- Everything the command starts is killed when it ends, so background servers and daemons do not survive.
- stdin is /dev/null: interactive commands get end-of-file at once.

The working directory persists between calls (a `cd` stays, inside the repository); variables, functions and aliases do not.
Prefer Read, Grep and Glob to read and search files. Use Bash to list dependencies, run a script, parse a config, or run git log/diff, jq, python3.
`timeout` is in milliseconds (default {DEFAULT_TIMEOUT_MS}, max {MAX_TIMEOUT_MS}). Output over {MAX_OUTPUT_CHARS} characters keeps its head and tail with a "[N lines truncated]" marker."""
    Input = BashInput

    def unavailable_reason(self, ctx: ToolContext) -> str | None:
        return sandbox.probe().explain()

    def run(self, input: BashInput, ctx: ToolContext) -> str:
        if not input.command.strip():
            raise ToolError("command is empty.")
        if "\x00" in input.command:
            raise ToolError("command contains a NUL byte.")
        workspace = ctx.workspace.resolve()
        cwd = _current_dir(ctx, workspace)
        timeout_ms = input.timeout or DEFAULT_TIMEOUT_MS
        problem = sandbox.workspace_problem(workspace)
        if problem:
            raise ToolError(f"Bash is unavailable: {problem}")
        try:
            # Files with secrets are bound as masked copies, so no transform inside can recover a value.
            masked = sandbox_binds(workspace, tuple(session_secrets(ctx)))
            result = sandbox.run(input.command, workspace, cwd, timeout_ms / 1000, MAX_OUTPUT_CHARS, masked)
        except RuntimeError as error:
            raise ToolError(f"Bash is unavailable: {error}") from None

        notes = []
        if result.timed_out:
            notes.append(f"Command timed out after {timeout_ms} ms and was killed, with everything it started.")
        elif result.exit_code:
            notes.append(f"Exit code {result.exit_code}")
        if result.cwd:
            reported = Path(result.cwd)
            if reported.is_absolute() and reported.is_dir() and is_inside(reported.resolve(), workspace):
                ctx.state[CWD_KEY] = str(reported.resolve())
            else:
                ctx.state[CWD_KEY] = str(workspace)
                notes.append(f"Shell cwd was reset to {workspace} (the working directory stays inside the repository).")
        output = result.output.rstrip("\n")
        if not output and not notes:
            return "(no output)"
        text = "\n".join(part for part in [output, *notes] if part)
        if result.exit_code or result.timed_out:
            raise ToolError(text)  # a failed command is an is_error result, as in Claude Code
        return text


def _current_dir(ctx: ToolContext, workspace: Path) -> Path:
    saved = ctx.state.get(CWD_KEY)
    if saved:
        path = Path(saved)
        if path.is_dir() and is_inside(path.resolve(), workspace):
            return path.resolve()
    ctx.state[CWD_KEY] = str(workspace)
    return workspace


TOOLS = [Bash()]
