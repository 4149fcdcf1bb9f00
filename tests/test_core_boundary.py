"""What crosses between the Rust core and Python: errors, panics, the GIL."""

from __future__ import annotations

import socket
import threading

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


def test_the_gil_is_released_while_waiting_on_the_network() -> None:
    # The server is a Python thread: it can read the request and answer only while the
    # client's wait in the core lets other Python threads run. Were the GIL held, the answer
    # would never come and the request would end in its read timeout.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer_one() -> None:
        conn, _ = listener.accept()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    server = threading.Thread(target=answer_one)
    server.start()
    try:
        r = urllib3.PoolManager().request("GET", f"http://127.0.0.1:{port}/", timeout=30, retries=False)
    finally:
        server.join()
        listener.close()
    assert r.data == b"ok"


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
