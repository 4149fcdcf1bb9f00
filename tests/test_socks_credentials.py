"""SOCKS proxies as urllib3 reaches them through PySocks: credentials from the proxy URL
(percent-decoded, a user without a password being a SOCKS4 user id), the order of the SOCKS5
handshake with local name resolution, and a refusal that leaves the connection open."""

from __future__ import annotations

import socket
import threading
import typing

import pytest

from urllib3.contrib.socks import SOCKSProxyManager
from urllib3.exceptions import NewConnectionError


def _authenticated(server: typing.Any, scheme: str, userinfo: str) -> str:
    """The test server's authenticating proxy (user "user", password "pass"; SOCKS4 clients
    must send "user" as their user id) under `scheme`, with `userinfo` in the URL."""
    return server.socks_auth.replace("socks5://", f"{scheme}://{userinfo}@")


@pytest.mark.parametrize(
    "scheme, userinfo",
    [
        ("socks4a", "user"),
        ("socks4", "user"),
        ("socks4a", "us%65r"),
        ("socks5h", "us%65r:p%61ss"),
        ("socks5", "%75ser:pas%73"),
    ],
)
def test_credentials_in_the_url_reach_the_proxy(server, scheme: str, userinfo: str) -> None:  # type: ignore[no-untyped-def]
    with SOCKSProxyManager(_authenticated(server, scheme, userinfo)) as http:
        r = http.request("GET", server.url("/get"), retries=False)
    assert r.status == 200


def test_credentials_given_apart_win_over_the_url(server) -> None:  # type: ignore[no-untyped-def]
    url = _authenticated(server, "socks5h", "wrong:wrong")
    with SOCKSProxyManager(url, username="user", password="pass") as http:
        assert http.request("GET", server.url("/get"), retries=False).status == 200


class _ScriptedProxy:
    """A one-connection SOCKS5 proxy on loopback: accepts the "no authentication" method,
    then runs `after_greeting` on the socket; `greeting` is what the client offered."""

    def __init__(self, after_greeting: typing.Callable[[socket.socket], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.greeting = b""
        self.after = after_greeting
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        sock, _ = self.listener.accept()
        with sock:
            head = _read_exactly(sock, 2)
            self.greeting = head + _read_exactly(sock, head[1])
            sock.sendall(b"\x05\x00")
            self.after(sock)

    def join(self) -> None:
        self.thread.join()
        self.listener.close()


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _read_to_end(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_socks5_greets_the_proxy_before_resolving_the_name() -> None:
    """With socks5:// the client resolves the target, after the proxy has accepted it (as
    PySocks does): the proxy sees the greeting, then the client leaves when the name does not
    resolve."""
    after: list[bytes] = []
    proxy = _ScriptedProxy(lambda sock: after.append(_read_to_end(sock)))
    with SOCKSProxyManager(f"socks5://127.0.0.1:{proxy.port}") as http:
        with pytest.raises(NewConnectionError):
            http.request("GET", "http://no-such-host.invalid/", retries=False)
    proxy.join()
    assert proxy.greeting == b"\x05\x01\x00"
    assert after == [b""]


def test_a_socks5_refusal_without_an_address_fails_at_once() -> None:
    """A proxy may refuse with three bytes (version, status, reserved) and keep the
    connection open: the status is the answer, nothing more is waited for."""
    client_done = threading.Event()

    def refuse(sock: socket.socket) -> None:
        _read_exactly(sock, 10)  # version, command, reserved, IPv4 address, port
        sock.sendall(b"\x05\x05\x00")
        client_done.wait()

    proxy = _ScriptedProxy(refuse)
    try:
        with SOCKSProxyManager(f"socks5h://127.0.0.1:{proxy.port}", timeout=10) as http:
            with pytest.raises(NewConnectionError, match="0x05: Connection refused"):
                http.request("GET", "http://10.1.2.3/", retries=False)
    finally:
        client_done.set()
        proxy.join()
