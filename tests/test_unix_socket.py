"""A connection subclass whose connect() puts its own socket in self.sock: the pattern of the
Docker SDK and requests-unixsocket (an AF_UNIX socket to a local daemon), driven by requests."""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
import typing

import pytest
import requests
import requests.adapters

from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a daemon's API is

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = self.rfile.read(length)
        body = f"{self.command} {self.path} {len(received)}".encode()
        self.send_response(200)
        # HEAD gets the length a GET would, and no body (RFC 9110 §9.3.2).
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer

    def log_message(self, format: str, *args: typing.Any) -> None:
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str) -> None:
        self.connections = 0
        super().__init__(path, _Handler)

    def get_request(self) -> tuple[socket.socket, typing.Any]:
        self.connections += 1
        return super().get_request()


@pytest.fixture
def unix_server(tmp_path) -> typing.Iterator[_UnixServer]:
    server = _UnixServer(str(tmp_path / "daemon.sock"))
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _session_for(path: str) -> requests.Session:
    class UnixConnection(HTTPConnection):
        def connect(self) -> None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            self.sock = sock

    class UnixPool(HTTPConnectionPool):
        ConnectionCls = UnixConnection

    class UnixAdapter(requests.adapters.HTTPAdapter):
        def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):  # type: ignore[no-untyped-def]
            return self.poolmanager.pools.get("unix") or self.poolmanager.pools.setdefault("unix", UnixPool("localhost"))

    session = requests.Session()
    session.mount("http+unix://", UnixAdapter())
    return session


def test_every_method_over_a_unix_socket_on_one_kept_alive_connection(unix_server) -> None:
    with _session_for(unix_server.server_address) as session:
        for method in METHODS:
            r = session.request(method, "http+unix://daemon/v1/things", data=b"x" * 5 if method in ("POST", "PUT", "PATCH") else None)
            assert r.status_code == 200
            sent = 5 if method in ("POST", "PUT", "PATCH") else 0
            expected = f"{method} /v1/things {sent}".encode()
            assert r.headers["Content-Length"] == str(len(expected))
            assert r.content == (b"" if method == "HEAD" else expected)
    assert unix_server.connections == 1
