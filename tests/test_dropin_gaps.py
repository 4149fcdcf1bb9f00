"""Behaviours urllib3 has that users hit, each once a bug report here (issue "drop-in gaps")."""

from __future__ import annotations

import socket
import threading
import typing

import pytest

import urllib3
from urllib3.exceptions import ProtocolError


class ScriptedServer:
    """Answers every connection with ``reply`` after reading the request head, then closes."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    piece = conn.recv(65536)
                    if not piece:
                        break
                    data += piece
                conn.sendall(self.reply)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def scripted() -> typing.Iterator[typing.Callable[[bytes], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(reply: bytes) -> ScriptedServer:
        servers.append(ScriptedServer(reply))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_head_cut_short_by_the_server_ends_where_it_stopped(scripted) -> None:
    # Status line and some headers, then the connection closes: http.client (so urllib3)
    # takes that as the end of the head; the body, framed by nothing, is empty.
    names = [f"X-Header-{i}" for i in reversed(range(8))]
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(f"{n}: {n[-1]}\r\n".encode() for n in names)
    server = scripted(head)
    r = urllib3.PoolManager().request("GET", server.url(), retries=False)
    assert r.status == 200
    assert list(r.headers) == names
    assert r.data == b""


def test_a_head_cut_short_then_fails_in_the_body_its_length_promised(scripted) -> None:
    server = scripted(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n")
    with pytest.raises(ProtocolError, match="IncompleteRead"):
        urllib3.PoolManager().request("GET", server.url(), retries=False)


def test_a_forwarding_proxy_that_refuses_is_a_proxy_error() -> None:
    # urllib3 reports any failure before the proxy answered as ProxyError, for forwarded
    # http:// requests as for tunnels; requests turns it into requests.exceptions.ProxyError.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    with urllib3.ProxyManager(f"http://127.0.0.1:{port}") as proxy:
        with pytest.raises(urllib3.exceptions.MaxRetryError) as info:
            proxy.request("GET", "http://example.invalid/", retries=0)
    reason = info.value.reason
    assert type(reason) is urllib3.exceptions.ProxyError
    assert reason.args[0] == "Unable to connect to proxy"
    assert isinstance(reason.original_error, urllib3.exceptions.NewConnectionError)


def test_https_goes_through_a_replaced_create_connection(server, monkeypatch) -> None:
    # Tests and libraries patch this seam (to count or redirect connections); HTTPS used to
    # be refused when they did. TLS then runs over the socket the replacement made.
    from urllib3.util import connection as util_connection

    made = []
    original = util_connection.create_connection

    def counting(address: tuple[str, int], *args: typing.Any, **kwargs: typing.Any) -> socket.socket:
        made.append(address)
        return original(address, *args, **kwargs)

    monkeypatch.setattr(util_connection, "create_connection", counting)
    with urllib3.PoolManager(ca_certs=server.ca_file) as http:
        for _ in range(2):
            r = http.request("GET", server.https + "/get")
            assert r.status == 200
            assert r.json()["url"].endswith("/get")
        pool = http.connection_from_url(server.https)
        assert pool.pool.queue[-1].is_verified
    assert len(made) == 1  # one connection, kept alive
    with pytest.raises(urllib3.exceptions.MaxRetryError) as info:
        urllib3.PoolManager().request("GET", server.https + "/get", retries=0)
    assert isinstance(info.value.reason, urllib3.exceptions.SSLError)


def test_tls_secrets_go_where_sslkeylogfile_says(server, monkeypatch, tmp_path) -> None:
    # As Python's ssl module with urllib3: environment variables in the value are expanded,
    # and a new file starts with OpenSSL's header (Wireshark reads the lines after it).
    keylog = tmp_path / "keys.txt"
    monkeypatch.setenv("KEYLOG_DIR", str(tmp_path))
    monkeypatch.setenv("SSLKEYLOGFILE", "${KEYLOG_DIR}/keys.txt")
    with urllib3.PoolManager(ca_certs=server.ca_file) as http:
        assert http.request("GET", server.https + "/get").status == 200
    lines = keylog.read_text().splitlines()
    assert lines[0] == "# TLS secrets log file, generated by OpenSSL / Python"
    assert any(line.split(" ")[0] in ("CLIENT_RANDOM", "CLIENT_TRAFFIC_SECRET_0") for line in lines[1:])
