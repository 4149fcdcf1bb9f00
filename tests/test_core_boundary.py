"""What crosses between the Rust core and Python: errors, panics, the GIL."""

from __future__ import annotations

import threading
import time

import pytest

import urllib3
from urllib3 import _rs
from urllib3._errors import CoreError, translate
from urllib3.exceptions import ProtocolError


def test_a_panic_in_the_core_is_an_exception() -> None:
    with pytest.raises(CoreError) as info:
        _rs._panic_in_core("boom")
    assert info.value.kind == "ProtocolError"
    assert info.value.message == "internal error in the Rust core: boom"
    assert isinstance(translate(info.value), ProtocolError)


def test_the_gil_is_released_while_waiting_on_the_network(server) -> None:
    # While one thread waits two seconds for /delay/2, another keeps running Python.
    http = urllib3.PoolManager()
    done = threading.Event()
    ticks = 0

    def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        http.request("GET", server.url("/delay/1"))
    finally:
        done.set()
        ticker.join()
    assert ticks > 50


class _Alarm(Exception):
    pass


def test_signal_handlers_run_while_a_request_waits(server) -> None:
    # A server that never answers and no timeout: only the signal handler can end the wait,
    # as it would with Python's own sockets (Ctrl-C, a test runner's timeout).
    import signal

    def on_alarm(signum, frame):  # type: ignore[no-untyped-def]
        raise _Alarm()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        with pytest.raises(_Alarm):
            urllib3.PoolManager().request("GET", server.url("/fault/stall-before-headers"), retries=False)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
