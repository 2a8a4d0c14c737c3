"""`ask-redis doctor` against the real ripgrep, bubblewrap and redis-server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ask_redis import doctor, sandbox
from tests.fixtures_redis import PASSWORD, free_port, redis_cluster, redis_standalone  # noqa: F401

KEY = "sk-ant-api03-doctor-canary-" + "x" * 40


def run_doctor(capsys, *argv: str) -> tuple[int, str, str]:
    code = doctor.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def line(output: str, name: str) -> str:
    return next(text for text in output.splitlines() if text[6:].startswith(name))


def test_nothing_configured_fails_on_the_key_with_its_fix(capsys, tmp_path):
    code, out, _ = run_doctor(capsys, "--repo", str(tmp_path))
    assert code == 1
    assert line(out, "API key").startswith("FAIL") and "not configured" in line(out, "API key")
    assert "fix: set the ANTHROPIC_API_KEY environment variable" in out
    assert line(out, "ripgrep").startswith("ok") and "ripgrep 14." in line(out, "ripgrep")
    assert line(out, "Bash sandbox").startswith("ok") and "bubblewrap" in line(out, "Bash sandbox")
    assert line(out, "Redis").startswith("--") and "REDIS_URL" in line(out, "Redis")
    assert out.rstrip().endswith("1 problem: API key")


def test_all_good_without_redis_exits_zero_and_never_shows_the_key(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    code, out, err = run_doctor(capsys, "--repo", str(tmp_path))
    assert code == 0, out
    assert "ANTHROPIC_API_KEY is set (value hidden)" in out
    assert KEY not in out + err and "sk-ant" not in out + err
    assert out.rstrip().endswith("all checks passed")


def test_key_from_the_config_file(capsys, monkeypatch, tmp_path):
    config = tmp_path / "xdg-config" / "ask-redis" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'api_key = "{KEY}"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_doctor(capsys, "--repo", str(tmp_path))
    assert code == 0, out
    assert f"api_key is set in {config} (value hidden)" in out
    assert KEY not in out


def test_broken_config_file_is_reported(capsys, tmp_path, monkeypatch):
    config = tmp_path / "xdg-config" / "ask-redis" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("api_key = [unclosed\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_doctor(capsys, "--repo", str(tmp_path))
    assert code == 1
    assert "cannot read the configuration" in line(out, "API key")


def test_reachable_redis_shows_version_role_mode_and_hides_the_password(capsys, monkeypatch, redis_standalone, tmp_path):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    version = redis_standalone.admin().info("server")["redis_version"]
    code, out, err = run_doctor(capsys, "--repo", str(tmp_path), "--redis-url", redis_standalone.url())
    assert code == 0, out
    redis_line = line(out, "Redis")
    assert redis_line.startswith("ok")
    assert f"redis://:[REDACTED]@127.0.0.1:{redis_standalone.port}/0: Redis {version}, role master, mode standalone" in redis_line
    assert PASSWORD not in out + err


def test_redis_url_from_the_environment(capsys, monkeypatch, redis_standalone, tmp_path):
    monkeypatch.setenv("REDIS_URL", redis_standalone.url())
    code, out, _ = run_doctor(capsys, "--repo", str(tmp_path))
    assert "role master, mode standalone" in line(out, "Redis")
    assert PASSWORD not in out


def test_wrong_password_fails_without_showing_either_password(capsys, monkeypatch, redis_standalone, tmp_path):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    code, out, err = run_doctor(capsys, "--repo", str(tmp_path), "--redis-url", redis_standalone.url("not-the-pa55word"))
    assert code == 1
    assert line(out, "Redis").startswith("FAIL")
    assert "invalid username-password pair" in line(out, "Redis")
    assert "not-the-pa55word" not in out + err and PASSWORD not in out + err
    assert "fix: check host, port, password" in out


def test_unreachable_redis_fails_with_the_reason(capsys, tmp_path):
    port = free_port()
    code, out, _ = run_doctor(capsys, "--repo", str(tmp_path), "--redis-url", f"redis://127.0.0.1:{port}")
    assert code == 1
    assert "Connection refused" in line(out, "Redis")
    assert out.rstrip().endswith("2 problems: API key, Redis")


def test_not_a_redis_url(capsys, tmp_path):
    code, out, _ = run_doctor(capsys, "--repo", str(tmp_path), "--redis-url", "http://user:pw@example.com/")
    assert code == 1
    assert "unsupported scheme http://" in line(out, "Redis")
    assert ":pw@" not in out


def test_cluster_mode_is_named(capsys, redis_cluster, tmp_path):
    code, out, _ = run_doctor(capsys, "--repo", str(tmp_path), "--redis-url", redis_cluster.url)
    assert "role master, mode cluster, 3 primaries" in line(out, "Redis")


def test_sandbox_failure_is_reported_with_the_package_to_install(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setattr(sandbox, "_probed", sandbox.Capability(False, "bubblewrap (bwrap) is not installed", sandbox.INSTALL_FIX))
    code, out, _ = run_doctor(capsys, "--repo", str(tmp_path))
    assert code == 1
    assert line(out, "Bash sandbox") .startswith("FAIL")
    assert "Bash will not be offered: bubblewrap (bwrap) is not installed" in out
    assert "fix: install the bubblewrap package: apt-get install bubblewrap" in out


def test_ripgrep_missing_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    check = doctor.check_ripgrep()
    assert check.ok is False
    assert "rg not found" in check.detail and "pip install ripgrep" in check.fix


def test_ripgrep_on_path_when_not_beside_python(monkeypatch, tmp_path):
    rg = tmp_path / "bin" / "rg"
    rg.parent.mkdir()
    rg.write_text("#!/bin/sh\necho 'ripgrep 99.0.0'\n")
    rg.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(rg.parent))
    check = doctor.check_ripgrep()
    assert check.ok and check.detail == f"{rg} (ripgrep 99.0.0)"


def test_repo_that_is_not_a_directory_is_a_usage_error(capsys, tmp_path):
    code, out, err = run_doctor(capsys, "--repo", str(tmp_path / "missing"))
    assert code == 2 and out == ""
    assert err == f"ask-redis doctor: --repo {tmp_path / 'missing'}: not a directory\n"


def test_through_the_command_line(tmp_path):
    env = {**os.environ, "ANTHROPIC_API_KEY": KEY}
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-m", "ask_redis", "doctor", "--repo", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all checks passed" in done.stdout and KEY not in done.stdout + done.stderr
