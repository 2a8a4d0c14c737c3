"""Installs the way Python CLI users expect: `pipx install .` and `uv tool install .` from a clone, in a fresh
HOME, and the wheel `python -m build` makes. Each gives a working `ask-redis --version` and `ask-redis review`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.transcript_kit import ROOT

BIN = Path(sys.executable).parent
CODE = "import redis\n\nr = redis.Redis()\n\ndef clear():\n    for k in r.keys('product:*'):\n        r.delete(k)\n"


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The repository's tracked files, as a fresh clone has them (under a path with a space)."""
    target = tmp_path_factory.mktemp("packaging") / "ask redis clone"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def fresh_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANTHROPIC", "REDIS_URL", "ASK_REDIS", "PYTHON", "VIRTUAL_ENV", "XDG_", "PIPX", "UV_"))}
    env.update(HOME=str(home), **extra)
    return env


def works(command: Path, home: Path, tmp_path: Path) -> None:
    version = subprocess.run([str(command), "--version"], env=fresh_env(home), capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("ask-redis "), version.stderr
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "cache.py").write_text(CODE)
    review = subprocess.run([str(command), "review", str(project)], cwd=project, env=fresh_env(home), capture_output=True,
                            text=True, timeout=120)
    assert review.returncode == 0, review.stderr
    assert "keys-command" in review.stdout and "cache.py:6" in review.stdout
    assert "Traceback" not in review.stderr


def test_pipx_install_from_a_clone(clone, tmp_path):
    home = tmp_path / "home"
    env = fresh_env(home, PIPX_HOME=str(home / ".local/share/pipx"), PIPX_BIN_DIR=str(home / ".local/bin"))
    result = subprocess.run([str(BIN / "python"), "-m", "pipx", "install", str(clone)], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    works(home / ".local" / "bin" / "ask-redis", home, tmp_path)


def test_uv_tool_install_from_a_clone(clone, tmp_path):
    home = tmp_path / "home"
    env = fresh_env(home, UV_TOOL_DIR=str(home / ".local/share/uv/tools"), UV_TOOL_BIN_DIR=str(home / ".local/bin"),
                    UV_CACHE_DIR=str(home / ".cache/uv"))
    result = subprocess.run([str(BIN / "uv"), "tool", "install", str(clone)], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    works(home / ".local" / "bin" / "ask-redis", home, tmp_path)


def test_python_m_build_makes_a_wheel_that_installs(clone, tmp_path):
    result = subprocess.run([str(BIN / "python"), "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(clone)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    wheel = next((tmp_path / "dist").glob("ask_redis-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "ask_redis/prompts/skill-ask-redis.md" in names and "ask_redis/plugin.py" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], capture_output=True, text=True,
                               timeout=600)
    assert installed.returncode == 0, installed.stderr
    works(venv / "bin" / "ask-redis", tmp_path / "home", tmp_path)
