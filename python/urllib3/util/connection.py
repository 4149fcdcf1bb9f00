"""Socket-level connection helpers."""

from __future__ import annotations

import socket
import typing

from ..exceptions import LocationParseError
from .timeout import _DEFAULT_TIMEOUT, _TYPE_TIMEOUT

_TYPE_SOCKET_OPTIONS = list[tuple[int, int, typing.Union[int, bytes]]]

#: How long, in seconds, a connection attempt to one of a host's addresses runs alone before
#: the next address is tried beside it (Happy Eyeballs, RFC 8305's "Connection Attempt
#: Delay"); the address families alternate and the first to connect wins, so a black-holed
#: IPv6 address costs this delay rather than the connect timeout. ``0`` tries the addresses
#: one at a time in the resolver's order, as urllib3 does. Either way the connect timeout
#: bounds all the attempts together. Read each time a connection is opened.
HAPPY_EYEBALLS_DELAY: float = 0.25

#: The socket options the core sets itself (with an int value); any other makes it call back
#: into Python for each socket.
_CORE_SOCKET_OPTIONS = frozenset(
    {(socket.IPPROTO_TCP, socket.TCP_NODELAY), (socket.SOL_SOCKET, socket.SO_KEEPALIVE)}
)

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
    host = _unbracketed(address[0])
    candidates = socket.getaddrinfo(
        _checked_idna_host(host), address[1], allowed_gai_family(), socket.SOCK_STREAM
    )

    last_error: OSError | None = None
    for family, socktype, proto, _canonname, sockaddr in candidates:
        try:
            return _connected_socket(
                family, socktype, proto, sockaddr, timeout, source_address, socket_options
            )
        except OSError as e:
            last_error = e

    if last_error is None:
        raise OSError("getaddrinfo returns an empty list")
    try:
        raise last_error
    finally:
        # The error's traceback references this frame; drop the frame's reference back.
        last_error = None


def _unbracketed(host: str) -> str:
    """``host`` without the brackets of a URL-style IPv6 literal."""
    return host.strip("[]") if host.startswith("[") else host


def _checked_idna_host(host: str) -> str:
    """``host`` unchanged, once the idna codec accepts it: it rejects empty or
    over-long (> 63) labels, on which getaddrinfo would fail less helpfully."""
    try:
        host.encode("idna")
    except UnicodeError:
        raise LocationParseError(f"'{host}', label empty or too long") from None
    return host


def _connected_socket(
    family: socket.AddressFamily,
    socktype: socket.SocketKind,
    proto: int,
    sockaddr: typing.Any,
    timeout: _TYPE_TIMEOUT,
    source_address: tuple[str, int] | None,
    socket_options: _TYPE_SOCKET_OPTIONS | None,
) -> socket.socket:
    """A new socket of the given kind, configured, bound if asked, connected to
    ``sockaddr``; closed again if any of that fails."""
    sock = socket.socket(family, socktype, proto)
    try:
        # Options first: some (e.g. TCP_NODELAY, SO_REUSEADDR) must precede connect().
        _set_socket_options(sock, socket_options)
        if timeout is not _DEFAULT_TIMEOUT:
            sock.settimeout(timeout)
        if source_address:
            sock.bind(source_address)
        sock.connect(sockaddr)
    except OSError:
        sock.close()
        raise
    return sock


def _set_socket_options(sock: socket.socket, options: _TYPE_SOCKET_OPTIONS | None) -> None:
    if options is None:
        return
    for opt in options:
        sock.setsockopt(*opt)


def _core_applies(option: typing.Sequence[typing.Any]) -> bool:
    """Whether the core sets ``option`` itself, without calling back into Python."""
    return len(option) == 3 and (option[0], option[1]) in _CORE_SOCKET_OPTIONS and isinstance(option[2], int)


def _socket_configurer(options: typing.Iterable[typing.Any] | None) -> typing.Callable[[int], None] | None:
    """What the core calls with each new socket's descriptor, before it binds and connects,
    when ``options`` holds more than it sets itself (TCP_NODELAY, SO_KEEPALIVE): a function that
    applies all of ``options`` in order, as urllib3 does, through Python's own ``setsockopt``
    (any level, name and value, int or bytes). None when the core needs no help.

    It works on a duplicate of the descriptor: the same socket, but a descriptor of its own that
    the Python socket object may close however it ends, never the core's.
    """
    if not options:
        return None
    options = list(options)
    if all(_core_applies(option) for option in options):
        return None

    def configure(fd: int) -> None:
        duplicate = socket.dup(fd)
        try:
            sock = socket.socket(fileno=duplicate)
        except BaseException:
            socket.close(duplicate)
            raise
        with sock:
            _set_socket_options(sock, options)

    return configure


def _core_family() -> typing.Literal[0, 4, 6]:
    """:func:`allowed_gai_family` as the core takes it: 4, 6, or 0 for both. Called for every
    connection, so patching ``allowed_gai_family`` or ``HAS_IPV6`` takes effect at once."""
    family = allowed_gai_family()
    if family == socket.AF_INET:
        return 4
    if family == socket.AF_INET6:
        return 6
    return 0


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
