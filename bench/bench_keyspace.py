"""Keyspace analysis speed and server impact, against `redis-cli --memkeys` on the same server in the same run.

Starts its own redis-server on a free loopback port, loads N mixed keys (default 1,000,000: DEBUG
POPULATE strings plus hashes, lists, sets and zsets written through pipelines, a third of them with
TTLs), then measures:
  1. `redis-cli --memkeys` (the baseline: SCAN + TYPE + MEMORY USAGE over every key),
  2. ask-redis's full analysis (sample_keyspace with no budget: TYPE, MEMORY USAGE, PTTL, length,
     OBJECT ENCODING for every key) - target time <= 0.75x the baseline's,
  3. the default bounded mode (10,000 keys a primary, spread over the cursor space) - target < 2 s,
while a separate process PINGs the server every 2 ms and reports the worst and p99 round trip (the latency
other clients see), and the server's own latency monitor (threshold 1 ms) reports its worst event.
Gentleness targets: p99 of 2 and 3 no worse than the baseline's p99, worst no more than twice its worst.
1 and 2 run in interleaved rounds and the best time of each is compared (a shared machine's noise
hits both alike); latencies are the worst seen in any round.

    .venv/bin/python bench/bench_keyspace.py [--keys 1000000] [--rounds 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from ask_redis.live.conn import connect
from ask_redis.live.inspection import DEFAULT_BUDGET, sample_keyspace


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinger(port: int) -> None:
    """Child process: PING every 2 ms until stdin closes; print max and p99 round trip in ms."""
    import os
    import select

    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples = []
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([sys.stdin], [], [], 0.002)
        if readable and not os.read(sys.stdin.fileno(), 1):
            break
        started = time.perf_counter()
        sock.sendall(b"PING\r\n")
        reply = b""
        while not reply.endswith(b"\r\n"):
            reply += sock.recv(64)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p99 = samples[int(len(samples) * 0.99) - 1] if samples else 0.0
    print(f"{samples[-1] if samples else 0.0:.2f} {p99:.2f} {len(samples)}", flush=True)


class Pinged:
    """Run a block while the pinger measures; .worst_ms, .p99_ms afterwards."""

    def __init__(self, port: int):
        self.port = port

    def __enter__(self) -> "Pinged":
        self.process = subprocess.Popen([sys.executable, __file__, "--pinger", str(self.port)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def __exit__(self, *exc) -> None:
        out, _ = self.process.communicate("", timeout=60)
        worst, p99, count = out.split()
        self.worst_ms, self.p99_ms, self.count = float(worst), float(p99), int(count)


def worst(pings: list["Pinged"]) -> "Pinged":
    return max(pings, key=lambda p: p.worst_ms)


def load(client: redis.Redis, keys: int) -> None:
    """90% DEBUG POPULATE strings, 10% collections (hash/list/set/zset), a third of those with a TTL."""
    collections = keys // 10
    client.execute_command("DEBUG", "POPULATE", keys - collections, "key", 16)
    pipe = client.pipeline(transaction=False)
    for i in range(collections):
        kind = i % 4
        if kind == 0:
            pipe.hset(f"user:{i}:profile", mapping={f"f{j}": j for j in range(5 + i % 20)})
        elif kind == 1:
            pipe.rpush(f"queue:{i}", *range(3 + i % 30))
        elif kind == 2:
            pipe.sadd(f"tags:{i}", *range(2 + i % 15))
        else:
            pipe.zadd(f"rank:{i}", {f"m{j}": j for j in range(4 + i % 25)})
        if i % 3 == 0:
            pipe.expire([f"user:{i}:profile", f"queue:{i}", f"tags:{i}", f"rank:{i}"][kind], 86_400)
        if len(pipe) >= 5000:
            pipe.execute()
    pipe.execute()


def server_worst_ms(client: redis.Redis) -> int:
    events = client.execute_command("LATENCY", "LATEST")
    worst = max((int(e[3]) for e in events), default=0)
    client.execute_command("LATENCY", "RESET")
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved memkeys/full rounds (best of each)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the bounded mode (median reported)")
    parser.add_argument("--pinger", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pinger:
        pinger(args.pinger)
        return 0
    server_bin, cli_bin = shutil.which("redis-server"), shutil.which("redis-cli")
    if not server_bin or not cli_bin:
        print("redis-server and redis-cli are needed", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = subprocess.Popen([server_bin, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", "",
                                   "--appendonly", "no", "--enable-debug-command", "local",
                                   "--latency-monitor-threshold", "1", "--logfile", str(Path(tmp) / "log")])
        try:
            client = redis.Redis(port=port, protocol=2)
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            started = time.perf_counter()
            load(client, args.keys)
            total = client.dbsize()
            info = client.info("memory")
            print(f"loaded {total:,} keys ({info['used_memory_human']}) in {time.perf_counter() - started:.1f} s "
                  f"on redis {client.info('server')['redis_version']}")
            server_worst_ms(client)

            conn = connect(f"redis://127.0.0.1:{port}/0")
            # Interleaved rounds, best of each: the machine may be shared, and noise hits both alike.
            memkeys_times, full_times, memkeys_pings, full_pings, memkeys_servers, full_servers = [], [], [], [], [], []
            for _ in range(args.rounds):
                with Pinged(port) as ping:
                    started = time.perf_counter()
                    subprocess.run([cli_bin, "-p", str(port), "--memkeys"], check=True, stdout=subprocess.DEVNULL)
                    memkeys_times.append(time.perf_counter() - started)
                memkeys_pings.append(ping)
                memkeys_servers.append(server_worst_ms(client))
                with Pinged(port) as ping:
                    started = time.perf_counter()
                    full = sample_keyspace(conn, budget=None)
                    full_times.append(time.perf_counter() - started)
                full_pings.append(ping)
                full_servers.append(server_worst_ms(client))
                assert full["complete"] and full["sampled"] >= total * 0.99, (full["sampled"], total)
            memkeys_s, full_s = min(memkeys_times), min(full_times)
            memkeys_ping, full_ping = worst(memkeys_pings), worst(full_pings)
            memkeys_server, full_server = max(memkeys_servers), max(full_servers)

            bounded_times = []
            with Pinged(port) as bounded_ping:
                for _ in range(args.runs):
                    started = time.perf_counter()
                    bounded = sample_keyspace(conn)
                    bounded_times.append(time.perf_counter() - started)
            bounded_server = server_worst_ms(client)
            bounded_s = statistics.median(bounded_times)
            assert bounded["sampled"] == min(DEFAULT_BUDGET, total)
            conn.close()
        finally:
            server.terminate()
            server.wait()

    rows = [
        (f"redis-cli --memkeys (baseline, best of {args.rounds})", f"{total:,}", f"{memkeys_s:.2f} s", "", "", memkeys_ping, memkeys_server),
        (f"full analysis, no budget (best of {args.rounds})", f"{full['sampled']:,}", f"{full_s:.2f} s", f"{full_s / memkeys_s:.2f}",
         "<= 0.75", full_ping, full_server),
        (f"bounded, default {DEFAULT_BUDGET:,}/primary", f"{bounded['sampled']:,}", f"{bounded_s:.3f} s",
         f"{bounded_s / memkeys_s:.3f}", "< 2 s", bounded_ping, bounded_server),
    ]
    header = ("mode", "keys", "time", "ratio vs baseline", "target", "worst PING / p99", "server worst event")
    table = [header] + [(m, k, t, r, g, f"{p.worst_ms:.1f} / {p.p99_ms:.1f} ms", f"{s} ms") for m, k, t, r, g, p, s in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for index, row in enumerate(table):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    gentle = {name: (ping.p99_ms <= memkeys_ping.p99_ms and ping.worst_ms <= 2 * memkeys_ping.worst_ms)
              for name, ping in (("full", full_ping), ("bounded", bounded_ping))}
    ok = full_s / memkeys_s <= 0.75 and bounded_s < 2.0 and all(gentle.values())
    print(f"targets {'met' if ok else 'NOT met'}: full/memkeys = {full_s / memkeys_s:.2f} (<= 0.75), "
          f"bounded = {bounded_s:.3f} s (< 2 s); other clients' PING p99 <= memkeys' {memkeys_ping.p99_ms:.1f} ms "
          f"and worst <= 2x its {memkeys_ping.worst_ms:.1f} ms: full {'met' if gentle['full'] else 'NOT met'} "
          f"({full_ping.p99_ms:.1f} / {full_ping.worst_ms:.1f} ms), bounded {'met' if gentle['bounded'] else 'NOT met'} "
          f"({bounded_ping.p99_ms:.1f} / {bounded_ping.worst_ms:.1f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
