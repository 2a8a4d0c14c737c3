"""The one configuration object. Precedence: command-line flags, then environment, then the config file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from ask_redis.config_sources import DEFAULT_MODEL, ENV, ConfigError, config_path, gather  # noqa: F401 (re-exported)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr | None = Field(None, description="Anthropic API key. Never logged, never sent to tools.")
    base_url: str | None = Field(None, description="Messages API base URL (a proxy or a local stand-in).")
    model: str = Field(DEFAULT_MODEL, min_length=1, description="Model ID, or an alias: opus, sonnet, haiku (the newest of each).")
    max_turns: int = Field(40, ge=1, description="API calls one answer may take before it stops.")
    max_tokens: int = Field(16000, ge=1, description="Output tokens per API call.")
    stream: bool = Field(True, description="Stream answers as they are written.")
    max_retries: int = Field(4, ge=0, description="Retries on 429/529/5xx and dropped connections, honouring retry-after.")
    timeout: float = Field(600.0, gt=0, le=86400, allow_inf_nan=False, description="Seconds one API call may take.")
    redis_url: str | None = Field(None, description="Redis to inspect read-only: redis://, rediss://, unix://.")
    repo: Path = Field(default_factory=Path.cwd, description="The workspace the tools may read.")
    output_format: Literal["text", "json", "stream-json"] = Field("text", description="One-shot output format.")
    verbose: bool = Field(False, description="Show tool progress and full error details.")
    record: Path | None = Field(None, description="Write this session's API exchanges to a transcript file.")
    rdb: Path | None = Field(None, description="An RDB dump the redis_rdb tool analyses (every key, no server load).")


def load(flags: dict, labels: dict[str, str] | None = None) -> Settings:
    """Merge the config file, the environment and the flags that were given (None means not given).

    A bad value is a ConfigError that names where it came from: the flag (or its label in `labels`,
    e.g. an MCP tool argument), the variable or the file.
    """
    merged, source = gather(flags, labels)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as error:
        first = error.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else ""
        where = source.get(key, key)
        if first["type"] == "extra_forbidden":
            raise ConfigError(f"{where}: unknown setting (known: {', '.join(Settings.model_fields)})") from None
        raise ConfigError(f"{where}: {first['msg']}") from None
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in key):  # never shown: it is the key
        raise ConfigError(f"{source['api_key']}: the API key holds a line break or control character; set it on one line")
    if settings.base_url is not None and not settings.base_url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"{source['base_url']}: not an http:// or https:// URL")
    if settings.redis_url is not None:
        from ask_redis.live.conn import RedisConnError, parse_url

        try:
            parse_url(settings.redis_url)
        except RedisConnError as error:
            raise ConfigError(f"{source['redis_url']}: {error}") from None
    if settings.rdb is not None:
        rdb = settings.rdb.expanduser()
        if not rdb.is_file() or not os.access(rdb, os.R_OK):
            raise ConfigError(f"{source['rdb']} {settings.rdb}: no such readable file")
        settings.rdb = rdb.resolve()
    if settings.record is not None:
        record = settings.record.expanduser()
        if record.is_dir() or not record.parent.is_dir() or not os.access(record.parent, os.W_OK):
            raise ConfigError(f"--record {settings.record}: cannot write a file there")
        settings.record = record
    try:
        repo = settings.repo.expanduser()
    except RuntimeError as error:  # ~user that does not exist
        raise ConfigError(f"{source.get('repo', '--repo')} {settings.repo}: {error}") from None
    if not repo.is_dir():
        raise ConfigError(f"{source.get('repo', '--repo')} {settings.repo}: not a directory")
    if not os.access(repo, os.R_OK | os.X_OK):
        raise ConfigError(f"{source.get('repo', '--repo')} {settings.repo}: permission denied (the tools could not read it)")
    settings.repo = repo.resolve()
    return settings
