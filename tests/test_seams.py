"""The http.client seams that libraries built on urllib3 reach into, on connections whose
socket is the Rust core's: ``conn.sock`` behaves as a socket, a caller's ``response_class``
reads the response, and a response's socket timeout can be changed mid-body."""

from __future__ import annotations

import http.client
import socket
import typing

import pytest

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ReadTimeoutError
from urllib3.util import parse_url, wait_for_read


def _connect(server, cls=HTTPConnection) -> HTTPConnection:  # type: ignore[no-untyped-def]
    url = parse_url(server.http)
    conn = cls(url.host, url.port)
    conn.connect()
    return conn


def test_the_socket_sends_and_receives_raw_bytes(server) -> None:
    conn = _connect(server)
    sock = conn.sock
    assert sock.type == socket.SOCK_STREAM
    assert sock.fileno() > 0
    sock.settimeout(5)
    assert sock.gettimeout() == 5
    request = b"GET /small HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert sock.send(request[:4], 0) == 4
    sock.sendall(request[4:])
    assert wait_for_read(sock, 5)
    raw = sock.makefile("rb", 0)
    assert raw.readline() == b"HTTP/1.1 200 OK\r\n"
    # The rest is still there for the next reader, however it reads.
    head = bytearray(4096)
    n = sock.recv_into(head)
    while b"Hello, world!" not in bytes(head[:n]):
        n += sock.recv_into(memoryview(head)[n:])
    assert bytes(head[:n]).endswith(b"\r\n\r\nHello, world!")
    raw.close()
    conn.close()


def test_buffered_bytes_count_as_readable(server) -> None:
    """Bytes already in the core's buffer are invisible to poll(); wait_for_read sees them."""
    conn = _connect(server)
    conn.sock.settimeout(5)
    conn.sock.sendall(b"GET /small HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert conn.sock.recv(5) == b"HTTP/"
    assert wait_for_read(conn.sock, 0)
    conn.close()


def test_http_client_reads_a_response_through_makefile(server) -> None:
    conn = _connect(server)
    conn.sock.settimeout(5)
    conn.sock.sendall(b"GET /small HTTP/1.1\r\nHost: localhost\r\n\r\n")
    response = http.client.HTTPResponse(conn.sock, method="GET")
    response.begin()
    assert (response.status, response.read()) == (200, b"Hello, world!")
    conn.close()


def test_a_response_class_of_the_caller_reads_the_response(server) -> None:
    class MarkedResponse(http.client.HTTPResponse):
        made = 0

        def __init__(self, sock, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            type(self).made += 1
            super().__init__(sock, *args, **kwargs)

    class Connection(HTTPConnection):
        response_class = MarkedResponse

    url = parse_url(server.http)
    with urllib3.HTTPConnectionPool(url.host, url.port) as pool:
        pool.ConnectionCls = Connection
        for _ in range(2):
            r = pool.request("GET", "/get", fields={"n": "1"})
            assert r.status == 200 and r.json()["args"] == {"n": "1"}
        assert pool.num_connections == 1
    assert MarkedResponse.made == 2


def test_a_response_socket_timeout_applies_to_the_rest_of_the_body(server) -> None:
    """botocore's StreamingBody.set_socket_timeout: response._fp.fp.raw._sock.settimeout."""
    with urllib3.PoolManager(retries=False, timeout=30) as http_:
        r = http_.request("GET", server.url("/fault/stall-mid-body"), preload_content=False)
        r._fp.fp.raw._sock.settimeout(0.2)
        with pytest.raises(ReadTimeoutError) as caught:
            r.read()
    # The core's own error, which the urllib3 one was raised from, names the timeout used.
    assert "read timeout=0.2" in str(caught.value.__context__)


def test_a_tls_socket_answers_as_an_ssl_socket(server) -> None:
    url = parse_url(server.https)
    conn = HTTPSConnection("localhost", url.port, ca_certs=server.ca_file)
    conn.connect()
    try:
        assert conn.is_verified
        sock = conn.sock
        assert sock.version() in ("TLSv1.2", "TLSv1.3")
        name, protocol, bits = sock.cipher()
        assert protocol == sock.version() and bits in (128, 256)
        assert sock.selected_alpn_protocol() == "http/1.1"
        chain = sock.get_verified_chain()
        assert chain[0] == sock.getpeercert(binary_form=True)
        assert [c.public_bytes(2) for c in sock._sslobj.get_verified_chain()] == chain
    finally:
        conn.close()


def test_a_plain_socket_has_no_ssl_object(server) -> None:
    conn = _connect(server)
    assert not hasattr(conn.sock, "_sslobj")
    conn.close()


class _RecordingTunnel:
    """A connection mixin whose ``_tunnel`` (http.client's, which writes the CONNECT with
    ``send`` and reads the answer through ``response_class``) records what it tunnelled to."""

    tunnels: typing.ClassVar[list[tuple[str, int, dict[str, str]]]] = []

    def _tunnel(self) -> None:
        type(self).tunnels.append((self._tunnel_host, self._tunnel_port, dict(self._tunnel_headers)))
        super()._tunnel()  # type: ignore[misc]


def test_a_subclass_tunnel_writes_the_connect_for_https(server) -> None:
    class Connection(_RecordingTunnel, HTTPSConnection):
        tunnels: typing.ClassVar[list[tuple[str, int, dict[str, str]]]] = []

    https = parse_url(server.https)
    with urllib3.ProxyManager(server.proxy, proxy_headers={"X-Via": "test"}, ca_certs=server.ca_file) as manager:
        pool = manager.connection_from_url(f"https://localhost:{https.port}/")
        pool.ConnectionCls = Connection
        r = pool.request("GET", "/get")
        assert r.status == 200
        conn = pool.pool.queue[-1]
        assert conn.is_verified and conn.proxy_is_tunneling
    assert Connection.tunnels == [("localhost", https.port, {"X-Via": "test"})]


def test_a_subclass_tunnel_refused_by_the_proxy_is_an_error(server) -> None:
    class Connection(_RecordingTunnel, HTTPSConnection):
        tunnels: typing.ClassVar[list[tuple[str, int, dict[str, str]]]] = []

    with urllib3.ProxyManager(server.proxy, retries=False) as manager:
        pool = manager.connection_from_url("https://forbidden.invalid/")
        pool.ConnectionCls = Connection
        # As in urllib3: http.client's _tunnel closes the connection before raising, so the
        # pool sees a connection that never reached past the proxy and blames the proxy.
        with pytest.raises(urllib3.exceptions.ProxyError, match="Tunnel connection failed: 403"):
            pool.request("GET", "/")
    assert Connection.tunnels == [("forbidden.invalid", 443, {})]


def test_a_subclass_tunnel_for_plain_http(server) -> None:
    class Connection(_RecordingTunnel, HTTPConnection):
        tunnels: typing.ClassVar[list[tuple[str, int, dict[str, str]]]] = []

    proxy, target = parse_url(server.proxy), parse_url(server.http)
    conn = Connection(proxy.host, proxy.port)
    conn.set_tunnel(target.host, target.port)
    conn.request("GET", "/get")
    assert conn.getresponse().json()["url"].endswith("/get")
    assert Connection.tunnels == [(target.host, target.port, {})]
    conn.close()


def test_the_socket_names_both_ends(server) -> None:
    conn = _connect(server)
    url = parse_url(server.http)
    host, port = conn.sock.getsockname()
    assert host == "127.0.0.1" and port > 0
    assert conn.sock.getpeername() == ("127.0.0.1", url.port)
    conn.close()


def test_a_tunnel_patched_on_the_instance_is_called(server) -> None:
    """As urllib3's own test does: set_tunnel to the server itself, _tunnel mocked out."""
    from unittest import mock

    url = parse_url(server.https)
    conn = HTTPSConnection("localhost", url.port, ca_certs=server.ca_file)
    conn.set_tunnel("localhost", url.port)
    with mock.patch.object(conn, "_tunnel", create=True, return_value=None) as tunnel:
        conn.request("GET", "/get")
        assert conn.getresponse().status == 200
    tunnel.assert_called_once_with()
    conn.close()


def test_a_wrapped_socket_gets_the_connect_then_the_read_timeout(server) -> None:
    """A caller's stand-in for conn.sock is used as it is, and told each request's timeouts."""
    from unittest import mock

    url = parse_url(server.http)
    with urllib3.HTTPConnectionPool(url.host, url.port) as pool:
        pool.urlopen("GET", "/get")
        conn = pool.pool.get_nowait()
        conn.sock = mock.Mock(wraps=conn.sock)
        pool._put_conn(conn)
        r = pool.urlopen("GET", "/get", timeout=urllib3.Timeout(connect=5, read=4))
        assert r.status == 200
        conn.sock.settimeout.assert_has_calls([mock.call(5), mock.call(4)])


def test_through_a_proxy_the_host_header_names_the_target(server) -> None:
    http_target, https_port = parse_url(server.http), parse_url(server.https).port
    with urllib3.ProxyManager(server.proxy, ca_certs=server.ca_file) as proxy:
        forwarded = proxy.request("GET", server.url("/headers")).json()["headers"]
        tunnelled = proxy.request("GET", f"https://localhost:{https_port}/headers").json()["headers"]
    assert forwarded["Host"] == f"{http_target.host}:{http_target.port}"
    assert tunnelled["Host"] == f"localhost:{https_port}"


def test_socket_methods_raise_what_a_socket_raises(server) -> None:
    """A read that times out is socket.timeout (TimeoutError), as http.client and botocore
    expect from a socket; not urllib3's own classes."""
    conn = _connect(server)
    conn.sock.settimeout(0.1)
    conn.sock.sendall(b"GET /fault/stall-before-headers HTTP/1.1\r\nHost: localhost\r\n\r\n")
    with pytest.raises(socket.timeout):
        conn.sock.recv(100)
    conn.close()
