"""Confinement holds while something outside the sandbox flips a directory symlink between a directory inside
the workspace and one outside it, as fast as it can, during 20,000 Reads and Greps."""

import os
import threading
from pathlib import Path

from ask_redis.tools import ToolContext, discover, run_tool

CANARY = "OUTSIDE-CANARY-3f9c"
READS, GREPS = 18_000, 2_000


def flipper(link: Path, targets: list[str], stop: threading.Event, flips: list[int]) -> None:
    """Points `link` at each target in turn: by atomic rename, and by unlink-then-create (a moment with no link)."""
    spare = link.with_name(link.name + ".new")
    count = 0
    while not stop.is_set():
        target = targets[count % len(targets)]
        if count % 4 < 2:
            os.symlink(target, spare)
            os.replace(spare, link)
        else:
            try:
                os.unlink(link)
            except FileNotFoundError:
                pass
            os.symlink(target, link)
        count += 1
    flips.append(count)


def test_a_flipped_symlink_never_yields_outside_content(tmp_path):
    workspace, outside = tmp_path / "workspace", tmp_path / "outside"
    (workspace / "inside").mkdir(parents=True)
    outside.mkdir()
    (workspace / "inside" / "notes.txt").write_text("inside content: maxmemory 2gb\n")
    (outside / "notes.txt").write_text(f"{CANARY}: maxmemory 2gb\n")
    link = workspace / "d"
    os.symlink("inside", link)
    tools = {tool.name: tool for tool in discover() if tool.name in ("Read", "Grep")}
    ctx = ToolContext(workspace=workspace)
    calls = [("Read", {"file_path": "d/notes.txt"})] * READS
    calls += [("Grep", {"pattern": "maxmemory", "path": path, "output_mode": "content"}) for path in ("d", "d/notes.txt")] * (GREPS // 2)
    calls.sort(key=lambda call: hash(repr(call)) % 7)  # Reads and Greps interleaved
    stop, flips = threading.Event(), []
    thread = threading.Thread(target=flipper, args=(link, ["inside", str(outside)], stop, flips), daemon=True)
    thread.start()
    outcomes = {"Read": [0, 0], "Grep": [0, 0]}  # [inside content, refused]
    leaked, crashed = [], []
    try:
        for name, arguments in calls:
            outcome = run_tool(tools, name, arguments, ctx)
            if CANARY in outcome.content:
                leaked.append(f"{name} {arguments}")
            if "failed unexpectedly" in outcome.content:
                crashed.append(outcome.content)
            outcomes[name][0 if "inside content" in outcome.content else 1] += 1
    finally:
        stop.set()
        thread.join(10)
    assert not leaked, f"{len(leaked)} of {len(calls)} calls returned outside content, e.g. {leaked[0]}"
    assert not crashed, f"{len(crashed)} calls failed unexpectedly, e.g. {crashed[0]}"
    assert len(calls) == 20_000 and flips[0] > 1000
    # The race really was run: both answers happened, for both tools.
    assert all(inside and refused for inside, refused in outcomes.values()), outcomes
