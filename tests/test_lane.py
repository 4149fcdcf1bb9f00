"""The fast lane against the stages: each scenario runs twice, lane on and lane off, and
everything the caller and the server see must be the same.

What is compared: status, headers in order, the body (read as the scenario reads it),
``retries.history``, the pool's counters and ``qsize``, the log records and warnings, the
exception (class, message, ``reason``, ``__cause__``), and the bytes the server received.
Each scenario also shows that the lane served its requests when on.
"""

from __future__ import annotations

import gzip
import http.client
import logging
import re
import socket
import sys
import threading
import typing
import warnings

import pytest
import requests

import urllib3
from urllib3 import _lane, _rs
from urllib3.util.retry import Retry

from loopback import LoopbackServer

GZIPPED = gzip.compress(b"hello gzip " * 20, mtime=0)
# Large enough for the lane to read it straight into the bytes it returns.
LARGE = bytes(range(256)) * 1200


class ScriptServer(LoopbackServer):
    """Keep-alive HTTP/1.1 with a reply per path; records every request's bytes."""

    def __init__(self) -> None:
        self.serving: set[socket.socket] = set()
        self.changed = threading.Condition()
        super().__init__()
        self.reset()

    def close(self) -> None:
        """Stops listening and ends every connection still open, waiting until each is
        closed (later tests count file descriptors)."""
        super().close()
        with self.changed:
            for conn in self.serving:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # closed already, on its way out of the set
            assert self.changed.wait_for(lambda: not self.serving, timeout=10)

    def _handle_and_close(self, conn: socket.socket) -> None:
        with self.changed:
            self.serving.add(conn)
        try:
            super()._handle_and_close(conn)
        finally:
            with self.changed:
                self.serving.discard(conn)
                self.changed.notify_all()

    def reset(self) -> None:
        self.received: list[bytes] = []
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()

    def handle(self, conn: socket.socket) -> None:
        pending = b""
        while True:
            while b"\r\n\r\n" not in pending:
                piece = conn.recv(65536)
                if not piece:
                    return
                pending += piece
            head, _, pending = pending.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            size = int(length.group(1)) if length else 0
            while len(pending) < size:
                pending += conn.recv(65536)
            body, pending = pending[:size], pending[size:]
            method, target = head.split(b" ")[:2]
            with self.lock:
                self.received.append(head + b"\r\n\r\n" + body)
                seen = self.hits[target.decode()] = self.hits.get(target.decode(), 0) + 1
            reply = self.reply(method.decode(), target.decode(), body, seen)
            if reply is None:
                return  # close without answering
            conn.sendall(reply)
            if target.startswith((b"/drop", b"/short", b"/large-short", b"/close")):
                return  # the connection ends after this answer, unannounced

    def reply(self, method: str, target: str, body: bytes, seen: int) -> bytes | None:
        path, _, query = target.partition("?")
        args = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
        if path == "/reset":
            return None
        if path == "/204":
            return b"HTTP/1.1 204 No Content\r\nX-Seen: yes\r\n\r\n"
        if path == "/gzip":
            return _response(200, GZIPPED, b"Content-Encoding: gzip\r\n")
        if path == "/chunked":
            chunks = b"5\r\nhello\r\n6\r\n chunk\r\n1\r\n!\r\n0\r\n\r\n"
            return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
        if path == "/redirect":
            location = args["to"].replace("%3A", ":").replace("%2F", "/")
            return _response(int(args["status"]), b"moved", f"Location: {location}\r\n".encode())
        if path == "/retry-after" and seen == 1:
            return _response(503, b"busy", b"Retry-After: 0\r\n")
        if path == "/flaky" and seen == 1:
            return _response(500, b"oops")
        if path == "/short":
            return b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nhello"  # then the connection closes
        if path == "/large":
            return _response(200, LARGE)
        if path == "/large-short":
            return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(LARGE), LARGE[:100_000])
        if path == "/close":
            return _response(200, b"bye", b"Connection: close\r\n")  # and it closes
        if path == "/echo":
            return _response(200, b"%d %s" % (len(body), method.encode()))
        if method == "HEAD":
            return b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\n"
        return _response(200, b"Hello, world!", b"Content-Type: text/plain\r\nX-Multi: a\r\nX-Multi: b\r\n")


def _response(status: int, body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 %d Reason\r\nContent-Length: %d\r\n%s\r\n%s" % (status, len(body), extra, body)


@pytest.fixture(scope="module")
def servers() -> typing.Iterator[tuple[ScriptServer, ScriptServer]]:
    first, second = ScriptServer(), ScriptServer()
    yield first, second
    first.close()
    second.close()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.levelname, record.getMessage()))


def _described(response: typing.Any, read: str) -> dict[str, typing.Any]:
    made = _state(response)
    if read == "data":
        body: typing.Any = response.data
    elif read == "read-n":
        body = [response.read(4) for _ in range(5)]
    elif read == "stream":
        body = list(response.stream(3))
    elif read == "read_chunked":
        body = list(response.read_chunked())
    else:
        body = None
    return {
        "state as made": made,
        "state once read": _state(response),
        "status": response.status,
        "reason": response.reason,
        "headers": list(response.headers.items()),
        "body": body,
        "history": response.retries.history if response.retries else None,
        "url": response.url,
    }


def _state(response: typing.Any) -> dict[str, typing.Any]:
    """The response's attributes, objects of their own (connection, pool, buffers) by type."""
    kept = (str, bytes, int, float, bool, type(None))
    return {
        name: value if isinstance(value, kept) else type(value).__name__
        for name, value in vars(response).items()
        if name not in ("headers", "_retries")
    }


def _error(e: BaseException) -> dict[str, typing.Any]:
    reason = getattr(e, "reason", None)
    return {
        "class": type(e).__name__,
        "message": str(e),
        "reason": (type(reason).__name__, str(reason)) if reason is not None else None,
        "cause": type(e.__cause__).__name__ if e.__cause__ is not None else None,
    }


Scenario = typing.Callable[[urllib3.PoolManager, str, str], typing.Any]


def observe(servers: tuple[ScriptServer, ScriptServer], scenario: Scenario, lane: bool, **manager_kw: typing.Any) -> tuple[dict[str, typing.Any], int]:
    """What a caller and the servers see of ``scenario``, and how many requests the lane served."""
    for server in servers:
        server.reset()
    base, other = (f"http://127.0.0.1:{s.port}" for s in servers)
    records = _Records()
    logger = logging.getLogger("urllib3")
    old_level = logger.level
    logger.addHandler(records)
    logger.setLevel(logging.DEBUG)
    _lane.ENABLED = lane
    served_before = _rs._lane_counts()[0]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with urllib3.PoolManager(**manager_kw) as manager:
                manager.request("GET", base + "/")  # a kept-alive connection to start with
                try:
                    outcome: typing.Any = scenario(manager, base, other)
                except Exception as e:
                    outcome = _error(e)
                pool = manager.connection_from_url(base)
                counters = (pool.num_connections, pool.num_requests, pool.pool.qsize() if pool.pool else None)
    finally:
        _lane.ENABLED = True
        logger.removeHandler(records)
        logger.setLevel(old_level)
    served = _rs._lane_counts()[0] - served_before
    seen = {
        "outcome": outcome,
        "counters": counters,
        "log": [(name, level, _ports_hidden(line, servers)) for name, level, line in records.lines],
        "warnings": [(w.category.__name__, str(w.message)) for w in caught],
        "received": [s.received for s in servers],
    }
    return seen, served


def _ports_hidden(text: str, servers: tuple[ScriptServer, ScriptServer]) -> str:
    for name, server in zip(("PORT1", "PORT2"), servers):
        text = text.replace(str(server.port), name)
    return re.sub(r"object at 0x[0-9a-f]+", "object at ADDR", text)


def _get(path: str, read: str = "data", **kw: typing.Any) -> Scenario:
    def scenario(manager: urllib3.PoolManager, base: str, other: str) -> typing.Any:
        options = dict(kw)
        method = options.pop("method", "GET")
        return _described(manager.request(method, base + path, **options), read)

    return scenario


def _get_absolute(url: str) -> Scenario:
    def scenario(manager: urllib3.PoolManager, base: str, other: str) -> typing.Any:
        return _described(manager.request("GET", url), "data")

    return scenario


def _redirect(status: int, cross_host: bool) -> Scenario:
    def scenario(manager: urllib3.PoolManager, base: str, other: str) -> typing.Any:
        to = (other if cross_host else base) + "/small"
        headers = {"Authorization": "secret", "X-Keep": "kept"}
        response = manager.request("POST", f"{base}/redirect?status={status}&to={to}", body=b"payload", headers=headers)
        return _described(response, "data")

    return scenario


def _twice(path: str) -> Scenario:
    def scenario(manager: urllib3.PoolManager, base: str, other: str) -> typing.Any:
        first = _described(manager.request("GET", base + path), "data")
        return [first, _described(manager.request("GET", base + "/small"), "data")]

    return scenario


def _with_retries(retries: typing.Any, path: str = "/reset") -> Scenario:
    def scenario(manager: urllib3.PoolManager, base: str, other: str) -> typing.Any:
        return _described(manager.request("GET", base + path, retries=retries), "data")

    return scenario


def _full_blocking_pool(manager: urllib3.PoolManager, base: str, other: str) -> typing.Any:
    held = manager.request("GET", base + "/small", preload_content=False)
    try:
        return _described(manager.request("GET", base + "/small", pool_timeout=0.01), "data")
    finally:
        held.release_conn()


def _closed_pool(manager: urllib3.PoolManager, base: str, other: str) -> typing.Any:
    pool = manager.connection_from_url(base)
    pool.close()
    return _described(pool.urlopen("GET", "/small"), "data")


def _via_requests(manager: urllib3.PoolManager, base: str, other: str) -> typing.Any:
    with requests.Session() as session:
        first = session.get(base + "/small")
        second = session.post(base + "/echo", data=b"abc", headers={"X-Req": "1"})
        return [(r.status_code, list(r.headers.items()), r.content) for r in (first, second)]


def _escaped_target(manager: urllib3.PoolManager, base: str, other: str) -> typing.Any:
    return _described(manager.connection_from_url(base).urlopen("GET", "/small?q=a b&c=%2f"), "data")


def _pool_urlopen(manager: urllib3.PoolManager, base: str, other: str) -> typing.Any:
    pool = manager.connection_from_url(base)
    retries = Retry(total=2, read=False)
    response = pool.urlopen(
        "GET", "/small", retries=retries, preload_content=False, decode_content=False, redirect=False, assert_same_host=False
    )
    return _described(response, "stream")


SCENARIOS: dict[str, tuple[Scenario, dict[str, typing.Any]]] = {
    "keep-alive GET": (_get("/small"), {}),
    "read(n)": (_get("/small", "read-n", preload_content=False), {}),
    "stream": (_get("/small", "stream", preload_content=False), {}),
    "HEAD": (_get("/small", method="HEAD"), {}),
    "204": (_get("/204"), {}),
    "gzip": (_get("/gzip"), {}),
    "gzip raw": (_get("/gzip", decode_content=False), {}),
    "gzip streamed": (_get("/gzip", "stream", preload_content=False), {}),
    "chunked": (_get("/chunked"), {}),
    "chunked read_chunked": (_get("/chunked", "read_chunked", preload_content=False), {}),
    "body cut short": (_get("/short", retries=False), {}),
    "body cut short, streamed": (_get("/short", "stream", preload_content=False, retries=False), {}),
    "large body": (_get("/large"), {}),
    "large body streamed": (_get("/large", "stream", preload_content=False), {}),
    "large body cut short": (_get("/large-short", retries=1), {}),
    "timeout as a number": (_get("/small", timeout=5.0), {}),
    "release_conn": (_get("/small", "read-n", preload_content=False, release_conn=True), {}),
    "lower-case method": (_get("/small", method="get"), {}),
    "method not UTF-8": (_get("/small", method="G\udc80T"), {}),
    "headers not a mapping": (_get("/small", headers=[("X-One", "1")]), {}),
    "POST bytes": (_get("/echo", method="POST", body=b"x" * 5000), {}),
    "POST str": (_get("/echo", method="POST", body="text body"), {}),
    "custom headers": (_get("/small", headers={"X-One": "1", "x-two": "2", "Accept-Encoding": "gzip"}), {}),
    "bytes headers": (_get("/small", headers={b"X-Bytes": b"v"}), {}),
    "SKIP_HEADER": (_get("/small", headers={"User-Agent": urllib3.util.SKIP_HEADER}), {}),
    "bad SKIP_HEADER": (_get("/small", headers={"X-Other": urllib3.util.SKIP_HEADER}), {}),
    "escaped target": (_get("/small?q=a b&c=%2f"), {}),
    "target to escape": (_escaped_target, {}),
    "Retry-After": (_get("/retry-after"), {}),
    "status_forcelist": (_get("/flaky", retries=Retry(3, status_forcelist=[500])), {}),
    "status_forcelist exhausted": (_get("/flaky", retries=Retry(0, status_forcelist=[500])), {}),
    "dropped keep-alive connection": (_twice("/drop"), {}),
    "Connection: close": (_twice("/close"), {}),
    "Connection: close, streamed": (_get("/close", "stream", preload_content=False), {}),
    "reset, retries None": (_with_retries(None), {}),
    "reset, retries 0": (_with_retries(0), {}),
    "reset, retries False": (_with_retries(False), {}),
    "reset, retries 2": (_with_retries(2), {}),
    "reset, Retry": (_with_retries(Retry(1, backoff_factor=0)), {}),
    "redirect, retries False": (_with_retries(False, "/redirect?status=302&to=/small"), {}),
    "redirect, retries 0": (_with_retries(0, "/redirect?status=302&to=/small"), {}),
    "full blocking pool": (_full_blocking_pool, {"maxsize": 1, "block": True}),
    "closed pool": (_closed_pool, {}),
    "unknown scheme": (_get_absolute("unknown://host/"), {}),
    "requests' HTTPAdapter": (_via_requests, {}),
    "pool.urlopen as requests calls it": (_pool_urlopen, {}),
    **{
        f"redirect {status} {'cross-host' if cross else 'same host'}": (_redirect(status, cross), {})
        for status in (301, 302, 303, 307, 308)
        for cross in (False, True)
    },
}

# Scenarios whose requests the lane cannot serve (each says why), the others must show hits.
NOT_SERVED = {
    "target to escape",  # the stages encode it
    "closed pool",  # the stages raise ClosedPoolError
    "unknown scheme",  # the stages raise URLSchemeUnknown
    "full blocking pool",  # no connection on top of the store
    "SKIP_HEADER",  # the stages check where it may be used
    "bad SKIP_HEADER",  # the stages raise ValueError
    "method not UTF-8",  # the stages refuse it
    "headers not a mapping",  # the stages raise AttributeError
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_lane_and_the_stages_agree(servers: tuple[ScriptServer, ScriptServer], name: str) -> None:
    scenario, manager_kw = SCENARIOS[name]
    with_lane, served = observe(servers, scenario, True, **manager_kw)
    without_lane, served_without = observe(servers, scenario, False, **manager_kw)
    assert with_lane == without_lane
    assert served_without == 0
    if name not in NOT_SERVED:
        assert served > 0, "the lane served none of the scenario's requests"


def test_the_lane_takes_a_patched_seam_as_a_reason_to_stand_aside(
    servers: tuple[ScriptServer, ScriptServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    original = urllib3.HTTPConnectionPool._make_request

    def counting(self: typing.Any, *args: typing.Any, **kw: typing.Any) -> typing.Any:
        calls.append(args[1:3])
        return original(self, *args, **kw)

    monkeypatch.setattr(urllib3.HTTPConnectionPool, "_make_request", counting)
    base = f"http://127.0.0.1:{servers[0].port}"
    with urllib3.PoolManager() as manager:
        for _ in range(3):
            assert manager.request("GET", base + "/small").data == b"Hello, world!"
    assert calls == [("GET", "/small")] * 3


# What the route (``PoolManager.request``'s one call) passes by, beside the lane's seams.
ROUTE_STEPS = [
    (urllib3.PoolManager, "urlopen", "GET"),
    (urllib3.PoolManager, "request_encode_url", "GET"),
    (urllib3.PoolManager, "request_encode_body", "POST"),
    (urllib3.PoolManager, "_proxy_requires_url_absolute_form", "GET"),
    (urllib3.HTTPConnectionPool, "urlopen", "GET"),
    (urllib3.HTTPConnectionPool, "_took_response", "GET"),
    (urllib3.HTTPConnectionPool, "_put_conn", "GET"),
    (urllib3.connection.HTTPConnection, "_host_header", "GET"),
    (urllib3.connection.HTTPConnection, "_refuse_illegal_fields", "GET"),
    (urllib3.connection.HTTPConnection, "_response_from_core", "GET"),
    (urllib3.connection.HTTPConnection, "_wrap_core", "GET"),
]


@pytest.mark.parametrize(("cls", "name", "method"), ROUTE_STEPS, ids=[f"{c.__name__}.{n}" for c, n, _ in ROUTE_STEPS])
def test_a_patched_step_of_the_route_is_called(
    servers: tuple[ScriptServer, ScriptServer], monkeypatch: pytest.MonkeyPatch, cls: type, name: str, method: str
) -> None:
    """Instrumentation (ddtrace, sentry) patches such methods: the route stands aside, and
    every request still goes through them."""
    calls = []
    original = getattr(cls, name)

    def counting(self: typing.Any, *args: typing.Any, **kw: typing.Any) -> typing.Any:
        calls.append(name)
        return original(self, *args, **kw)

    monkeypatch.setattr(cls, name, counting)
    url = f"http://127.0.0.1:{servers[0].port}" + ("/small" if method == "GET" else "/echo")
    with urllib3.PoolManager() as manager:
        manager.request(method, url)  # a connection to reuse
        calls.clear()
        for _ in range(3):
            assert manager.request(method, url, body=b"x" if method == "POST" else None).status == 200
    assert len(calls) >= 3


def test_the_route_serves_a_stock_request_on_a_kept_connection(servers: tuple[ScriptServer, ScriptServer]) -> None:
    """``PoolManager.request`` in one call: no Python frame of the manager's or the pool's
    ``urlopen`` runs for it."""
    base = f"http://127.0.0.1:{servers[0].port}"
    frames: list[str] = []

    def tracer(frame: typing.Any, event: str, arg: typing.Any) -> None:
        if event == "call" and frame.f_code.co_name in ("urlopen", "_send_once", "send"):
            frames.append(frame.f_code.co_name)

    with urllib3.PoolManager() as manager:
        manager.request("GET", base + "/small")
        served = _rs._lane_counts()[0]
        sys.setprofile(tracer)
        try:
            response = manager.request("GET", base + "/small")
        finally:
            sys.setprofile(None)
        assert (response.status, response.data, response.version) == (200, b"Hello, world!", 11)
        assert response.retries is Retry.DEFAULT and response._pool is manager.connection_from_url(base)
    assert _rs._lane_counts()[0] - served == 1
    assert frames == []


def test_a_patch_of_http_clients_request_writing_is_called(
    servers: tuple[ScriptServer, ScriptServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our connection overrides http.client's putheader: a patch of http.client's own still
    sees every header, since the lane stands aside for it."""
    seen = []
    original = http.client.HTTPConnection.putheader

    def counting(self: typing.Any, header: str, *values: typing.Any) -> None:
        seen.append(header)
        original(self, header, *values)

    monkeypatch.setattr(http.client.HTTPConnection, "putheader", counting)
    base = f"http://127.0.0.1:{servers[0].port}"
    with urllib3.PoolManager() as manager:
        for _ in range(3):
            assert manager.request("GET", base + "/small", headers={"X-Mine": "1"}).data == b"Hello, world!"
    assert seen.count("X-Mine") == 3


def test_a_connection_with_a_response_class_of_its_own_gets_it_used(
    servers: tuple[ScriptServer, ScriptServer],
) -> None:
    """A connection whose ``response_class`` was changed reads the head with it, as
    http.client would: the lane does not serve it."""
    made = []

    class Recording(http.client.HTTPResponse):
        def begin(self) -> None:
            made.append(self)
            super().begin()

    base = f"http://127.0.0.1:{servers[0].port}"
    with urllib3.PoolManager() as manager:
        pool = manager.connection_from_url(base)
        assert pool.urlopen("GET", "/small").data == b"Hello, world!"  # a connection to reuse
        conn = pool._get_conn()
        conn.response_class = Recording
        pool._put_conn(conn)
        for _ in range(2):
            assert pool.urlopen("GET", "/small").data == b"Hello, world!"
    assert len(made) == 2


def test_a_connection_the_server_ends_lets_its_socket_go(servers: tuple[ScriptServer, ScriptServer]) -> None:
    """As http.client does on a response with Connection: close: the pooled connection has no
    socket, and the next request opens a new one (urllib3's test_keepalive_close)."""
    with urllib3.HTTPConnectionPool("127.0.0.1", servers[0].port, maxsize=1) as pool:
        assert pool.request("GET", "/close").data == b"bye"
        conn = pool.pool.get()
        assert conn.sock is None
        pool._put_conn(conn)
        assert pool.request("GET", "/small").data == b"Hello, world!"
        assert pool.num_connections == 1  # the same connection object, connected anew

