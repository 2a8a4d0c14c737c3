"""Read over the fixture tree: numbered lines, windows, refusals, confinement, redaction."""

from __future__ import annotations

import os
import stat

import pytest

from ask_redis.tools import read as read_module
from tests.fixtures_workspace import BIG_LINES, CANARY, ws  # noqa: F401  (ws is a fixture)


def numbered(text: str) -> list[tuple[int, str]]:
    """The `N<TAB>line` rows of a Read result (notes after a blank line are left out)."""
    body = text.split("\n\n(")[0]
    rows = []
    for line in body.split("\n"):
        number, tab, rest = line.partition("\t")
        assert tab, f"not N<TAB>line: {line!r}"
        rows.append((int(number), rest))
    return rows


def test_default_window_is_2000_lines_and_says_it_is_partial(ws):
    text = ws.ok("Read", file_path="big.txt")
    rows = numbered(text)
    assert rows[0] == (1, "line 1: cache:user:1")
    assert rows[-1] == (2000, "line 2000: cache:user:2000")
    assert len(rows) == 2000
    assert f"showing lines 1-2000 of {BIG_LINES}" in text
    assert "offset=2001" in text


def test_offset_and_limit_select_lines_by_1_based_number(ws):
    text = ws.ok("Read", file_path="big.txt", offset=2999, limit=5)
    assert numbered(text) == [(2999, "line 2999: cache:user:2999"), (3000, "line 3000: cache:user:3000")]
    assert "showing lines 2999-3000 of 3000" in text


def test_a_whole_small_file_has_no_partial_note(ws):
    text = ws.ok("Read", file_path="src/app/cache/redis_client.py")
    assert numbered(text)[0] == (1, "import redis")
    assert "showing lines" not in text


def test_absolute_path_inside_the_workspace_is_accepted(ws):
    text = ws.ok("Read", file_path=str(ws.root / "tests" / "test_cache.py"))
    assert numbered(text)[0] == (1, "import redis")


def test_offset_past_the_end_is_an_error_with_the_line_count(ws):
    assert "has 3000 lines" in ws.error("Read", file_path="big.txt", offset=3001)


def test_crlf_and_bom_are_stripped(ws):
    rows = numbered(ws.ok("Read", file_path="windows.txt"))
    assert rows == [(1, "redis_host = cache"), (2, "redis_port = 6379")]


def test_long_lines_are_cut_with_a_marker(ws):
    (ws.root / "minified.js").write_text("a" * 10_000 + "\nshort\n")
    rows = numbered(ws.ok("Read", file_path="minified.js"))
    assert rows[0][1].startswith("a" * 2000 + "…")
    assert "line truncated to 2000 characters" in rows[0][1]
    assert "a" * 2001 not in rows[0][1]
    assert rows[1] == (2, "short")


def test_a_line_cut_inside_a_multibyte_character_is_not_called_non_utf8(ws):
    (ws.root / "wide.txt").write_text("é" * 5000 + "\n")
    text = ws.ok("Read", file_path="wide.txt")
    assert numbered(text)[0][1].startswith("é" * 2000 + "…")
    assert "not valid UTF-8" not in text


def test_non_utf8_bytes_are_replaced_and_said_so(ws):
    text = ws.ok("Read", file_path="latin1.txt")
    assert numbered(text)[0] == (1, "caf\ufffd redis")
    assert "not valid UTF-8" in text


def test_empty_file_is_said_to_be_empty(ws):
    (ws.root / "empty.py").write_text("")
    assert "exists but is empty" in ws.ok("Read", file_path="empty.py")


def test_last_line_without_newline_is_counted_and_shown(ws):
    (ws.root / "open.txt").write_text("one\ntwo")
    text = ws.ok("Read", file_path="open.txt")
    assert numbered(text) == [(1, "one"), (2, "two")]
    assert "showing lines" not in text


def test_binary_file_is_refused(ws):
    assert "binary" in ws.error("Read", file_path="dump.rdb")


def test_directory_points_to_glob(ws):
    message = ws.error("Read", file_path="src")
    assert "directory" in message and "Glob" in message


def test_missing_file_names_the_closest_existing_one(ws):
    message = ws.error("Read", file_path="src/app/cache/redis_clent.py")
    assert "does not exist" in message
    assert "src/app/cache/redis_client.py" in message


def test_missing_directory_still_suggests_from_the_nearest_parent(ws):
    message = ws.error("Read", file_path="src/app/cahce/redis_client.py")
    assert "does not exist" in message
    assert "src/app/cache" in message


def test_fifo_is_refused_without_being_opened(ws):
    os.mkfifo(ws.root / "events.pipe")
    # Opening a FIFO for reading would block this test forever; a quick error proves it was only stat'ed.
    assert "not a regular file" in ws.error("Read", file_path="events.pipe")


def test_device_file_is_refused(ws):
    try:
        os.mknod(ws.root / "null-device", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("cannot create device nodes here")
    assert "not a regular file" in ws.error("Read", file_path="null-device")


def test_file_over_the_size_cap_asks_for_offset_and_limit(ws):
    (ws.root / "huge.log").write_text(("y" * 99 + "\n") * 4000)  # 400 KB
    assert (ws.root / "huge.log").stat().st_size > read_module.MAX_FILE_BYTES
    message = ws.error("Read", file_path="huge.log")
    assert "offset and limit" in message
    text = ws.ok("Read", file_path="huge.log", offset=3999, limit=10)
    assert numbered(text) == [(3999, "y" * 99), (4000, "y" * 99)]


def test_output_is_capped_however_large_the_limit(ws, monkeypatch):
    monkeypatch.setattr(read_module, "MAX_OUTPUT_BYTES", 1000)
    text = ws.ok("Read", file_path="big.txt", offset=1, limit=3000)
    rows = numbered(text)
    assert 10 < len(rows) < 100
    assert f"showing lines 1-{rows[-1][0]} of 3000; output capped" in text


@pytest.mark.parametrize("path", ["../outside/canary.txt", "canary_link.txt", "outside_dir/inner.py", "/etc/passwd", "~/.bashrc"])
def test_paths_leaving_the_workspace_are_refused(ws, path):
    message = ws.error("Read", file_path=path)
    assert "outside the workspace" in message
    assert CANARY not in message


def test_symlink_that_stays_inside_is_followed(ws):
    assert numbered(ws.ok("Read", file_path="src/inside_link.py"))[0] == (1, "import redis")


def test_secrets_in_a_file_are_redacted(ws):
    text = ws.ok("Read", file_path=".env")
    assert "hunter2" not in text
    assert "REDIS_PASSWORD=[REDACTED]" in text
    assert "redis://default:[REDACTED]@cache:6379/0" in text


def test_file_name_with_spaces(ws):
    assert numbered(ws.ok("Read", file_path="cache notes.md"))[0] == (1, "# Cache notes")


def test_schema_speaks_claude_codes_names(ws):
    from tests.fixtures_workspace import TOOLS

    schema = TOOLS["Read"].schema()
    assert schema["name"] == "Read"
    assert set(schema["input_schema"]["properties"]) == {"file_path", "offset", "limit"}
    assert schema["input_schema"]["required"] == ["file_path"]


def test_missing_file_with_no_close_name_gets_no_guess(ws):
    message = ws.error("Read", file_path="src/app/cache/zzzz.qq")
    assert message == "File does not exist: src/app/cache/zzzz.qq."


def test_private_key_bodies_never_leave_read_or_grep(ws):
    body = ["MIIEowIBAAKCAQEAx7aBcD3fG9hJ2kL4mN6pQ8rS0tU2vW4xY6zA8bC0dE2fG4hJ", "k6lM8nO0pQ2rS4tU6vW8xY0zA2bC4dE6fG8hJ0kL2mN4pQ6rS8tU0vW2xY4zA6bC"]
    (ws.root / "deploy.pem").write_text("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END RSA PRIVATE KEY-----\n")
    for text in (ws.ok("Read", file_path="deploy.pem"), ws.ok("Read", file_path="deploy.pem", limit=2),
                 ws.ok("Grep", pattern=".", path="deploy.pem", output_mode="content")):
        assert "BEGIN RSA PRIVATE KEY" in text
        assert not any(line in text for line in body)
