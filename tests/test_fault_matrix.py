"""Misbehaving servers, proxies and inputs through the Python API: each ends in the exception
urllib3 raises there (with ``retries=False``, the error itself), the same manager then serves
a good request, and no file descriptor is left open once the manager is cleared."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import typing

import pytest

import urllib3
from loopback import LoopbackServer
from urllib3.contrib.socks import SOCKSProxyManager
from urllib3.exceptions import (
    DecodeError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

MiB = 1024 * 1024


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # type: ignore[no-any-return]


class Case(typing.NamedTuple):
    """A request that fails; ``url`` and ``manager`` take the test server's URLs."""

    url: typing.Callable[[typing.Any], str]
    error: type[BaseException]
    manager: typing.Callable[[typing.Any], urllib3.PoolManager] = lambda s: urllib3.PoolManager()
    kwargs: dict[str, typing.Any] = {}


CASES: dict[str, Case] = {
    "connection refused": Case(lambda s: f"http://127.0.0.1:{_closed_port()}/", NewConnectionError),
    "DNS failure": Case(lambda s: "http://no-such-host.invalid/", NameResolutionError),
    "reset before headers": Case(lambda s: s.url("/fault/reset-before-headers"), ProtocolError),
    "reset after headers": Case(lambda s: s.url("/fault/reset-after-headers"), ProtocolError),
    "reset mid-body": Case(lambda s: s.url("/fault/reset-mid-body"), ProtocolError),
    "truncated body": Case(lambda s: s.url("/fault/truncated-body"), ProtocolError),
    "stall before headers": Case(
        lambda s: s.url("/fault/stall-before-headers"), ReadTimeoutError, kwargs={"timeout": 0.2}
    ),
    "stall mid-body": Case(lambda s: s.url("/fault/stall-mid-body"), ReadTimeoutError, kwargs={"timeout": 0.2}),
    "bad chunk size": Case(lambda s: s.url("/fault/bad-chunk-size"), ProtocolError),
    "oversize header line": Case(lambda s: s.url("/fault/oversize-header"), ProtocolError),
    "too many headers": Case(lambda s: s.url("/fault/too-many-headers"), ProtocolError),
    "invalid status line": Case(lambda s: s.url("/fault/invalid-status-line"), ProtocolError),
    "garbage instead of TLS": Case(lambda s: s.http.replace("http://", "https://") + "/get", SSLError),
    "TLS dropped after the handshake": Case(
        lambda s: s.https + "/fault/reset-before-headers",
        ProtocolError,
        manager=lambda s: urllib3.PoolManager(cert_reqs="CERT_NONE"),
    ),
    "proxy refuses CONNECT": Case(
        lambda s: "https://forbidden.invalid/", ProxyError, manager=lambda s: urllib3.ProxyManager(s.proxy)
    ),
    "SOCKS authentication fails": Case(
        lambda s: s.url("/get"),
        NewConnectionError,
        manager=lambda s: SOCKSProxyManager(s.socks_auth, username="user", password="wrong"),
    ),
    "decompression bomb": Case(lambda s: s.url("/bomb/gzip?mib=4096"), DecodeError),
    "six chained encodings": Case(
        lambda s: s.url("/encoding/chain?codings=gzip,gzip,gzip,gzip,gzip,gzip"), DecodeError
    ),
}


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("name", list(CASES))
def test_fault(server, name: str) -> None:
    case = CASES[name]
    gc.collect()
    fds = _open_fds()
    manager = case.manager(server)
    with pytest.raises(case.error):
        manager.request("GET", case.url(server), retries=False, **case.kwargs)
    good = server.url("/get")
    if isinstance(manager, SOCKSProxyManager):
        # The same manager's SOCKS settings fail by design; a right password goes through.
        manager.clear()
        manager = SOCKSProxyManager(server.socks_auth, username="user", password="pass")
    assert manager.request("GET", good, retries=False).status == 200
    manager.clear()
    gc.collect()
    assert _open_fds() == fds


_BOMB_CHILD = """
import resource, sys
import urllib3
from urllib3.exceptions import DecodeError

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    urllib3.PoolManager().request("GET", sys.argv[1], retries=False)
except DecodeError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_a_decompression_bomb_is_refused_in_bounded_memory(server) -> None:
    """4 GiB of zeros, gzipped: the error comes long before memory grows with the output.
    Measured in a fresh process: the peak RSS of this one may already be above the bomb's."""
    child = subprocess.run(
        [sys.executable, "-c", _BOMB_CHILD, server.url("/bomb/gzip?mib=4096")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout.strip(), f"no DecodeError: {child.stderr}"
    grown_kib = int(child.stdout)
    assert grown_kib < 512 * 1024, f"peak RSS grew by {grown_kib} KiB"


def test_a_truncated_body_is_returned_short_without_enforcement_to_sized_reads_only(server) -> None:
    # As urllib3's: a whole-body read goes through http.client, which holds it to its length.
    with urllib3.PoolManager() as manager:
        url = server.url("/fault/truncated-body")
        r = manager.request("GET", url, enforce_content_length=False, preload_content=False)
        assert r.status == 200 and sum(len(piece) for piece in r.stream(16)) == 50
        with pytest.raises(ProtocolError, match=r"IncompleteRead\(50 bytes read, 50 more expected\)"):
            manager.request("GET", url, enforce_content_length=False, retries=False)


# --- Injection and smuggling ---------------------------------------------------------------


class RecordingServer(LoopbackServer):
    """Records every byte clients send; answers each request with an empty 200."""

    def __init__(self) -> None:
        self.received = bytearray()
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        data = self.read_request(conn)
        self.received += data
        if data:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.fixture
def recorder() -> typing.Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.close()


INJECTIONS = {
    "CRLF in the method": ({"method": "GET\r\nX-Injected: 1"}, "method can't contain control characters"),
    "NUL in the method": ({"method": "GE\0T"}, "method can't contain control characters"),
    "CRLF in a header name": ({"headers": {"X\r\nX-Injected": "1"}}, "Invalid header name"),
    "NUL in a header name": ({"headers": {"X\0": "1"}}, "Invalid header name"),
    "CRLF in a header value": ({"headers": {"X": "1\r\nX-Injected: 1"}}, "Invalid header value"),
    "LF in a header value": ({"headers": {"X": "1\nX-Injected: 1"}}, "Invalid header value"),
    "NUL in a header value": ({"headers": {"X": "1\0"}}, "Invalid header value"),
}


@pytest.mark.parametrize("name", list(INJECTIONS))
def test_injection_is_refused_before_sending(recorder: RecordingServer, name: str) -> None:
    changes, message = INJECTIONS[name]
    args = {"method": "GET", "url": "/", **changes}
    with urllib3.HTTPConnectionPool("127.0.0.1", recorder.port, retries=False) as pool:
        with pytest.raises(ValueError, match=message):
            pool.request(args.pop("method"), args.pop("url"), **args)
        assert pool.request("GET", "/after").status == 200
    assert bytes(recorder.received).startswith(b"GET /after HTTP/1.1\r\n")
    assert b"Injected" not in recorder.received


def test_injection_in_the_host_is_a_parse_error(recorder: RecordingServer) -> None:
    with pytest.raises(urllib3.exceptions.LocationParseError):
        urllib3.request("GET", f"http://127.0.0.1\r\nX-Injected: 1:{recorder.port}/")
    assert recorder.received == b""


@pytest.mark.parametrize("target", ["/a\r\nX-Injected: 1", "/?q=\r\nX-Injected: 1", "/a\0b"])
def test_control_characters_in_the_path_and_query_go_out_percent_encoded(
    recorder: RecordingServer, target: str
) -> None:
    r = urllib3.request("GET", f"http://127.0.0.1:{recorder.port}{target}", retries=False)
    assert r.status == 200
    request_line = bytes(recorder.received).split(b"\r\n", 1)[0]
    assert b"\r" not in request_line and b"\0" not in request_line
    assert b"%0D%0A" in request_line or b"%00" in request_line
    assert b"\r\nX-Injected" not in recorder.received


@pytest.mark.parametrize(
    "headers, chunked, framing",
    [
        ({"Content-Length": "5"}, True, b"Transfer-Encoding: chunked"),
        ({"Content-Length": "5", "Transfer-Encoding": "chunked"}, False, b"Content-Length: 5"),
    ],
)
def test_two_framings_asked_for_go_out_as_one(
    recorder: RecordingServer, headers: dict[str, str], chunked: bool, framing: bytes
) -> None:
    with urllib3.HTTPConnectionPool("127.0.0.1", recorder.port, retries=False) as pool:
        pool.request("POST", "/", body=b"hello", headers=headers, chunked=chunked)
    head = bytes(recorder.received).lower()
    assert framing.lower() in head
    assert (b"content-length" in head) != (b"transfer-encoding" in head)


# --- A stale keep-alive connection -----------------------------------------------------------


class ClosingAfterOneServer(LoopbackServer):
    """Answers the first request on each connection with keep-alive, then reads the next
    request and closes without answering: a server that timed the connection out just as the
    client reused it."""

    def handle(self, conn: socket.socket) -> None:
        if self.read_request(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        self.read_request(conn)


@pytest.fixture
def closing_server() -> typing.Iterator[ClosingAfterOneServer]:
    server = ClosingAfterOneServer()
    yield server
    server.close()


def test_a_stale_connection_is_retried_for_get(closing_server: ClosingAfterOneServer) -> None:
    with urllib3.HTTPConnectionPool("127.0.0.1", closing_server.port, maxsize=1) as pool:
        assert pool.request("GET", "/").data == b"ok"
        assert pool.request("GET", "/").data == b"ok"
    assert closing_server.connections == 2


def test_a_stale_connection_is_not_retried_for_post(closing_server: ClosingAfterOneServer) -> None:
    with urllib3.HTTPConnectionPool("127.0.0.1", closing_server.port, maxsize=1) as pool:
        assert pool.request("POST", "/", body=b"x").data == b"ok"
        with pytest.raises(ProtocolError):
            pool.request("POST", "/", body=b"x")
    assert closing_server.connections == 1


def test_an_unresolvable_proxy_is_a_name_resolution_error() -> None:
    with urllib3.ProxyManager("http://no-such-proxy.invalid:3128", retries=False) as manager:
        with pytest.raises(ProxyError) as caught:
            manager.request("GET", "https://example.invalid/")
    assert isinstance(caught.value.original_error, NameResolutionError)


class BrokenHeaderServer(LoopbackServer):
    def handle(self, conn: socket.socket) -> None:
        if self.read_request(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nBroken Header\r\nAnother: Header\r\n\r\n")


def test_a_line_that_is_no_header_is_skipped_with_urllib3s_warning(caplog: pytest.LogCaptureFixture) -> None:
    server = BrokenHeaderServer()
    try:
        with caplog.at_level("WARNING", logger="urllib3.connection"):
            with urllib3.HTTPConnectionPool("127.0.0.1", server.port, retries=False) as pool:
                r = pool.request("GET", "/path")
    finally:
        server.close()
    assert r.status == 200 and r.headers["Another"] == "Header"
    [record] = [r for r in caplog.records if "Failed to parse headers" in r.msg]
    assert record.args[0] == f"http://127.0.0.1:{server.port}/path"
    assert "Broken Header" in record.getMessage()


def test_a_refused_connect_reads_as_urllib3s(server) -> None:
    with urllib3.ProxyManager(server.proxy) as manager:
        with pytest.raises(urllib3.exceptions.MaxRetryError) as caught:
            manager.request("GET", "https://forbidden.invalid/", retries=0)
    reason = caught.value.reason
    assert type(reason) is ProxyError and reason.args[0] == "Unable to connect to proxy"
    assert type(reason.args[1]) is OSError
    assert str(reason.args[1]).startswith("Tunnel connection failed: 403")
