"""Where the settings come from: the config file, the environment and the flags, merged but not yet validated.

Standard library only: chat draws its input line from these values before pydantic is imported (config.load
validates them)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL = "sonnet"

ENV = {
    "api_key": "ANTHROPIC_API_KEY",
    "base_url": "ANTHROPIC_BASE_URL",
    "model": "ASK_REDIS_MODEL",
    "redis_url": "REDIS_URL",
}


class ConfigError(Exception):
    """A configuration value is wrong; the message is one line for the user."""


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ask-redis" / "config.toml"


def gather(flags: dict, labels: dict[str, str] | None = None) -> tuple[dict, dict[str, str]]:
    """The merged values (flags over environment over file; None means not given) and where each came from."""
    merged: dict = {}
    source: dict[str, str] = {}
    path = config_path()
    if path.exists() and not path.is_file():
        raise ConfigError(f"{path}: not a file (the config file is TOML text)")
    if path.is_file():
        import tomllib  # only when there is a file to read

        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read {path}: {error}") from None
        except RecursionError:
            raise ConfigError(f"cannot read {path}: values nested too deeply") from None
        merged.update(from_file)
        source.update({key: f"{path}: {key}" for key in from_file})
    for field, variable in ENV.items():
        if os.environ.get(variable, "").strip():
            merged[field] = os.environ[variable].strip()
            source[field] = variable
    if isinstance(merged.get("api_key"), str) and not merged["api_key"].strip():
        del merged["api_key"]  # an empty key in the file is no key, as an empty variable is
    given = {key: value for key, value in flags.items() if value is not None}
    merged.update(given)
    source.update({key: (labels or {}).get(key, "--" + key.replace("_", "-")) for key in given})
    return merged, source
