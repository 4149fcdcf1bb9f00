"""Opening connections: Happy Eyeballs across a host's addresses, one connect timeout for all
of them, urllib3's errors when they fail, and ``socket_options`` applied in full.

The address tests run ``tests/netns/probe.py`` in a private network (``tests/netns/enter.sh``
under ``unshare -rnm``, as urllib3's suite harness does) where ``dual.test`` resolves to a
black-holed IPv6 address and a live IPv4 one, ``blackhole.test`` to two black holes and
``refused.test`` to a refusing ``::1`` and a live ``127.0.0.1``. They skip, with the reason,
only where namespaces are not permitted.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import socket
import struct
import subprocess
import sys
import typing

import pytest

import urllib3
from urllib3.exceptions import NewConnectionError
from urllib3.util import connection

if typing.TYPE_CHECKING:
    from conftest import Server

NETNS = pathlib.Path(__file__).resolve().parent / "netns"

#: A connect timeout far longer than the Happy Eyeballs delay (0.25 s), so that answering well
#: within it can only mean the race worked.
LONG = 20.0


def _namespaces_permitted() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rnm", "true"], capture_output=True)
    return probe.returncode == 0


def probe(host: str, connect_timeout: float, **settings: str) -> dict[str, typing.Any]:
    """Runs one request to ``host`` in the private network; what probe.py reports."""
    if not _namespaces_permitted():
        pytest.skip("user and network namespaces (unshare -rnm) are not permitted here")
    command = ["unshare", "-rnm", "sh", str(NETNS / "enter.sh"), sys.executable, str(NETNS / "probe.py")]
    command += [host, str(connect_timeout)] + [f"{k}={v}" for k, v in settings.items()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode == 77:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stderr
    return typing.cast("dict[str, typing.Any]", json.loads(done.stdout))


def test_a_black_holed_ipv6_address_costs_the_delay_not_the_timeout() -> None:
    result = probe("dual.test", LONG)
    assert result["status"] == 200, result
    assert result["seconds"] < LONG / 4, result


def test_all_addresses_black_holed_time_out_once() -> None:
    result = probe("blackhole.test", 2)
    assert result["error"] == "ConnectTimeoutError", result
    assert "'Connection to blackhole.test timed out. (connect timeout=2.0)'" in result["message"]
    # One timeout for the race, not one for each of its two addresses (urllib3 takes 4 s).
    assert 2 <= result["seconds"] < 4, result


def test_a_refused_address_gives_way_to_a_live_one() -> None:
    assert probe("refused.test", LONG)["status"] == 200


def test_every_address_refused_names_the_last_error() -> None:
    result = probe("refused.test", LONG, port="refused")
    assert result["error"] == "NewConnectionError", result
    assert result["message"].endswith("Failed to establish a new connection: [Errno 111] Connection refused")


def test_a_zero_delay_tries_one_address_at_a_time_in_resolver_order() -> None:
    # IPv6 comes first and takes the whole (shared) connect timeout.
    result = probe("dual.test", 1, delay="0")
    assert result["error"] == "ConnectTimeoutError", result


@pytest.mark.parametrize("setting", [{"family": "4"}, {"has_ipv6": "0"}])
def test_the_allowed_family_is_read_at_connect_time(setting: dict[str, str]) -> None:
    # Without racing, reaching the IPv4 address within a second means IPv6 was not tried.
    assert probe("dual.test", 1, delay="0", **setting)["status"] == 200


def test_core_family_follows_allowed_gai_family(monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection._core_family() == (0 if connection.HAS_IPV6 else 4)
    monkeypatch.setattr(connection, "HAS_IPV6", False)
    assert connection._core_family() == 4
    monkeypatch.setattr(connection, "allowed_gai_family", lambda: socket.AF_INET6)
    assert connection._core_family() == 6


KEEPALIVE_OPTIONS = [
    (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 33),
    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, struct.pack("i", 7)),
    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 4),
]


def _value(option: tuple[int, int, int | bytes]) -> int:
    value = option[2]
    return value if isinstance(value, int) else int(struct.unpack("i", value)[0])


@pytest.mark.skipif(not hasattr(socket, "TCP_KEEPIDLE"), reason="no TCP_KEEPIDLE on this system")
def test_every_socket_option_is_on_the_core_socket(server: Server) -> None:
    port = int(server.http.rsplit(":", 1)[1])
    with urllib3.HTTPConnectionPool("127.0.0.1", port, socket_options=KEEPALIVE_OPTIONS) as pool:
        conn = pool._get_conn()
        conn.connect()
        try:
            for option in KEEPALIVE_OPTIONS:
                assert conn.sock.getsockopt(option[0], option[1]) == _value(option), option
        finally:
            conn.close()
        # And on the connections the pool opens for requests.
        response = pool.request("GET", "/get", preload_content=False)
        sock = response._connection.sock  # type: ignore[attr-defined]
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 33
        response.release_conn()


def test_options_are_applied_in_order(server: Server) -> None:
    port = int(server.http.rsplit(":", 1)[1])
    options = [
        (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
        (socket.SOL_SOCKET, socket.SO_RCVBUF, 8192),
        (socket.IPPROTO_TCP, socket.TCP_NODELAY, 0),
    ]
    conn = urllib3.connection.HTTPConnection("127.0.0.1", port, socket_options=options)
    conn.connect()
    try:
        assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= 8192
    finally:
        conn.close()


def test_a_refused_option_is_new_connection_error_with_its_errno(server: Server) -> None:
    port = int(server.http.rsplit(":", 1)[1])
    bogus = [(socket.SOL_SOCKET, 0xDEAD, 1)]
    with urllib3.HTTPConnectionPool("127.0.0.1", port, socket_options=bogus, retries=False) as pool:
        with pytest.raises(NewConnectionError) as caught:
            pool.request("GET", "/get")
    assert str(caught.value).endswith("Failed to establish a new connection: [Errno 92] Protocol not available")


def test_a_value_of_the_wrong_type_raises_as_in_urllib3(server: Server) -> None:
    port = int(server.http.rsplit(":", 1)[1])
    wrong = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, "yes")]
    with urllib3.HTTPConnectionPool("127.0.0.1", port, socket_options=wrong, retries=False) as pool:
        with pytest.raises(TypeError, match="bytes-like object is required"):
            pool.request("GET", "/get")


def test_the_core_needs_python_only_for_options_it_does_not_set() -> None:
    assert connection._socket_configurer(None) is None
    assert connection._socket_configurer(urllib3.connection.HTTPConnection.default_socket_options) is None
    assert connection._socket_configurer([(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]) is None
    # A bytes value is Python's to set, even for an option the core knows.
    assert connection._socket_configurer([(socket.IPPROTO_TCP, socket.TCP_NODELAY, b"\0\0\0\0")]) is not None
    assert connection._socket_configurer(KEEPALIVE_OPTIONS) is not None
