"""Reading a whole RDB dump: ask-redis against rdbtools' memory report and `cat FILE > /dev/null`, in one run.

Starts its own redis-server on a free loopback port, writes N string keys in three namespaces
(default 5,000,000: DEBUG POPULATE, values of 8, 32 and 120 bytes), saves the dump, then measures:
  1. `cat FILE > /dev/null` (the I/O floor; the file is in the page cache after the first read),
  2. ask-redis: the whole dump analysis (`rdb_rules.analyze`: every key, namespaces, TTLs, top keys,
     encodings, CRC64 checked) in a child process - wall and CPU time, peak RSS (target < 200 MB),
  3. rdbtools 0.1.15 `rdb -c memory` (the baseline, target: ask-redis at least 10x faster). rdbtools
     refuses RDB 10 and later; it is tried on the real dump (its error is reported), then run on a copy
     whose header says RDB 9 (with the CRC64 recomputed), which it reads: string keys are encoded alike
     in RDB 9 and 10. ask-redis reads that same copy too, so both ratios compare the same bytes.
Wall times on a shared machine are noisy; CPU time (user + sys of the child) is reported beside them.

    .venv/bin/python bench/bench_rdb.py [--keys 5000000] [--dump PATH] [--no-rdbtools]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anycrc
import redis

CRC64 = anycrc.CRC(64, 0xad93d23594c935a9, 0, True, True, 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_dump(directory: Path, keys: int) -> Path:
    server_bin = shutil.which("redis-server")
    if not server_bin:
        sys.exit("bench_rdb: redis-server is not installed")
    port = free_port()
    server = subprocess.Popen([server_bin, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
                               "--save", "", "--appendonly", "no", "--dbfilename", "dump.rdb",
                               "--enable-debug-command", "local"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port, socket_timeout=None)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        shares = (("user:session", 0.4, 32), ("cache:page", 0.3, 120), ("feed:item", 0.3, 8))
        written = 0
        for i, (prefix, share, size) in enumerate(shares):
            count = keys - written if i == len(shares) - 1 else int(keys * share)
            client.execute_command("DEBUG", "POPULATE", count, prefix, size)
            written += count
        client.execute_command("SAVE")
        version = client.info("server")["redis_version"]
    finally:
        server.terminate()
        server.wait()
    print(f"dump: {keys:,} keys written by redis-server {version}")
    return directory / "dump.rdb"


def as_rdb9(path: Path) -> Path:
    """A copy whose header says RDB 9, with its CRC64 recomputed (streamed: constant memory)."""
    copy = path.with_name("dump-rdb9.rdb")
    size = path.stat().st_size
    crc = 0
    with path.open("rb") as src, copy.open("wb") as dst:
        head = src.read(9)
        if not head.startswith(b"REDIS"):
            sys.exit("bench_rdb: expected a REDIS dump")
        head = b"REDIS0009"
        crc = CRC64.calc(head, crc)
        dst.write(head)
        left = size - 9 - 8
        while left:
            block = src.read(min(left, 1 << 22))
            crc = CRC64.calc(block, crc)
            dst.write(block)
            left -= len(block)
        dst.write(struct.pack("<Q", crc))
    return copy


def run(command: list[str], stdout=subprocess.DEVNULL) -> dict:
    """Run a child; its wall time, CPU time and peak RSS (from wait4), stdout and stderr."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE)
    out = child.stdout.read().decode() if child.stdout else ""
    err = child.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    for pipe in (child.stdout, child.stderr):
        if pipe:
            pipe.close()
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "code": child.returncode, "stdout": out.strip(), "stderr": err}


ASK_REDIS = ("import sys; from ask_redis.review import rdb_rules; d = rdb_rules.analyze(sys.argv[1]); "
             "print(d['sampled'], d['file']['checksum'], len(d['namespaces']))")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keys", type=int, default=5_000_000)
    p.add_argument("--dump", type=Path, help="use this dump instead of writing one (must be a REDIS one)")
    p.add_argument("--no-rdbtools", action="store_true", help="skip the baseline (it takes minutes)")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-rdb-"))
    try:
        dump = args.dump or make_dump(work, args.keys)
        size_mb = dump.stat().st_size / 2 ** 20
        print(f"file: {size_mb:.1f} MB")
        cat = min(run(["sh", "-c", f"cat '{dump}' > /dev/null"])["wall"] for _ in range(3))
        rows = [("cat FILE > /dev/null", cat, None, None)]
        ours = run([sys.executable, "-c", ASK_REDIS, str(dump)], stdout=subprocess.PIPE)
        if ours["code"]:
            sys.exit(f"bench_rdb: ask-redis failed: {ours['stderr'].strip()}")
        rows.append(("ask-redis (real dump)", ours["wall"], ours["cpu"], ours["rss_mb"]))
        baseline = None
        if not args.no_rdbtools:
            rdbtools = shutil.which("rdb", path=str(Path(sys.executable).parent)) or shutil.which("rdb")
            if not rdbtools:
                sys.exit("bench_rdb: rdbtools is not installed (pip install rdbtools)")
            refused = run([rdbtools, "-c", "memory", str(dump)])
            last = (refused["stderr"].strip().splitlines() or ["(no message)"])[-1]
            print(f"rdbtools on the real dump: exit {refused['code']} after {refused['wall']:.1f} s: {last}")
            copy = as_rdb9(dump)
            ours9 = run([sys.executable, "-c", ASK_REDIS, str(copy)], stdout=subprocess.PIPE)
            rows.append(("ask-redis (RDB 9 copy)", ours9["wall"], ours9["cpu"], ours9["rss_mb"]))
            baseline = run([rdbtools, "-c", "memory", str(copy)])
            if baseline["code"]:
                print(f"rdbtools failed on the RDB 9 copy: {baseline['stderr'].strip().splitlines()[-1:]}")
            rows.append(("rdbtools -c memory (RDB 9 copy)", baseline["wall"], baseline["cpu"], baseline["rss_mb"]))
        print()
        print(f"{'reader':34} {'wall s':>8} {'MB/s':>8} {'CPU s':>8} {'peak RSS':>9}")
        for name, wall, cpu, rss in rows:
            print(f"{name:34} {wall:8.2f} {size_mb / wall:8.1f} {'' if cpu is None else f'{cpu:8.2f}':>8} "
                  f"{'' if rss is None else f'{rss:6.1f} MB':>9}")
        print()
        print(f"ask-redis: keys, checksum, namespaces = {ours['stdout']}")
        print(f"peak RSS {ours['rss_mb']:.1f} MB (target < 200 MB: {'met' if ours['rss_mb'] < 200 else 'NOT met'})")
        print(f"throughput {size_mb / ours['wall']:.1f} MB/s ({size_mb / ours['cpu']:.1f} MB per CPU second) beside "
              f"cat's {size_mb / cat:.0f} MB/s ({cat / ours['wall']:.3f} of the I/O floor)")
        if baseline and not baseline["code"]:
            wall_ratio = baseline["wall"] / ours9["wall"]
            cpu_ratio = baseline["cpu"] / ours9["cpu"]
            print(f"rdbtools / ask-redis on the same RDB 9 copy: {wall_ratio:.1f}x wall, {cpu_ratio:.1f}x CPU "
                  f"(target >= 10x: {'met' if min(wall_ratio, cpu_ratio) >= 10 else 'NOT met'})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
