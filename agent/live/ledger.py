"""What ask-redis's own inspections added to a server's counters, kept on this machine.

Every key read but MEMORY USAGE counts as a keyspace hit (or miss), and every call lands in INFO
commandstats. One inspection reads INFO before it samples, so its own figures are right; the next
one would see the first one's reads as the users' traffic. So each connection records what it
added, by the server's run_id (a new one at every restart), and the next inspection of the same
server process subtracts it. Inspections from other machines are not known here.

File: $XDG_DATA_HOME/ask-redis/inspections.json (default ~/.local/share). No address or secret is
stored: only run ids and counts.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

MAX_ENTRIES = 200


def path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ask-redis" / "inspections.json"


def _load() -> dict[str, Any]:
    try:
        data = json.loads(path().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def empty() -> dict[str, Any]:
    return {"hits": 0, "misses": 0, "calls": {}, "total_commands": 0}


def prior(run_id: str | None, total_commands: int | None = None) -> dict[str, Any]:
    """What earlier inspections from here added to this server process (zeros if none, or if the
    counters went back since: CONFIG RESETSTAT)."""
    entry = _load().get(run_id or "") if run_id else None
    if not isinstance(entry, dict):
        return empty()
    if total_commands is not None and total_commands < int(entry.get("total_commands", 0)):
        return empty()
    return {"hits": int(entry.get("hits", 0)), "misses": int(entry.get("misses", 0)),
            "calls": {str(k): int(v) for k, v in dict(entry.get("calls", {})).items()},
            "total_commands": int(entry.get("total_commands", 0))}


def add(base: dict[str, Any], hits: int, misses: int, calls: dict[str, int]) -> dict[str, Any]:
    merged = dict(base, hits=base["hits"] + hits, misses=base["misses"] + misses, calls=dict(base["calls"]))
    for name, count in calls.items():
        merged["calls"][name] = merged["calls"].get(name, 0) + count
    return merged


def record(run_id: str, entry: dict[str, Any]) -> None:
    """Store the running total for `run_id`; never fails the inspection (a read-only home is fine)."""
    data = _load()
    data[run_id] = dict(entry, updated=int(time.time()))
    if len(data) > MAX_ENTRIES:
        for old in sorted(data, key=lambda k: data[k].get("updated", 0))[: len(data) - MAX_ENTRIES]:
            del data[old]
    target = path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data))
        temporary.replace(target)
    except OSError:
        pass
