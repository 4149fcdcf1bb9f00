"""Turning the Rust core's errors into urllib3's exceptions.

The core raises ``_rs.CoreError(kind, message, url, counts, cause, errno)``, where ``kind`` is
the urllib3 class name. urllib3's constructors also take the pool or connection the error
happened in, which only the Python layer knows: callers pass them here.
"""

from __future__ import annotations

import typing

from . import exceptions
from ._rs import CoreError

__all__ = ("CoreError", "translate")


def translate(
    err: CoreError, *, pool: typing.Any = None, conn: typing.Any = None, url: str | None = None
) -> BaseException:
    """The urllib3 exception for a core error; its cause chain is rebuilt the same way."""
    kind, message, core_url, counts, cause, errno = err.args
    url = url if url is not None else core_url
    built = _build(kind, message, url, counts, cause, errno, pool, conn)
    return built


def _build(kind, message, url, counts, cause, errno, pool, conn):  # type: ignore[no-untyped-def]
    reason = None
    if cause is not None:
        reason = _build(*cause[:6], pool, conn)
    if kind == "NewConnectionError" or kind == "NameResolutionError":
        e = exceptions.NewConnectionError(conn, message)
        if errno is not None:
            e.errno = errno  # type: ignore[attr-defined]
        return e
    if kind == "ConnectTimeoutError":
        return exceptions.ConnectTimeoutError(conn, message)
    if kind == "ReadTimeoutError":
        return exceptions.ReadTimeoutError(pool, url, _strip_pool(message))
    if kind == "IncompleteRead" and counts is not None:
        return exceptions.IncompleteRead(counts[0], counts[1])
    if kind == "InvalidChunkLength":
        return exceptions.ProtocolError(message)
    if kind == "ProtocolError":
        if reason is not None:
            return exceptions.ProtocolError(message.split(" (", 1)[0] if message.startswith("Connection aborted.") else message, reason)
        return exceptions.ProtocolError(*_protocol_args(message))
    if kind == "MaxRetryError":
        return exceptions.MaxRetryError(pool, url or "", reason)
    if kind == "ValueError":
        return ValueError(message)
    if kind in ("EmptyPoolError", "ClosedPoolError", "FullPoolError", "HostChangedError"):
        cls = getattr(exceptions, kind)
        if kind == "HostChangedError":
            return cls(pool, url or "")
        return cls(pool, _strip_pool(message))
    cls = getattr(exceptions, kind, exceptions.HTTPError)
    try:
        return cls(message)
    except TypeError:
        return exceptions.HTTPError(message)


def _protocol_args(message: str) -> tuple[typing.Any, ...]:
    # urllib3 raises ProtocolError("Connection aborted.", cause) and
    # ProtocolError("Connection broken: ...", cause); keep that first argument as users read it.
    if message.startswith("Connection aborted. (") and message.endswith(")"):
        return ("Connection aborted.", ConnectionError(message[len("Connection aborted. (") : -1]))
    return (message,)


def _strip_pool(message: str) -> str:
    # The core prefixes pool errors with its own pool name; the Python exception adds the
    # Python pool's repr instead.
    if message.startswith("HTTP") and "): " in message:
        return message.split("): ", 1)[1]
    return message
