"""Installed from a wheel into a clean venv, the CLI works as a user would run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ask_redis.transcript import Replayer
from tests.standin import StandIn
from tests.test_cli import workspace
from tests.transcript_kit import ROOT, TRANSCRIPTS


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(base / "dist"), str(ROOT)], check=True)
    wheel = next((base / "dist").glob("ask_redis-*.whl"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)], check=True)
    return venv


def site_packages(venv: Path) -> Path:
    return next(venv.glob("lib/python*/site-packages"))


def test_only_ask_redis_lands_in_site_packages(installed):
    record = next(site_packages(installed).glob("ask_redis-*.dist-info")) / "RECORD"
    top_levels = {line.split("/")[0] for line in record.read_text().splitlines()}
    assert {name for name in top_levels if not name.endswith(".dist-info") and name != ".."} == {"ask_redis"}
    assert (site_packages(installed) / "ask_redis" / "prompts" / "redis-expert.md").is_file()
    assert (site_packages(installed) / "ask_redis" / "tools" / "__init__.py").is_file()
    assert not (site_packages(installed) / "agent").exists() and not (site_packages(installed) / "tools").exists()


def test_every_source_module_is_in_the_wheel(installed):
    package = site_packages(installed) / "ask_redis"
    for folder, target in (("agent", package), ("tools", package / "tools"), ("prompts", package / "prompts")):
        for source in (ROOT / folder).rglob("*.py"):
            if "__pycache__" not in source.parts:
                assert (target / source.relative_to(ROOT / folder)).is_file(), f"{source.relative_to(ROOT)} is not installed"


@pytest.mark.parametrize("name, extra", [("review-streamed", []), ("review-json", [])])
def test_installed_cli_completes_a_review(installed, name, extra, tmp_path):
    path = TRANSCRIPTS / f"{name}.json"
    data = json.loads(path.read_text())
    repo = workspace(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "REDIS_URL", "ASK_REDIS", "PYTHON"))}
    with StandIn(Replayer(path, workspace=str(repo))) as standin:
        env.update({"ANTHROPIC_API_KEY": "sk-ant-installed-test", "ANTHROPIC_BASE_URL": standin.url})
        result = subprocess.run([str(installed / "bin" / "ask-redis"), *data["session"]["argv"]], cwd=repo, env=env,
                                capture_output=True, text=True, timeout=120)
    assert not standin.errors, standin.errors
    standin.replayer.assert_done()
    assert result.returncode == 0, result.stderr
    for needle in data["expect"]["stdout"]:
        assert needle in result.stdout


def test_python_dash_m_works_when_installed(installed):
    result = subprocess.run([str(installed / "bin" / "python"), "-m", "ask_redis", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("usage: ask-redis")
