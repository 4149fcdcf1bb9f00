"""A test-sized load: 8 threads × 1000 requests on one PoolManager. Every response arrives
whole, the pool never holds more than its maxsize, every connection comes back to it, and
clearing the manager leaves the file descriptors where they started."""

from __future__ import annotations

import gc
import os
import threading

import urllib3

THREADS = 8
REQUESTS = 1000


def test_threads_share_a_manager_without_leaks(server) -> None:
    gc.collect()
    fds = len(os.listdir("/proc/self/fd"))
    manager = urllib3.PoolManager(maxsize=4, block=True)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(REQUESTS):
                assert manager.request("GET", server.url("/small")).data == b"Hello, world!"
        except BaseException as e:  # reported below, with the thread's own traceback
            failures.append(e)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    pool = manager.connection_from_url(server.http)
    assert pool.num_connections <= 4
    assert pool.num_requests == THREADS * REQUESTS
    # Every connection is back: the pool's queue is full of idle connections or empty slots.
    assert pool.pool is not None and pool.pool.qsize() == 4
    # As in urllib3, clearing forgets the pools; each closes its connections when collected.
    del pool
    manager.clear()
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) == fds
