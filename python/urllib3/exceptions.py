"""urllib3's exception and warning classes.

Names, bases, constructor signatures, attributes and messages follow urllib3 2.x exactly, since
callers catch, inspect and pickle them.  Exceptions that hold a pool or a connection pickle
without it (``__reduce__``): those objects hold sockets and locks that cannot be pickled.

The hierarchy.  A class with several bases is drawn once, under the base it shares with its
neighbours, its other bases in brackets; ``ConnectionError`` is another name for
``ProtocolError``::

    Exception
    ├── HTTPError
    │   ├── PoolError
    │   │   ├── RequestError
    │   │   │   ├── MaxRetryError
    │   │   │   └── HostChangedError
    │   │   ├── EmptyPoolError
    │   │   ├── FullPoolError
    │   │   └── ClosedPoolError
    │   ├── SSLError
    │   ├── ProxyError
    │   ├── DecodeError
    │   ├── ProtocolError
    │   │   └── ResponseNotChunked          [+ ValueError]
    │   ├── TimeoutStateError
    │   ├── TimeoutError
    │   │   ├── ReadTimeoutError            [+ RequestError]
    │   │   └── ConnectTimeoutError
    │   │       └── NewConnectionError      [+ HTTPError]
    │   │           └── NameResolutionError
    │   ├── LocationValueError              [+ ValueError]
    │   │   ├── LocationParseError
    │   │   └── URLSchemeUnknown
    │   │       └── ProxySchemeUnknown      [+ AssertionError]
    │   ├── ResponseError
    │   ├── BodyNotHttplibCompatible
    │   ├── IncompleteRead                  [+ http.client.IncompleteRead]
    │   ├── InvalidChunkLength              [+ http.client.IncompleteRead]
    │   ├── InvalidHeader
    │   ├── HeaderParsingError
    │   └── UnrewindableBodyError
    └── ValueError
        └── ProxySchemeUnsupported

    Warning
    └── HTTPWarning
        ├── SecurityWarning
        │   ├── InsecureRequestWarning
        │   ├── NotOpenSSLWarning
        │   ├── SystemTimeWarning
        │   └── InsecurePlatformWarning
        └── DependencyWarning
"""

from __future__ import annotations

import typing
import warnings
if typing.TYPE_CHECKING:
    import socket
    from email.errors import MessageDefect

    from ._read_errors import IncompleteRead as IncompleteRead
    from ._read_errors import InvalidChunkLength as InvalidChunkLength
    from .connection import HTTPConnection
    from .connectionpool import ConnectionPool
    from .response import HTTPResponse
    from .util.retry import Retry

_TYPE_REDUCE_RESULT = tuple[typing.Callable[..., object], tuple[object, ...]]


# --------------------------------------------------------------------------- roots


class HTTPError(Exception):
    """Root of every error urllib3 raises."""


class HTTPWarning(Warning):
    """Root of every warning urllib3 emits."""


class PoolError(HTTPError):
    """An error tied to a connection pool."""

    def __init__(self, pool: ConnectionPool, message: str) -> None:
        self.pool = pool
        self._message = message
        super().__init__(f"{pool}: {message}")

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        # The pool is dropped: it cannot be pickled.
        return self.__class__, (None, self._message)


class RequestError(PoolError):
    """A pool error that concerns one URL."""

    def __init__(self, pool: ConnectionPool, url: str | None, message: str) -> None:
        self.url = url
        super().__init__(pool, message)

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (None, self.url, self._message)


class SSLError(HTTPError):
    """TLS failed (handshake, certificate verification, ...)."""


class ProxyError(HTTPError):
    """Connecting through the proxy failed."""

    # Also reachable as __cause__; kept as an attribute for Retry's classification.
    original_error: Exception

    def __init__(self, message: str, error: Exception) -> None:
        super().__init__(message, error)
        self.original_error = error


class DecodeError(HTTPError):
    """The body could not be decoded according to its Content-Encoding."""


class ProtocolError(HTTPError):
    """The peer did something unexpected in the middle of a request or response."""


#: The 1.x name of ProtocolError, kept for compatibility.
ConnectionError = ProtocolError


# --------------------------------------------------------------------------- leaves


class MaxRetryError(RequestError):
    """The Retry policy ran out; ``reason`` holds the last underlying error."""

    def __init__(
        self, pool: ConnectionPool, url: str | None, reason: Exception | None = None
    ) -> None:
        self.reason = reason
        message = f"Max retries exceeded with url: {url} (Caused by {reason!r})"
        super().__init__(pool, url, message)

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (None, self.url, self.reason)


class HostChangedError(RequestError):
    """A pool was asked for a URL on another host."""

    def __init__(self, pool: ConnectionPool, url: str, retries: Retry | int = 3) -> None:
        message = f"Tried to open a foreign host with url: {url}"
        super().__init__(pool, url, message)
        self.retries = retries


class TimeoutStateError(HTTPError):
    """A Timeout object was used in the wrong state (e.g. started twice)."""


class TimeoutError(HTTPError):
    """A socket timed out; parent of ReadTimeoutError and ConnectTimeoutError."""


class ReadTimeoutError(TimeoutError, RequestError):
    """The server did not send data in time."""


# No URL here, so it derives from TimeoutError only (not RequestError).
class ConnectTimeoutError(TimeoutError):
    """The connection to the server was not established in time."""


class NewConnectionError(ConnectTimeoutError, HTTPError):
    """A new connection could not be opened (refused, unreachable, ...)."""

    def __init__(self, conn: HTTPConnection, message: str) -> None:
        self.conn = conn
        self._message = message
        super().__init__(f"{conn}: {message}")

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (None, self._message)

    @property
    def pool(self) -> HTTPConnection:
        warnings.warn(
            "The 'pool' property is deprecated and will be removed "
            "in urllib3 v3.0. Use 'conn' instead.",
            FutureWarning,
            stacklevel=2,
        )
        return self.conn


class NameResolutionError(NewConnectionError):
    """The host name could not be resolved."""

    def __init__(self, host: str, conn: HTTPConnection, reason: socket.gaierror):
        self._host = host
        self._reason = reason
        super().__init__(conn, f"Failed to resolve '{host}' ({reason})")

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (self._host, None, self._reason)


class EmptyPoolError(PoolError):
    """The pool has no free connection and may not open another."""


class FullPoolError(PoolError):
    """A connection was returned to a full pool in blocking mode."""


class ClosedPoolError(PoolError):
    """The pool was used after it was closed."""


class LocationValueError(ValueError, HTTPError):
    """A URL given to urllib3 is unusable."""


class LocationParseError(LocationValueError):
    """A URL could not be parsed."""

    def __init__(self, location: str) -> None:
        super().__init__(f"Failed to parse: {location}")
        self.location = location


class URLSchemeUnknown(LocationValueError):
    """A URL has a scheme urllib3 does not handle."""

    def __init__(self, scheme: str):
        super().__init__(f"Not supported URL scheme {scheme}")
        self.scheme = scheme


class ResponseError(HTTPError):
    """The reason stored in a MaxRetryError caused by bad responses."""

    GENERIC_ERROR = "too many error responses"
    SPECIFIC_ERROR = "too many {status_code} error responses"


class SecurityWarning(HTTPWarning):
    """Something was done that weakens security."""


class InsecureRequestWarning(SecurityWarning):
    """An HTTPS request is made without certificate verification."""


class NotOpenSSLWarning(SecurityWarning):
    """The ssl module is not backed by OpenSSL."""


class SystemTimeWarning(SecurityWarning):
    """The system clock looks wrong."""


class InsecurePlatformWarning(SecurityWarning):
    """The platform lacks some TLS/SSL feature."""


class DependencyWarning(HTTPWarning):
    """An optional dependency is missing."""


class ResponseNotChunked(ProtocolError, ValueError):
    """Chunked reading was asked of a response that is not chunked."""


class BodyNotHttplibCompatible(HTTPError):
    """The body is not an http.client.HTTPResponse-like object (no raw ``fp``)."""


class InvalidHeader(HTTPError):
    """A header value is invalid."""


class ProxySchemeUnknown(AssertionError, URLSchemeUnknown):
    """The proxy URL's scheme is not http or https."""

    def __init__(self, scheme: str | None) -> None:
        super().__init__(_proxy_scheme_problem(scheme))


def _proxy_scheme_problem(scheme: str | None) -> str:
    """ProxySchemeUnknown's message for the scheme parse_url found in a proxy URL."""
    # parse_url takes the "localhost" of "localhost:8080" for a scheme: count it as none.
    if scheme in (None, "localhost"):
        return "Proxy URL had no scheme, should start with http:// or https://"
    return f"Proxy URL had unsupported scheme {scheme}, should use http:// or https://"


class ProxySchemeUnsupported(ValueError):
    """The requested proxy set-up is not supported (e.g. TLS in TLS without ssl)."""


class HeaderParsingError(HTTPError):
    """Response headers had parse defects (logged as a warning, not raised to users)."""

    def __init__(
        self, defects: list[MessageDefect], unparsed_data: bytes | str | None
    ) -> None:
        super().__init__(f"{defects or 'Unknown'}, unparsed data: {unparsed_data!r}")


class UnrewindableBodyError(HTTPError):
    """The request body could not be rewound for a retry or redirect."""


def __getattr__(name: str) -> type[Exception]:
    # IncompleteRead and InvalidChunkLength are also http.client's IncompleteRead: they are
    # made on first use, so that `import urllib3` does not import http.client and email.
    if name in ("IncompleteRead", "InvalidChunkLength"):
        from . import _read_errors

        found: type[Exception] = getattr(_read_errors, name)
        globals()[name] = found  # later lookups find it without coming here
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
