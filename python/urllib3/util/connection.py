"""Socket-level connection helpers."""

from __future__ import annotations

import socket
import typing

from ..exceptions import LocationParseError
from .timeout import _DEFAULT_TIMEOUT, _TYPE_TIMEOUT

_TYPE_SOCKET_OPTIONS = list[tuple[int, int, typing.Union[int, bytes]]]

if typing.TYPE_CHECKING:
    from .._base_connection import BaseHTTPConnection


def is_connection_dropped(conn: BaseHTTPConnection) -> bool:
    """Whether ``conn`` lost its connection and should be closed rather than reused."""
    return not conn.is_connected


def create_connection(
    address: tuple[str, int],
    timeout: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
    source_address: tuple[str, int] | None = None,
    socket_options: _TYPE_SOCKET_OPTIONS | None = None,
) -> socket.socket:
    """Connects a TCP socket to ``address`` (``(host, port)``) and returns it.

    Like :func:`socket.create_connection`, plus ``socket_options`` (applied with
    setsockopt before connecting), and IPv6 addresses are only tried when the machine can
    use IPv6 (:func:`allowed_gai_family`).  ``timeout`` defaults to
    :func:`socket.getdefaulttimeout`; ``source_address`` binds the local end first.
    Every resolved address is tried in turn; the last error is raised if none works.
    """
    host, port = address
    if host.startswith("["):
        host = host.strip("[]")

    family = allowed_gai_family()

    # The idna codec rejects empty or over-long (> 63) labels; getaddrinfo would fail on
    # them with a less helpful error.
    try:
        host.encode("idna")
    except UnicodeError:
        raise LocationParseError(f"'{host}', label empty or too long") from None

    err: OSError | None = None
    for af, socktype, proto, _canonname, sa in socket.getaddrinfo(
        host, port, family, socket.SOCK_STREAM
    ):
        sock = None
        try:
            sock = socket.socket(af, socktype, proto)
            _set_socket_options(sock, socket_options)
            if timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sa)
            err = None
            return sock
        except OSError as e:
            err = e
            if sock is not None:
                sock.close()

    if err is not None:
        try:
            raise err
        finally:
            # Break the frame -> exception -> traceback -> frame cycle.
            err = None
    raise OSError("getaddrinfo returns an empty list")


def _set_socket_options(sock: socket.socket, options: _TYPE_SOCKET_OPTIONS | None) -> None:
    if options is None:
        return
    for opt in options:
        sock.setsockopt(*opt)


def allowed_gai_family() -> socket.AddressFamily:
    """The getaddrinfo family to ask for: both IPv4 and IPv6 (AF_UNSPEC) when IPv6 is
    usable here, otherwise IPv4 only."""
    return socket.AF_UNSPEC if HAS_IPV6 else socket.AF_INET


def _has_ipv6(host: str) -> bool:
    """Whether an IPv6 socket can be bound to ``host``.

    socket.has_ipv6 only says Python was built with IPv6; binding tells whether the
    system has it enabled.
    """
    if not socket.has_ipv6:
        return False
    sock = None
    try:
        sock = socket.socket(socket.AF_INET6)
        sock.bind((host, 0))
        return True
    except Exception:
        return False
    finally:
        if sock:
            sock.close()


HAS_IPV6 = _has_ipv6("::1")
