"""Every core error kind becomes urllib3's exception: class, message and cause, built from the
error's fields (kind, host, port, timeout, errno, detail, counts, url, cause), never from its
message text."""

from __future__ import annotations

import socket
import typing

import pytest

from urllib3 import _rs, exceptions
from urllib3._errors import CoreError, _TLSFailure, translate

POOL = object()
CONN = object()


def core_error(kind: str, message: str = "core text", **fields: typing.Any) -> CoreError:
    with pytest.raises(CoreError) as info:
        _rs._core_error_sample(kind, message, **fields)
    return info.value


# kind, fields, expected class, expected str(), expected __cause__ (class, str) or None
TABLE: list[tuple[str, dict[str, typing.Any], type[BaseException], str, tuple[type[BaseException], str] | None]] = [
    ("BodyNotHttplibCompatible", {}, exceptions.BodyNotHttplibCompatible, "core text", None),
    ("ClosedPoolError", {}, exceptions.ClosedPoolError, f"{POOL}: core text", None),
    (
        "ConnectTimeoutError",
        {"host": "example.com", "port": 80, "timeout": 0.5},
        exceptions.ConnectTimeoutError,
        f"({CONN!r}, 'Connection to example.com timed out. (connect timeout=0.5)')",
        (TimeoutError, "timed out"),
    ),
    ("DecodeError", {}, exceptions.DecodeError, "core text", None),
    ("EmptyPoolError", {}, exceptions.EmptyPoolError, f"{POOL}: core text", None),
    ("FullPoolError", {}, exceptions.FullPoolError, f"{POOL}: core text", None),
    ("HeaderParsingError", {}, exceptions.HeaderParsingError, "Unknown, unparsed data: 'core text'", None),
    ("HostChangedError", {"url": "http://other/"}, exceptions.HostChangedError, f"{POOL}: Tried to open a foreign host with url: http://other/", None),
    ("IncompleteRead", {"counts": (5, 7)}, exceptions.IncompleteRead, "IncompleteRead(5 bytes read, 7 more expected)", None),
    ("ValueError", {}, ValueError, "core text", None),
    ("InvalidChunkLength", {}, exceptions.ProtocolError, "core text", None),
    ("InvalidHeader", {}, exceptions.InvalidHeader, "core text", None),
    ("LocationParseError", {"url": "http://[::1"}, exceptions.LocationParseError, "Failed to parse: http://[::1", None),
    ("LocationValueError", {}, exceptions.LocationValueError, "core text", None),
    (
        "MaxRetryError",
        {"url": "/x", "cause": ("ResponseError", "too many redirects")},
        exceptions.MaxRetryError,
        f"{POOL}: Max retries exceeded with url: /x (Caused by ResponseError('too many redirects'))",
        (exceptions.ResponseError, "too many redirects"),
    ),
    (
        "NameResolutionError",
        {"host": "nowhere.invalid", "detail": "Name or service not known"},
        exceptions.NameResolutionError,
        f"{CONN}: Failed to resolve 'nowhere.invalid' (Name or service not known)",
        (socket.gaierror, "Name or service not known"),
    ),
    (
        "NewConnectionError",
        {"host": "127.0.0.1", "port": 1, "errno": 111},
        exceptions.NewConnectionError,
        f"{CONN}: Failed to establish a new connection: [Errno 111] Connection refused",
        (ConnectionRefusedError, "[Errno 111] Connection refused"),
    ),
    (
        "ProtocolError",
        {"errno": 104},
        exceptions.ProtocolError,
        "('core text', ConnectionResetError(104, 'Connection reset by peer'))",
        (ConnectionResetError, "[Errno 104] Connection reset by peer"),
    ),
    (
        "ProxyError",
        {"cause": ("ProxyError", "Tunnel connection failed: 403 Forbidden")},
        exceptions.ProxyError,
        "('core text', OSError('Tunnel connection failed: 403 Forbidden'))",
        (OSError, "Tunnel connection failed: 403 Forbidden"),
    ),
    (
        "ProxySchemeUnknown",
        {"url": "ftp"},
        exceptions.ProxySchemeUnknown,
        "Proxy URL had unsupported scheme ftp, should use http:// or https://",
        None,
    ),
    ("ProxySchemeUnsupported", {}, exceptions.ProxySchemeUnsupported, "core text", None),
    (
        "ReadTimeoutError",
        {"timeout": 2.0},
        exceptions.ReadTimeoutError,
        f"{POOL}: Read timed out. (read timeout=2.0)",
        (TimeoutError, "timed out"),
    ),
    ("ResponseError", {}, exceptions.ResponseError, "core text", None),
    ("ResponseNotChunked", {}, exceptions.ResponseNotChunked, "core text", None),
    ("SSLError", {}, _TLSFailure, "core text", None),
    ("TimeoutStateError", {}, exceptions.TimeoutStateError, "core text", None),
    ("UnrewindableBodyError", {}, exceptions.UnrewindableBodyError, "core text", None),
    ("URLSchemeUnknown", {"url": "ftp"}, exceptions.URLSchemeUnknown, "Not supported URL scheme ftp", None),
]


def test_the_table_covers_every_core_error_kind() -> None:
    assert sorted(row[0] for row in TABLE) == sorted(_rs._core_error_kinds())


@pytest.mark.parametrize(("kind", "fields", "cls", "text", "cause"), TABLE, ids=[row[0] for row in TABLE])
def test_a_core_error_becomes_urllib3s_exception(
    kind: str,
    fields: dict[str, typing.Any],
    cls: type[BaseException],
    text: str,
    cause: tuple[type[BaseException], str] | None,
) -> None:
    built = translate(core_error(kind, **fields), pool=POOL, conn=CONN, url=fields.get("url"))
    assert type(built) is cls
    assert str(built) == text
    if cause is None:
        assert built.__cause__ is None
    else:
        assert type(built.__cause__) is cause[0]
        assert str(built.__cause__) == cause[1]
    # The CoreError it replaces stays out of tracebacks.
    assert built.__suppress_context__


def test_a_tls_failure_is_urllib3s_ssl_error_and_the_stdlibs() -> None:
    # Code around conn.connect() catches ssl.SSLError, as urllib3's connect raises it.
    import ssl

    built = translate(core_error("SSLError", "certificate verify failed"))
    assert isinstance(built, exceptions.SSLError) and isinstance(built, ssl.SSLError)
    assert str(built) == "certificate verify failed"


def test_the_message_is_not_what_the_exception_is_built_from() -> None:
    # The core's message text may say anything; the exception's message comes from fields.
    err = core_error("ReadTimeoutError", "something else entirely", timeout=3.5)
    assert str(translate(err, pool=POOL, url="/")) == f"{POOL}: Read timed out. (read timeout=3.5)"


def test_a_real_refused_connection_carries_its_errno_and_host() -> None:
    import urllib3

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    with pytest.raises(exceptions.MaxRetryError) as info:
        urllib3.PoolManager().request("GET", f"http://127.0.0.1:{port}/", retries=0)
    reason = info.value.reason
    assert type(reason) is exceptions.NewConnectionError
    assert "Failed to establish a new connection: [Errno 111] Connection refused" in str(reason)
    assert isinstance(reason.__cause__, ConnectionRefusedError)


@pytest.mark.parametrize(
    ("tls", "refused_certificate"),
    [({}, True), ({"ca_certs": "/nonexistent/ca.pem"}, False)],
    ids=["untrusted-certificate", "unreadable-ca-file"],
)
def test_a_refused_certificate_is_the_stdlibs_certificate_verification_error(
    server: typing.Any, tls: dict[str, str], refused_certificate: bool
) -> None:
    # As with the ssl module: code tells a refused certificate from other TLS failures by
    # ssl.SSLCertVerificationError, in the reason's first argument.
    import ssl

    import urllib3

    port = urllib3.util.parse_url(server.https).port
    with pytest.raises(exceptions.MaxRetryError) as info:
        urllib3.HTTPSConnectionPool("localhost", port, retries=0, **tls).request("GET", "/get")
    reason = info.value.reason
    assert type(reason) is exceptions.SSLError
    assert isinstance(reason.args[0], ssl.SSLCertVerificationError) is refused_certificate
