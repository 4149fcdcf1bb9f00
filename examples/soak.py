"""`make soak`, through the Python package: 200,000 requests (8 threads sharing one
PoolManager) against the test server binary, printing open file descriptors and resident
memory before and after. Flat figures mean nothing outlives its request."""

from __future__ import annotations

import gc
import json
import os
import pathlib
import subprocess
import sys
import threading

import urllib3

THREADS = 8
ROOT = pathlib.Path(__file__).resolve().parent.parent


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        line = next(l for l in f if l.startswith("VmRSS:"))
    return int(line.split()[1])


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def run(manager: urllib3.PoolManager, url: str, total: int) -> None:
    """Sends ``total`` requests from THREADS threads; exits non-zero if any thread failed
    (an exception in a thread would otherwise only be printed)."""
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(total // THREADS):
                data = manager.request("GET", url).data
                if data != b"Hello, world!":
                    raise AssertionError(f"unexpected body {data[:40]!r}")
        except BaseException as e:
            failures.append(e)
            raise

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit(f"soak: {len(failures)} of {THREADS} threads failed; the first: {failures[0]!r}")


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    server = subprocess.Popen(
        [str(ROOT / "target" / "release" / "testserver")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert server.stdout is not None and server.stdin is not None
    url = json.loads(server.stdout.readline())["http"] + "/small"
    # A first round brings the interpreter and allocator to their working size.
    warm = urllib3.PoolManager(maxsize=THREADS)
    run(warm, url, THREADS * 100)
    warm.clear()
    del warm
    gc.collect()
    before = open_fds(), rss_kib()
    manager = urllib3.PoolManager(maxsize=THREADS)
    run(manager, url, total)
    connections = manager.connection_from_url(url).num_connections
    manager.clear()
    del manager
    gc.collect()
    after = open_fds(), rss_kib()
    server.stdin.close()
    server.wait()
    print(f"python: {total} requests, {THREADS} threads, {connections} connections")
    print(f"  fds:     {before[0]} before, {after[0]} after (the manager cleared)")
    print(f"  rss KiB: {before[1]} before, {after[1]} after")


if __name__ == "__main__":
    main()
