"""Truncated and byte-flipped copies of real dumps: every one ends in a one-line error that names
the offset, or (for the rare change a dump can absorb) in a normal result; never a hang, a
traceback or another exception. A one-second alarm per case turns a hang into a failure."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from contextlib import contextmanager

import pytest

from ask_redis.live import rdb
from ask_redis.review import rdb_rules
from tests.fixtures_rdb import SERVERS, make_dump


class Hang(Exception):
    pass


@contextmanager
def within_a_second():
    def ring(signum, frame):
        raise Hang()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module", params=list(SERVERS))
def original(request, tmp_path_factory):
    if SERVERS[request.param] is None:
        pytest.skip(f"{request.param} is not installed")
    directory = tmp_path_factory.mktemp(request.param)
    make_dump(request.param, directory).stop()
    return (directory / "dump.rdb").read_bytes()


def outcome(data: bytes, path) -> str | None:
    """None when the damaged dump still reads, else the error line."""
    path.write_bytes(data)
    try:
        with within_a_second():
            rdb_rules.analyze(path)
    except rdb.RdbError as error:
        return str(error)
    return None




def test_truncated_dumps_end_in_one_line(original, tmp_path):
    rng = random.Random(17)
    cuts = sorted(set(range(0, 250)) | set(rng.sample(range(250, len(original)), 150)) |
                  set(range(len(original) - 20, len(original))))
    target = tmp_path / "cut.rdb"
    for cut in cuts:
        message = outcome(original[:cut], target)
        assert message is not None, cut
        assert "\n" not in message and "offset" in message, (cut, message)


def test_byte_flipped_dumps_end_in_one_line(original, tmp_path):
    rng = random.Random(1717)
    target = tmp_path / "flipped.rdb"
    positions = sorted(set(range(0, 150)) | set(rng.sample(range(150, len(original)), 250)))
    survived = 0
    for position in positions:
        damaged = bytearray(original)
        damaged[position] ^= 1 << rng.randrange(8)
        message = outcome(bytes(damaged), target)
        if message is None:
            survived += 1
            continue
        assert "\n" not in message and "offset" in message, (position, message)
    # The CRC64 covers every byte before the checksum: a flip is reported, not taken for data.
    assert survived == 0


def test_many_random_flips_at_once(original, tmp_path):
    rng = random.Random(99)
    target = tmp_path / "noise.rdb"
    for _ in range(60):
        damaged = bytearray(original)
        for _ in range(rng.randrange(1, 40)):
            damaged[rng.randrange(9, len(damaged))] = rng.randrange(256)
        message = outcome(bytes(damaged), target)
        assert message is None or ("\n" not in message and "offset" in message), message


def test_cli_prints_one_line_for_a_damaged_dump(original, tmp_path):
    for name, data in (("cut.rdb", original[: len(original) // 2]), ("flip.rdb", original[:50] + b"\xfe" + original[51:])):
        (tmp_path / name).write_bytes(data)
        run = subprocess.run([sys.executable, "-m", "ask_redis", "review", str(tmp_path), "--rdb", str(tmp_path / name)],
                             capture_output=True, text=True, timeout=60)
        lines = run.stderr.strip().splitlines()
        assert run.returncode == 2 and run.stdout == "" and len(lines) == 1, run.stderr
        assert "offset" in lines[0] and "Traceback" not in run.stderr
