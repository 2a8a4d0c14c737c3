"""The Bash tool over real bubblewrap: output, exit codes, timeouts, the working directory, the probe."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from ask_redis import sandbox
from ask_redis.tools import ToolContext, available, run_tool
from ask_redis.tools.bash import MAX_OUTPUT_CHARS, MAX_TIMEOUT_MS, TOOLS, Bash

BASH = {tool.name: tool for tool in TOOLS}


@pytest.fixture
def ctx(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    workspace = tmp_path / "repo"
    (workspace / "src" / "deep").mkdir(parents=True)
    (workspace / "README.md").write_text("hello from the repo\n")
    (workspace / "src" / "app.py").write_text("print('app')\n")
    return ToolContext(workspace=workspace)


def bash(ctx: ToolContext, command: str, **extra):
    return run_tool(BASH, "Bash", {"command": command, **extra}, ctx)


def host_processes_matching(text: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline:
                found.append(f"{entry}: {cmdline}")
    return found


def test_schema_and_description_state_the_sandbox_rules():
    schema = Bash().schema()
    assert schema["name"] == "Bash"
    assert schema["input_schema"]["required"] == ["command"]
    assert set(schema["input_schema"]["properties"]) == {"command", "timeout", "description"}
    description = schema["description"]
    for rule in ("read-only", "no network", "/tmp", "discarded", "PATH, HOME and LANG", "killed when it ends", "milliseconds"):
        assert rule in description, rule


def test_stdout_and_stderr_are_merged_in_order(ctx):
    result = bash(ctx, "echo one; echo two >&2; echo three")
    assert not result.is_error
    assert result.content == "one\ntwo\nthree"


def test_failure_is_an_error_with_the_exit_code(ctx):
    result = bash(ctx, "echo partial; exit 7")
    assert result.is_error and result.content == "partial\nExit code 7"
    assert bash(ctx, "false").content == "Exit code 1" and bash(ctx, "false").is_error
    assert not bash(ctx, "true").is_error


def test_the_shipped_ripgrep_is_on_the_sandbox_path(ctx):
    result = bash(ctx, "rg --version")
    assert not result.is_error and result.content.startswith("ripgrep 14.1.0"), result.content


def test_success_without_output_says_so(ctx):
    assert bash(ctx, "true").content == "(no output)"


def test_runs_at_the_workspace_real_path_and_reads_it(ctx):
    result = bash(ctx, "pwd; cat README.md; ls src")
    assert result.content.splitlines() == [str(ctx.workspace.resolve()), "hello from the repo", "app.py", "deep"]


def test_workspace_is_read_only(ctx):
    result = bash(ctx, "echo changed > README.md")
    assert "Read-only file system" in result.content
    assert result.content.endswith("Exit code 1")
    assert (ctx.workspace / "README.md").read_text() == "hello from the repo\n"


def test_working_directory_persists_but_shell_state_does_not(ctx):
    assert bash(ctx, "cd src/deep && export GREETING=hi && greet() { echo x; }").content == "(no output)"
    assert bash(ctx, "pwd").content == str(ctx.workspace.resolve() / "src" / "deep")
    assert bash(ctx, 'echo "[$GREETING]"; type greet 2>&1 | head -1').content.splitlines()[0] == "[]"
    assert bash(ctx, "cd ..; pwd").content == str(ctx.workspace.resolve() / "src")
    assert bash(ctx, "pwd").content == str(ctx.workspace.resolve() / "src")


def test_working_directory_never_leaves_the_workspace(ctx):
    result = bash(ctx, "cd /usr/bin && pwd")
    assert result.content.startswith("/usr/bin\n")
    assert "Shell cwd was reset to" in result.content
    assert bash(ctx, "pwd").content == str(ctx.workspace.resolve())
    # A working directory that only exists inside the sandbox is refused the same way.
    assert "Shell cwd was reset to" in bash(ctx, "mkdir -p /tmp/x && cd /tmp/x").content
    assert bash(ctx, "pwd").content == str(ctx.workspace.resolve())


def test_a_stale_working_directory_falls_back_to_the_workspace(ctx, tmp_path):
    ctx.state["bash_cwd"] = str(tmp_path / "gone")
    assert bash(ctx, "pwd").content == str(ctx.workspace.resolve())
    ctx.state["bash_cwd"] = "/etc"
    assert bash(ctx, "pwd").content == str(ctx.workspace.resolve())


def test_each_call_gets_a_fresh_scratch_space(ctx):
    assert bash(ctx, "echo kept? > /tmp/note && echo x > ~/note && cat /tmp/note").content == "kept?"
    result = bash(ctx, "ls -A /tmp ~")
    assert "note" not in result.content


def test_environment_is_minimal_and_holds_no_secret(ctx, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-secret-value")
    monkeypatch.setenv("REDIS_URL", "redis://:hunter2@127.0.0.1:6379/0")
    names = {line.split("=", 1)[0] for line in bash(ctx, "env").content.splitlines()}
    assert names <= {"PATH", "HOME", "LANG", "PWD", "SHLVL", "_", "OLDPWD"}
    assert {"PATH", "HOME", "LANG"} <= names
    everything = bash(ctx, "cat /proc/1/environ /proc/self/environ /proc/$PPID/environ | tr '\\0' '\\n'").content
    assert "sk-ant-test-secret-value" not in everything and "hunter2" not in everything


def test_results_are_redacted(ctx):
    assert bash(ctx, "echo redis://:s3cret@cache:6379").content == "redis://:[REDACTED]@cache:6379"


def test_stdin_is_dev_null(ctx):
    result = bash(ctx, "readlink /proc/self/fd/0; cat; read -r x; echo read=$?")
    assert result.content == "/dev/null\nread=1"


def test_timeout_kills_the_command_and_what_it_started(ctx):
    result = bash(ctx, "echo before; (sleep 876.25 &); sleep 30", timeout=500)
    assert result.content == "before\nCommand timed out after 500 ms and was killed, with everything it started."
    assert host_processes_matching("sleep 876.25") == []


def test_daemons_do_not_outlive_the_call(ctx):
    result = bash(ctx, "setsid nohup sleep 765.5 > /dev/null 2>&1 & echo started")
    assert result.content == "started"
    assert host_processes_matching("sleep 765.5") == []


@pytest.mark.parametrize("timeout", [0, -5, MAX_TIMEOUT_MS + 1])
def test_timeout_out_of_range_is_refused(ctx, timeout):
    result = bash(ctx, "true", timeout=timeout)
    assert result.is_error
    assert result.content.startswith("Invalid input for Bash: timeout:")


def test_empty_command_is_refused(ctx):
    result = bash(ctx, "   ")
    assert result.is_error and result.content == "command is empty."


def test_long_output_keeps_head_and_tail(ctx):
    result = bash(ctx, "seq 1 100000")
    lines = result.content.splitlines()
    assert len(result.content) <= MAX_OUTPUT_CHARS + 100
    assert lines[0] == "1" and lines[-1] == "100000"
    marker = next(i for i, line in enumerate(lines) if "lines truncated" in line)
    left_out = int(re.search(r"\[(\d+) lines truncated\]", lines[marker]).group(1))
    head = [int(x) for x in lines[:marker] if x]
    tail = [int(x) for x in lines[marker + 1 :] if x]
    # Whole lines on both sides, consecutive, and the count of those left out is exact.
    assert head == list(range(1, len(head) + 1))
    assert tail == list(range(100001 - len(tail), 100001))
    assert len(head) + left_out + len(tail) == 100000


def test_output_cap_counts_lines_and_keeps_utf8_whole():
    cap = sandbox.OutputCap(40)
    for i in range(1000):
        cap.feed(f"ligne é {i}\n".encode())
    text = cap.text()
    assert text.startswith("ligne é 0\n") and text.endswith("ligne é 999\n")
    kept = [line for line in text.splitlines() if line.startswith("ligne")]
    left_out = int(re.search(r"\[(\d+) lines truncated\]", text).group(1))
    assert len(kept) + left_out == 1000
    assert "\ufffd" not in text


def test_output_cap_without_newlines_counts_characters():
    cap = sandbox.OutputCap(100)
    cap.feed(b"a" * 10_000)
    assert cap.text() == "a" * 50 + "\n... [9900 characters truncated] ...\n" + "a" * 50


def test_output_cap_short_output_is_untouched():
    cap = sandbox.OutputCap(100)
    cap.feed(b"x" * 60)
    cap.feed(b"y" * 40)
    assert cap.text() == "x" * 60 + "y" * 40


def test_bwrap_arguments_hold_the_rules(tmp_path, monkeypatch):
    home = tmp_path / "home"
    workspace = tmp_path / "repo"
    monkeypatch.setenv("HOME", str(home))
    args = sandbox.bwrap_args(workspace, workspace, seccomp_fd=9)
    for flag in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in args
    assert "--bind" not in args and "--dev-bind" not in args and "--share-net" not in args
    pairs = list(zip(args, args[1:], args[2:]))
    assert ("--ro-bind", str(workspace), str(workspace)) in pairs
    assert ("--ro-bind", "/proc/sys", "/proc/sys") in pairs
    assert ("--setenv", "HOME", str(home)) in pairs
    assert args[args.index("--tmpfs", args.index(str(home)) - 2) + 1] == str(home)
    assert ("--seccomp", "9", "--chdir") in pairs
    # Parents are mounted before what they contain: /tmp before the home and workspace in it.
    assert args.index("/tmp") < args.index(str(home)) and args.index("/tmp") < args.index(str(workspace))


def test_home_that_is_the_workspace_is_not_hidden_and_home_becomes_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    args = sandbox.bwrap_args(tmp_path, tmp_path, seccomp_fd=None)
    assert ("--setenv", "HOME", "/tmp") in list(zip(args, args[1:], args[2:]))
    assert "--seccomp" not in args


def test_seccomp_filter_shapes():
    for machine in ("x86_64", "aarch64"):
        program = sandbox.seccomp_filter(machine)
        assert program and len(program) % 8 == 0
    assert sandbox.seccomp_filter("riscv64") is None


def test_probe_works_here_and_names_the_process_limit():
    capability = sandbox.probe()
    assert capability.ok, capability.explain()
    assert capability.explain() is None
    assert str(sandbox.MAX_PROCESSES) in capability.process_limit


def test_probe_without_bubblewrap_names_the_package(tmp_path):
    capability = sandbox.probe(bwrap=str(tmp_path / "no-such-bwrap"))
    assert not capability.ok
    assert "bubblewrap (bwrap) is not installed" in capability.explain()
    assert "apt-get install bubblewrap" in capability.explain()


def test_probe_with_a_bubblewrap_that_cannot_create_namespaces(tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    capability = sandbox.probe(bwrap=str(fake))
    assert not capability.ok
    assert "cannot create the sandbox's namespaces (bwrap: No permissions to create new namespace)" in capability.reason
    assert "user namespaces" in capability.fix


def test_bash_is_not_offered_when_the_probe_fails(ctx, monkeypatch):
    failing = sandbox.Capability(False, "bubblewrap (bwrap) is not installed", sandbox.INSTALL_FIX)
    monkeypatch.setattr(sandbox, "_probed", failing)
    offered, left_out = available(ctx, only={"Bash"})
    assert offered == []
    assert left_out["Bash"] == failing.explain()
    result = bash(ctx, "echo hi")
    assert result.is_error and "apt-get install bubblewrap" in result.content


def test_bash_is_offered_when_the_probe_works(ctx):
    offered, left_out = available(ctx, only={"Bash"})
    assert [tool.name for tool in offered] == ["Bash"] and left_out == {}


def test_a_sandbox_that_cannot_join_its_cgroup_never_runs(tmp_path, monkeypatch):
    if sandbox.probe().ok and sandbox._cgroups is None:
        pytest.skip("processes are capped with ulimit here, not a cgroup")
    monkeypatch.setattr(sandbox._CallCgroup, "procs_files", lambda self: ["/proc/version"])
    result = sandbox._run(sandbox.find_bwrap(), sandbox._cgroups, "echo ran", tmp_path, tmp_path, 10, 1000)
    assert "ran" not in result.output
    assert result.exit_code != 0


SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists() or not Path(SYSTEM_PYTHON).exists(),
                    reason="needs root, setpriv and /usr/bin/python3 to run the sandbox as another user")
def test_as_a_regular_user_ulimit_caps_processes():
    """The other branch: a non-root user's sandbox uid maps to that user, so ulimit -u binds."""
    base = Path(tempfile.mkdtemp(prefix="ask-redis-nobody-"))
    try:
        base.chmod(0o755)
        (base / "ask_redis").symlink_to(Path(sandbox.__file__).parent)
        workspace = base / "repo"
        workspace.mkdir(mode=0o755)
        script = (
            "from pathlib import Path\nfrom ask_redis import sandbox\n"
            "capability = sandbox.probe()\n"
            "print(capability.process_limit or 'unavailable: ' + capability.explain())\n"
            "if capability.ok:\n"
            f"    print(sandbox.run(open(0).read(), Path({str(workspace)!r})).output)\n"
        )
        fork_loop = (
            "id -u; python3 -c \"\nimport os, time\nn = 0\ntry:\n"
            f"    for _ in range({2 * sandbox.MAX_PROCESSES}):\n"
            "        if os.fork() == 0:\n            time.sleep(5)\n            os._exit(0)\n        n += 1\n"
            "except OSError:\n    print('refused')\nprint('started', n)\n\""
        )
        done = subprocess.run(
            ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", SYSTEM_PYTHON, "-c", script],
            input=fork_loop, capture_output=True, text=True, timeout=120, cwd="/",
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(base), "HOME": str(base / "home")},
        )
    finally:
        shutil.rmtree(base)
    lines = done.stdout.splitlines()
    if lines and "cannot create the sandbox's namespaces" in lines[0]:
        # e.g. Ubuntu 24.04's AppArmor keeps unprivileged users out of user namespaces.
        pytest.skip(f"this machine does not let uid 65534 create namespaces: {lines[0]}")
    assert lines[0] == f"ulimit -u {sandbox.MAX_PROCESSES} (uid 65534)", done.stdout + done.stderr
    assert lines[1] == "65534" and "refused" in lines
    started = int(next(line for line in lines if line.startswith("started")).split()[1])
    assert started < sandbox.MAX_PROCESSES


def test_home_that_holds_the_workspace_shows_only_the_workspace(tmp_path, monkeypatch):
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519").write_text("PRIVATE KEY\n")
    workspace = tmp_path / "repo"
    workspace.mkdir()
    (workspace / "app.py").write_text("x = 1\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    result = bash(ToolContext(workspace=workspace), "echo $HOME; ls -A ~; cat ~/.ssh/id_ed25519")
    lines = result.content.splitlines()
    assert lines[:2] == [str(tmp_path), "repo"]
    assert "PRIVATE KEY" not in result.content and "No such file" in result.content


def test_options_an_older_bubblewrap_lacks_are_left_out_with_their_values(tmp_path):
    args = sandbox.bwrap_args(tmp_path, tmp_path, seccomp_fd=None)
    older = sandbox.without(args, frozenset({"--size", "--disable-userns"}))
    assert "--size" not in older and "--disable-userns" not in older
    assert len(older) == len(args) - 1 - 2 * args.count("--size")
    assert [a for a in older if a.isdigit()] == []  # no size value left behind as a stray argument
    assert sandbox.unknown_options(sandbox.find_bwrap()) == frozenset()  # the installed 0.8+ knows both


def test_a_bubblewrap_too_old_for_an_option_is_named(tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\n[ \"$1\" = --help ] && exit 0\necho 'bwrap: Unknown option --clearenv' >&2\nexit 1\n")
    fake.chmod(0o755)
    capability = sandbox.probe(bwrap=str(fake))
    assert capability.reason == "this bubblewrap is too old (bwrap: Unknown option --clearenv)"
    assert capability.fix == "install bubblewrap 0.5 or newer"
