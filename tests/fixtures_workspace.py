"""A workspace tree with every awkward file the Read, Grep and Glob tools must handle, built in tmp_path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ask_redis.tools import ToolContext, ToolOutcome, discover, run_tool

# Written only outside the workspace; no tool result may ever contain it.
CANARY = "CANARY-7f3e91-outside-the-workspace"
BIG_LINES = 3000


@dataclass
class Workspace:
    root: Path
    outside: Path
    ctx: ToolContext

    def call(self, tool: str, **arguments) -> ToolOutcome:
        """Run a tool the way the loop does: validated, redacted, never raising."""
        outcome = run_tool(TOOLS, tool, arguments, self.ctx)
        assert CANARY not in outcome.content, f"{tool} leaked the canary: {arguments}"
        assert "failed unexpectedly" not in outcome.content, outcome.content
        return outcome

    def ok(self, tool: str, **arguments) -> str:
        outcome = self.call(tool, **arguments)
        assert not outcome.is_error, outcome.content
        return outcome.content

    def error(self, tool: str, **arguments) -> str:
        outcome = self.call(tool, **arguments)
        assert outcome.is_error, outcome.content
        return outcome.content


TOOLS = {tool.name: tool for tool in discover() if tool.name in ("Read", "Grep", "Glob")}


def build_workspace(base: Path) -> Workspace:
    root = base / "repo"
    outside = base / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "canary.txt").write_text(f"{CANARY}\nredis_url = 'redis://cache:6379'\n")
    (outside / "dir" / "inner.py").write_text(f"# {CANARY}\nimport redis\n")

    nested = root / "src" / "app" / "cache"
    nested.mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "build").mkdir()

    # 3000 lines, so the default window (2000) shows only part of it.
    (root / "big.txt").write_text("".join(f"line {n}: cache:user:{n}\n" for n in range(1, BIG_LINES + 1)))
    # A UTF-8 BOM and Windows line endings.
    (root / "windows.txt").write_bytes(b"\xef\xbb\xbfredis_host = cache\r\nredis_port = 6379\r\n")
    # A binary file that also contains a searchable word.
    (root / "dump.rdb").write_bytes(b"REDIS0011\x00\x01\xfa\tredis-ver\x057.0.15\x00" + bytes(range(256)))
    # Ignored by .gitignore (no .git directory: the ignore file must count anyway).
    (root / ".gitignore").write_text("ignored_settings.py\nbuild/\n")
    (root / "ignored_settings.py").write_text("import redis\nCLIENT = redis.Redis()\n")
    (root / "build" / "generated.py").write_text("import redis  # generated\n")
    # Hidden files, one holding a secret the model must see as set but never see.
    (root / ".env").write_text("REDIS_URL=redis://default:hunter2@cache:6379/0\nREDIS_PASSWORD=hunter2\n")
    (root / ".hidden_worker.py").write_text("import redis\nQUEUE = 'jobs'\n")
    # A file name with spaces.
    (root / "cache notes.md").write_text("# Cache notes\nUse redis pipelines.\n")
    # Latin-1 bytes that are not valid UTF-8.
    (root / "latin1.txt").write_bytes(b"caf\xe9 redis\nna\xefve\n")
    # Nested directories with ordinary code.
    (root / "src" / "app" / "__init__.py").write_text("")
    (nested / "redis_client.py").write_text(
        "import redis\n\n\ndef client():\n    return redis.Redis(host='cache', socket_timeout=1)\n\n\n"
        "def get_user(r, uid):\n    return r.get(f'user:{uid}')\n"
    )
    (root / "tests" / "test_cache.py").write_text("import redis\n\n\ndef test_ping():\n    assert redis\n")
    (root / "-dash.py").write_text("value = -1\n")
    # A VCS directory: never searched.
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[remote] url = redis-in-git-config\n")
    # Symlinks that leave the workspace, and one that stays inside.
    (root / "canary_link.txt").symlink_to(outside / "canary.txt")
    (root / "outside_dir").symlink_to(outside / "dir")
    (root / "src" / "inside_link.py").symlink_to(nested / "redis_client.py")
    return Workspace(root=root, outside=outside, ctx=ToolContext(workspace=root))


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return build_workspace(tmp_path)
