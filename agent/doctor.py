"""`ask-redis doctor`: what works here, what does not, and how to fix each failure."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ask_redis.redact import redact

REDIS_TIMEOUT_SECONDS = 2.0
API_KEY_FIX = (
    "set the ANTHROPIC_API_KEY environment variable (create a key at https://console.anthropic.com/settings/keys), "
    "or set api_key in ~/.config/ask-redis/config.toml; without a key, one-shot questions fall back to `ask-redis review`"
)
RIPGREP_FIX = "pip install ripgrep==14.1.0 into ask-redis's environment, or install ripgrep (apt-get install ripgrep)"


@dataclass
class Check:
    name: str
    ok: bool | None  # None: not configured, nothing to check
    detail: str
    fix: str | None = None
    required: bool = True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="ask-redis doctor",
        description="Check the API key, ripgrep, the Bash sandbox and the Redis URL, with a fix for each failure.",
    )
    parser.add_argument("--repo", default=".", help="the repository the tools will work in (default: current directory)")
    parser.add_argument("--redis-url", help="the Redis to check (default: REDIS_URL); its password is never shown")
    parser.add_argument("--verbose", action="store_true", help="show full error details")
    args = parser.parse_args(argv)
    repo = Path(args.repo).expanduser()
    if not repo.is_dir():
        sys.stderr.write(f"ask-redis doctor: --repo {args.repo}: not a directory\n")
        return 2
    try:
        checks = run_checks(repo.resolve(), args.redis_url or os.environ.get("REDIS_URL") or configured_redis_url())
    except Exception as error:  # one line for the user, details only on request
        if args.verbose:
            raise
        sys.stderr.write(f"ask-redis doctor: error: {redact(f'{type(error).__name__}: {error}')}\n")
        return 1
    print(report(checks))
    return 0 if all(c.ok or (c.ok is None and not c.required) for c in checks) else 1


def run_checks(repo: Path, redis_url: str | None) -> list[Check]:
    return [check_config(), check_api_key(), check_ripgrep(), check_sandbox(repo), check_redis(redis_url)]


def check_config() -> Check:
    """The settings every run loads: a bad value here stops one-shot and chat before they start."""
    from ask_redis.config import ConfigError, config_path, load

    path = config_path()
    try:
        load({"repo": "/"})
    except ConfigError as error:
        return Check("Config", False, redact(str(error)), f"correct or remove that setting (file: {path})")
    if not path.is_file():
        return Check("Config", None, f"no config file at {path} (optional)", required=False)
    return Check("Config", True, f"{path} is valid")


def configured_redis_url() -> str | None:
    """redis_url from the config file, the default for one-shot and chat too."""
    from ask_redis.config import ConfigError, load

    try:
        return load({"repo": "/"}).redis_url
    except ConfigError:
        return None  # already reported by check_config


def report(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = []
    for check in checks:
        mark = {True: "ok  ", False: "FAIL", None: "--  "}[check.ok]
        lines.append(f"{mark}  {check.name:<{width}}  {check.detail}")
        if check.fix and not check.ok:
            lines.append(f"      {'':<{width}}  fix: {check.fix}")
    failed = [c.name for c in checks if c.ok is False]
    lines.append("")
    lines.append(f"{len(failed)} problem{'s' if len(failed) != 1 else ''}: {', '.join(failed)}" if failed else "all checks passed")
    return redact("\n".join(lines))


def check_api_key() -> Check:
    # The value is never shown, not even a prefix: only where it comes from.
    if os.environ.get("ANTHROPIC_API_KEY", "").strip():
        return Check("API key", True, "ANTHROPIC_API_KEY is set (value hidden)")
    try:
        from ask_redis.config import config_path, load

        if load({}).api_key is not None:
            return Check("API key", True, f"api_key is set in {config_path()} (value hidden)")
    except Exception as error:  # a broken config file is its own finding
        return Check("API key", False, f"cannot read the configuration: {redact(str(error))}", API_KEY_FIX)
    return Check("API key", False, "not configured", API_KEY_FIX)


def find_ripgrep() -> str | None:
    """The rg next to this Python (the ripgrep wheel), else the one on PATH."""
    beside = Path(sys.executable).parent / "rg"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("rg")


def check_ripgrep() -> Check:
    rg = find_ripgrep()
    if rg is None:
        return Check("ripgrep", False, "rg not found next to Python or on PATH", RIPGREP_FIX)
    try:
        version = subprocess.run([rg, "--version"], capture_output=True, text=True, timeout=10).stdout.splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError) as error:
        return Check("ripgrep", False, f"{rg} does not run: {error}", RIPGREP_FIX)
    return Check("ripgrep", True, f"{rg} ({version})")


def check_sandbox(repo: Path) -> Check:
    from ask_redis import sandbox

    capability = sandbox.probe()
    if not capability.ok:
        return Check("Bash sandbox", False, f"Bash will not be offered: {capability.reason}", capability.fix)
    # The probe used a scratch directory; this shows the sandbox can also read this repository.
    result = sandbox.run("ls -A > /dev/null && echo readable", repo, timeout=20)
    if result.exit_code != 0 or result.output.strip() != "readable":
        detail = result.output.strip().splitlines()[-1] if result.output.strip() else f"exit code {result.exit_code}"
        return Check("Bash sandbox", False, f"the sandbox cannot read {repo}: {detail}",
                     "make the repository readable by the user running ask-redis")
    version = subprocess.run([sandbox.find_bwrap(), "--version"], capture_output=True, text=True).stdout.strip()
    return Check("Bash sandbox", True, f"{version}: no network, read-only workspace, {capability.process_limit}")


def check_redis(url: str | None) -> Check:
    if not url:
        return Check("Redis", None, "no URL (--redis-url or REDIS_URL): live checks are off", required=False)
    from ask_redis.live.conn import RedisConnError, connect, display_url

    shown = display_url(url)
    dialled = _with_short_timeouts(url)
    try:
        connection = connect(dialled)
    except RedisConnError as error:
        message = str(error).replace(display_url(dialled), shown)
        return Check("Redis", False, f"cannot reach {shown}: {message.removeprefix(f'cannot use {shown}: ')}",
                     "check host, port, password and TLS options, and that the server is running; "
                     "`ask-redis redis-acl` prints a least-privilege account to use")
    try:
        node = connection.nodes[0]
        server = node.call("INFO", "server")
        role = node.call("ROLE")
        role_name = role[0].decode() if isinstance(role[0], bytes) else str(role[0])
        mode = connection.mode
        if mode == "cluster":
            mode += f", {len(connection.nodes)} primaries"
        detail = f"{shown}: Redis {server.get('redis_version', '?')}, role {role_name}, mode {mode}"
    except Exception as error:  # reached but could not be inspected: still a finding
        return Check("Redis", False, f"{shown} answered, but INFO/ROLE failed: {redact(str(error))}",
                     "give the account +info and +role (see `ask-redis redis-acl`)")
    finally:
        connection.close()
    return Check("Redis", True, detail)


def _with_short_timeouts(url: str) -> str:
    """Add short connect/socket timeouts unless the URL sets its own."""
    extra = [f"{name}={REDIS_TIMEOUT_SECONDS:g}" for name in ("connect_timeout", "socket_timeout") if f"{name}=" not in url]
    if not extra:
        return url
    return url + ("&" if "?" in url else "?") + "&".join(extra)
