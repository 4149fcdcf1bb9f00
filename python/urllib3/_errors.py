"""urllib3's exceptions, built from the Rust core's errors.

The core raises ``_rs.CoreError`` with its data as attributes: ``kind`` (the urllib3 class
name), ``message``, ``url``, ``host``, ``port``, ``timeout``, ``errno``, ``detail`` (the text
of a cause that is not a core error), ``counts``, ``status`` and ``cause`` (the next
``CoreError`` of the chain). urllib3's constructors also take the pool or connection the error
happened in, which only this layer knows: callers pass them to :func:`translate`. Each kind
has one builder below; the message a builder gives is urllib3's, made from the fields.
"""

from __future__ import annotations

import os
import socket
import typing

from . import exceptions
from ._rs import CoreError

__all__ = ("CoreError", "translate", "os_error")


class _Context(typing.NamedTuple):
    pool: typing.Any
    conn: typing.Any
    url: str | None
    response: typing.Any


def translate(
    err: CoreError,
    *,
    pool: typing.Any = None,
    conn: typing.Any = None,
    url: str | None = None,
    response: typing.Any = None,
) -> Exception:
    """The urllib3 exception for a core error; its cause chain is rebuilt the same way, with
    ``__cause__`` where urllib3 raises ``from`` the cause. Raise it without ``from``: the
    ``CoreError`` it replaces is hidden from tracebacks. ``response``: the response whose
    body was being read, for the exceptions that carry it."""
    built = _build(err, _Context(pool, conn, url if url is not None else err.url, response))
    built.__suppress_context__ = True
    return built


def os_error(err: CoreError) -> OSError:
    """The operating-system error at the root of a core error, as Python raises it
    (``ConnectionRefusedError(111, 'Connection refused')``), or an OSError with the cause's
    text when the system gave no number."""
    if err.errno is not None:
        return OSError(err.errno, os.strerror(err.errno))
    return OSError(err.detail if err.detail is not None else err.message)


_TLS_FAILURE_BASES: tuple[type[Exception], ...] = (exceptions.SSLError,)
_CERTIFICATE_FAILURE_BASES: tuple[type[Exception], ...] = ()
try:
    from ssl import SSLCertVerificationError as _StdlibCertificateError
    from ssl import SSLError as _StdlibSSLError

    _TLS_FAILURE_BASES += (_StdlibSSLError,)
    _CERTIFICATE_FAILURE_BASES += (_StdlibCertificateError,)
except ImportError:  # a Python without ssl still imports urllib3 (TLS is the core's anyway)
    pass


class _TLSFailure(*_TLS_FAILURE_BASES):  # type: ignore[misc]
    """A TLS failure in the core. It is urllib3's SSLError and also the stdlib's, as the
    ``connect()`` of urllib3's HTTPSConnection raises it (code around ``conn.connect()``
    catches ``ssl.SSLError``; the pool reports it as urllib3's SSLError)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _CertificateFailure(_TLSFailure, *_CERTIFICATE_FAILURE_BASES):  # type: ignore[misc]
    """The server's certificate was refused: also the stdlib's ``SSLCertVerificationError``,
    which is what the ssl module raises there (callers tell it from other TLS failures)."""


def _build(err: CoreError, context: _Context) -> Exception:
    builder = _BUILDERS.get(err.kind)
    if builder is not None:
        return builder(err, context)
    cls: type[Exception] | None = getattr(exceptions, err.kind, None)
    if cls is None:
        return exceptions.HTTPError(err.message)
    return cls(err.message)


def _reason(err: CoreError, context: _Context) -> Exception | None:
    """What ``err`` wraps: the next core error, or the OS error or text under it."""
    if err.cause is not None:
        return _build(err.cause, context)
    if err.errno is not None:
        return os_error(err)
    if err.detail is not None:
        return ConnectionError(err.detail)
    return None


def _caused(exc: Exception, cause: Exception | None) -> Exception:
    exc.__cause__ = cause
    return exc


def _timeout_text(err: CoreError) -> str:
    return "None" if err.timeout is None else f"{err.timeout}"


def _new_connection(err: CoreError, context: _Context) -> Exception:
    cause = os_error(err)
    built = exceptions.NewConnectionError(context.conn, f"Failed to establish a new connection: {cause}")
    if err.errno is not None:
        # An attribute of this instance only: NewConnectionError declares no errno.
        setattr(built, "errno", err.errno)
    return _caused(built, cause)


def _name_resolution(err: CoreError, context: _Context) -> Exception:
    # Python's resolver raises gaierror; its text is what the system resolver said.
    cause = socket.gaierror(err.detail if err.detail is not None else err.message)
    return _caused(exceptions.NameResolutionError(err.host or "", context.conn, cause), cause)


def _connect_timeout(err: CoreError, context: _Context) -> Exception:
    message = f"Connection to {err.host} timed out. (connect timeout={_timeout_text(err)})"
    return _caused(exceptions.ConnectTimeoutError(context.conn, message), socket.timeout("timed out"))


def _read_timeout(err: CoreError, context: _Context) -> Exception:
    message = f"Read timed out. (read timeout={_timeout_text(err)})"
    return _caused(exceptions.ReadTimeoutError(context.pool, context.url, message), socket.timeout("timed out"))


def _incomplete_read(err: CoreError, context: _Context) -> Exception:
    if err.counts is None:
        return exceptions.ProtocolError(err.message)
    partial, expected = err.counts
    return exceptions.IncompleteRead(partial, expected)


def _protocol(err: CoreError, context: _Context) -> Exception:
    reason = _reason(err, context)
    if reason is None:
        return exceptions.ProtocolError(err.message)
    message = err.message
    if isinstance(reason, exceptions.InvalidChunkLength):
        # urllib3 names the line as Python shows bytes.
        message = f"Connection broken: {reason!r}"
    return _caused(exceptions.ProtocolError(message, reason), reason)


def _invalid_chunk_length(err: CoreError, context: _Context) -> Exception:
    # urllib3's InvalidChunkLength reads its counts from the response; without one at hand
    # the same text goes in a ProtocolError.
    if context.response is None or err.received is None:
        return exceptions.ProtocolError(err.message)
    return exceptions.InvalidChunkLength(context.response, err.received)


def _proxy(err: CoreError, context: _Context) -> Exception:
    cause = err.cause
    if cause is not None and cause.kind == "ProxyError":
        # A refused CONNECT: http.client's _tunnel raises OSError("Tunnel connection
        # failed: 403 Forbidden"), and urllib3 wraps that.
        reason: Exception | None = OSError(cause.message)
    else:
        reason = _reason(err, context)
    if reason is None:
        reason = OSError(err.message)
    return _caused(exceptions.ProxyError(err.message, reason), reason)


def _max_retry(err: CoreError, context: _Context) -> Exception:
    reason = _reason(err, context)
    return _caused(exceptions.MaxRetryError(context.pool, context.url or "", reason), reason)


def _pool_error(cls: type[exceptions.PoolError]) -> typing.Callable[[CoreError, _Context], Exception]:
    return lambda err, context: cls(context.pool, err.message)


_BUILDERS: dict[str, typing.Callable[[CoreError, _Context], Exception]] = {
    "NewConnectionError": _new_connection,
    "NameResolutionError": _name_resolution,
    "ConnectTimeoutError": _connect_timeout,
    "ReadTimeoutError": _read_timeout,
    "IncompleteRead": _incomplete_read,
    "InvalidChunkLength": _invalid_chunk_length,
    "ProtocolError": _protocol,
    "ProxyError": _proxy,
    "MaxRetryError": _max_retry,
    "HostChangedError": lambda err, context: exceptions.HostChangedError(context.pool, context.url or ""),
    "EmptyPoolError": _pool_error(exceptions.EmptyPoolError),
    "ClosedPoolError": _pool_error(exceptions.ClosedPoolError),
    "FullPoolError": _pool_error(exceptions.FullPoolError),
    "ValueError": lambda err, context: ValueError(err.message),
    "HeaderParsingError": lambda err, context: exceptions.HeaderParsingError([], err.message),
    # These three are built from what they are about (a scheme, a location), which the core
    # sends in the ``url`` field.
    "ProxySchemeUnknown": lambda err, context: exceptions.ProxySchemeUnknown(err.url),
    "URLSchemeUnknown": lambda err, context: exceptions.URLSchemeUnknown(err.url or ""),
    "LocationParseError": lambda err, context: exceptions.LocationParseError(err.url or ""),
    "SSLError": lambda err, context: (_CertificateFailure if err.certificate_failure else _TLSFailure)(err.message),
}
