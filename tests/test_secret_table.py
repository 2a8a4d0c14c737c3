"""Secrets never reach the model: every format of the table, planted in a file, read through every channel
the model has (Read, Read with offset, Grep content, Grep with context, Bash cat, base64, rev, xxd and
tail -n +2), checked on the bytes of the request the real SDK sends (respx over httpx2).

The scripted model asks for every read in one turn per channel; the test decodes each tool result the way
its transform encoded it (base64 -d, rev, xxd -r) and looks for the secret in the request body both as
bytes and decoded. The same table runs with the workspace at $HOME (holding .pgpass, .kube/config, .netrc
and .ssh/id_rsa), and a Grep oracle test probes a redacted value 200 times.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import string
from pathlib import Path

import httpx  # httpx2, aliased in conftest
import pytest

from ask_redis import cli, sandbox
from ask_redis.redact import redact
from tests.secret_table import FORMATS, KEPT, pw

BASH = sandbox.probe().ok
MODEL = "claude-sonnet-5-5"
# Bash transforms, run on one file in one call, each between markers.
TRANSFORMS = ("cat", "base64", "rev", "xxd", "tail -n +2")


def plant(root: Path, formats=FORMATS) -> None:
    for _, path, content, secret in formats:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content.format(s=secret))


def secret_parts(secret: str) -> list[str]:
    """What must not appear: the secret, and each line of a multi-line one (a PEM body)."""
    return [part for part in secret.split("\n") if len(part) >= 8]


def bash_command(path: str) -> str:
    quoted = "'" + path.replace("'", "'\\''") + "'"
    return "; ".join(f"echo '@@{t}@@'; {t} {quoted}" for t in TRANSFORMS)


def channels(formats=FORMATS, bash: bool = BASH) -> list[tuple[str, dict, str, str]]:
    """(channel, tool call, format id, path) for every format and channel."""
    calls = []
    for ident, path, content, _ in formats:
        first_line = content.splitlines()[0]
        anchor = re.escape(next((w for w in re.findall(r"[A-Za-z_]{3,}", first_line)), first_line[:3] or "."))
        calls.append(("Read", {"name": "Read", "input": {"file_path": path}}, ident, path))
        calls.append(("Read offset", {"name": "Read", "input": {"file_path": path, "offset": 2}}, ident, path))
        calls.append(("Grep content", {"name": "Grep", "input": {"pattern": ".", "path": path, "output_mode": "content"}},
                      ident, path))
        calls.append(("Grep context", {"name": "Grep", "input": {"pattern": anchor, "path": path, "output_mode": "content",
                                                                   "-C": 5}}, ident, path))
        if bash:
            calls.append(("Bash", {"name": "Bash", "input": {"command": bash_command(path)}}, ident, path))
    return calls


def decoded_views(channel: str, text: str) -> list[str]:
    """The tool result as the model could read it, and decoded the way each transform encoded it."""
    views = [text]
    if channel != "Bash":
        return views
    for piece in re.split(r"@@([a-z +-2]+)@@\n", text)[1:]:
        views.append(piece)
    sections = dict(zip(*[iter(re.split(r"@@([a-z +\-0-9]+)@@\n", text)[1:])] * 2))
    if "base64" in sections:
        try:
            views.append(base64.b64decode("".join(sections["base64"].split()), validate=False).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            pass
    if "rev" in sections:
        views.append("\n".join(line[::-1] for line in sections["rev"].splitlines()))
    if "xxd" in sections:
        hex_digits = "".join("".join(line.split(":", 1)[1][:40].split()) for line in sections["xxd"].splitlines() if ":" in line)
        try:
            views.append(bytes.fromhex(hex_digits).decode("utf-8", "replace"))
        except ValueError:
            pass
    return views


class ScriptedModel:
    """Answers the SDK's requests: one turn per batch of tool calls, then a final text; keeps every body."""

    def __init__(self, batches: list[list[dict]]):
        self.batches = batches
        self.bodies: list[bytes] = []
        self.ids: dict[str, tuple] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.content)
        turn = len(self.bodies) - 1
        if turn < len(self.batches):
            content = []
            for n, call in enumerate(self.batches[turn]):
                tool_id = f"toolu_{turn:02d}_{n:04d}"
                self.ids[tool_id] = call["meta"]
                content.append({"type": "tool_use", "id": tool_id, "name": call["name"], "input": call["input"]})
            stop = "tool_use"
        else:
            content, stop = [{"type": "text", "text": "Done."}], "end_turn"
        message = {"id": f"msg_{turn:04d}", "type": "message", "role": "assistant", "model": MODEL, "content": content,
                   "stop_reason": stop, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 10}}
        return httpx.Response(200, json=message)


def run_session(workspace: Path, calls, monkeypatch, respx_mock, capsys, extra_args=(), batch=60) -> ScriptedModel:
    batches = []
    for start in range(0, len(calls), batch):
        batches.append([{**call, "meta": (channel, ident, path)} for channel, call, ident, path in calls[start:start + batch]])
    model = ScriptedModel(batches)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    monkeypatch.chdir(workspace)
    respx_mock.post("https://api.anthropic.com/v1/messages").mock(side_effect=model)
    code = cli.main(["--no-stream", "--model", MODEL, "--max-turns", str(len(batches) + 2), "--repo", str(workspace),
                     *extra_args, "read the secrets"])
    capsys.readouterr()
    assert code == 0
    assert len(model.bodies) == len(batches) + 1
    return model


def tool_results(model: ScriptedModel) -> dict[str, tuple[tuple, str]]:
    """tool_use id -> (meta, result text), from the last request body (it holds the whole history)."""
    body = json.loads(model.bodies[-1])
    found = {}
    for message in body["messages"]:
        if message["role"] != "user" or isinstance(message["content"], str):
            continue
        for block in message["content"]:
            if block.get("type") == "tool_result":
                content = block["content"]
                text = content if isinstance(content, str) else "".join(c.get("text", "") for c in content)
                found[block["tool_use_id"]] = (model.ids[block["tool_use_id"]], text)
    return found


def leaks(model: ScriptedModel, formats) -> list[str]:
    secrets = {ident: secret_parts(secret) for ident, _, _, secret in formats}
    problems = []
    raw = b"".join(model.bodies)
    for ident, parts in secrets.items():
        for part in parts:
            for form in (part, json.dumps(part)[1:-1]):
                if form.encode() in raw:
                    problems.append(f"{ident}: the secret is in the request bytes")
    for (channel, ident, path), text in tool_results(model).values():
        for view in decoded_views(channel, text):
            if any(part in view for part in secrets[ident]):
                problems.append(f"{ident} via {channel}: {text[:160]!r}")
                break
    return sorted(set(problems))


def test_the_table_is_large_enough():
    assert len(FORMATS) >= 60
    cases = len(FORMATS) * (4 + (len(TRANSFORMS) if BASH else 0))
    assert cases >= 150, cases
    assert len(KEPT) >= 40


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    plant(root)
    return root


def test_no_format_leaks_through_any_channel(project, monkeypatch, respx_mock, capsys):
    calls = channels()
    model = run_session(project, calls, monkeypatch, respx_mock, capsys)
    results = tool_results(model)
    assert len(results) == len(calls)
    # The reads really happened: each file's structure is there, with its secret masked.
    read_results = [text for (channel, _, _), text in results.values() if channel == "Read"]
    assert sum("[REDACTED]" in text for text in read_results) == len(FORMATS)
    if BASH:
        bash_results = [text for (channel, _, _), text in results.values() if channel == "Bash"]
        assert all("@@xxd@@" in text and "Exit code" not in text.split("@@xxd@@")[0] for text in bash_results)
    assert leaks(model, FORMATS) == []


def test_the_session_redis_password_is_masked_in_any_file(project, tmp_path, monkeypatch, respx_mock, capsys):
    """A repository file holding the session's own Redis password where no pattern can tell it is a secret."""
    from tests.fixtures_redis import start_server

    password = pw("session-redis")
    (project / "notes.txt").write_text(f"remember {password} for later\n")
    formats = [("session-password", "notes.txt", "remember {s} for later\n", password)]
    server = start_server(tmp_path / "redis", password=password)
    try:
        model = run_session(project, channels(formats), monkeypatch, respx_mock, capsys,
                            extra_args=("--redis-url", server.url()))
    finally:
        server.stop()
    assert password in server.url()
    assert leaks(model, formats) == []


HOME_FORMATS = [
    ("home-pgpass", ".pgpass", "db.internal:5432:*:postgres:{s}\n", pw("home-pgpass")),
    ("home-kube", ".kube/config", "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: {s}\n",
     pw("home-kube")),
    ("home-netrc", ".netrc", "machine github.com login me password {s}\n", pw("home-netrc")),
    ("home-ssh", ".ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n{s}\n-----END OPENSSH PRIVATE KEY-----\n",
     "\n".join(pw(f"ssh{i}") * 4 for i in range(3))),
]


def test_the_table_holds_with_the_workspace_at_home(tmp_path, monkeypatch, respx_mock, capsys):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    plant(home, HOME_FORMATS)
    plant(home / "src", FORMATS[:20])
    formats = HOME_FORMATS + [(i, "src/" + p, c, s) for i, p, c, s in FORMATS[:20]]
    model = run_session(home, channels(formats), monkeypatch, respx_mock, capsys)
    assert leaks(model, formats) == []


@pytest.mark.skipif(not BASH, reason="needs the Bash sandbox")
def test_the_sandbox_proc_dev_and_tmp_are_its_own(project, tmp_path):
    canary = Path("/tmp") / f"ask-redis-host-canary-{os.getpid()}"
    canary.write_text("host\n")
    try:
        for workspace in (project, tmp_path, Path(os.environ.get("HOME", "/root"))):
            result = sandbox.run("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done; "
                                 "echo x > /dev/null && echo devnull-ok; echo tmp: $(ls -A /tmp)", workspace)
            out = result.output
            commands = [line for line in out.splitlines() if line.strip() and not line.startswith(("devnull-ok", "tmp:"))]
            # Only the sandbox: its bwrap init, the shell and the loop's children; none of the host's processes.
            assert len(commands) <= 4, out
            assert "pytest" not in " ".join(c for c in commands if not c.startswith("/usr/bin/bwrap")), out
            assert not any("python" in c.split(" ")[0] for c in commands), out
            assert "devnull-ok" in out and "Permission denied" not in out, out
            tmp = [line for line in out.splitlines() if line.startswith("tmp:")][-1].split()[1:]
            assert canary.name not in tmp, out
            inside_tmp = workspace.parts[2:3] if workspace.parts[1:2] == ("tmp",) else ()
            assert set(tmp) <= set(inside_tmp), out  # at most the mount point of a workspace under /tmp
    finally:
        canary.unlink()


def test_a_workspace_of_root_is_refused_with_one_line(capsys):
    assert cli.main(["--repo", "/", "review my cache"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be /" in err
    with pytest.raises(RuntimeError, match="cannot be /"):
        sandbox.run("true", Path("/"))
    for system in ("/proc", "/dev", "/tmp", "/proc/self"):
        assert sandbox.workspace_problem(Path(system)), system


# ------------------------------------------------------------------------------------------- the Grep oracle


def test_grep_probing_recovers_nothing(tmp_path, monkeypatch, respx_mock, capsys):
    """200 files_with_matches/count/content calls, each a guess at the next character of a redacted value."""
    secret = "Zk4pQ9xLm2"
    (tmp_path / "redis.conf").write_text(f"port 6379\nrequirepass {secret}\n")
    (tmp_path / ".env").write_text(f"REDIS_PASSWORD={secret}\n")
    alphabet = string.ascii_letters + string.digits
    calls = []
    modes = ("files_with_matches", "count", "content")
    for n in range(200):
        prefix = secret[: n % 4]
        guess = prefix + alphabet[n % len(alphabet)]
        mode = modes[n % 3]
        pattern = f"requirepass {re.escape(guess)}" if n % 2 else f"REDIS_PASSWORD={re.escape(guess)}"
        calls.append(("Grep", {"name": "Grep", "input": {"pattern": pattern, "output_mode": mode}}, "oracle", ""))
    model = run_session(tmp_path, calls, monkeypatch, respx_mock, capsys, batch=50)
    results = tool_results(model)
    assert len(results) == 200
    answers = {text for _, text in results.values()}
    # Every probe gets the same answer, whether its guess was right or wrong: nothing to learn.
    assert all(text.startswith("No matches found") for text in answers), answers
    assert len(answers) == 1, answers
    assert secret.encode() not in b"".join(model.bodies)


# ------------------------------------------------------------------------------------------- kept readable


@pytest.mark.parametrize("text", KEPT, ids=[t[:40] for t in KEPT])
def test_kept_readable(text):
    assert redact(text) == text


def test_kept_readable_through_read(tmp_path):
    from ask_redis.tools import ToolContext, discover, run_tool

    tools = {t.name: t for t in discover()}
    (tmp_path / "notes.md").write_text("\n".join(KEPT) + "\n")
    out = run_tool(tools, "Read", {"file_path": "notes.md"}, ToolContext(workspace=tmp_path)).content
    shown = "\n".join(line.split("\t", 1)[1] for line in out.splitlines() if "\t" in line)
    assert shown == "\n".join(KEPT)
