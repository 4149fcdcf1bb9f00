"""HTTP/2 connection: placeholder.

The header validation helpers are real (RFC 9113 8.2.1); ``HTTP2Connection`` itself
belongs with the connection layer over the Rust core and is not provided yet: creating one
raises NotImplementedError.  The module imports without h2 so that ``urllib3.http2`` and
this module stay importable everywhere.
"""

from __future__ import annotations

import re
import threading
import types
import typing

T = typing.TypeVar("T")

# RFC 9113 8.2.1: field names are lowercase tokens (no ':' either: pseudo-headers are
# checked elsewhere); values carry no NUL/CR/LF and no leading or trailing whitespace.
RE_IS_LEGAL_HEADER_NAME = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9a-z]+$")
RE_IS_ILLEGAL_HEADER_VALUE = re.compile(rb"[\0\x00\x0a\x0d\r\n]|^[ \r\n\t]|[ \r\n\t]$")


def _is_legal_header_name(name: bytes) -> bool:
    """Whether ``name`` is a valid HTTP/2 field name (a lowercase token)."""
    return bool(RE_IS_LEGAL_HEADER_NAME.match(name))


def _is_illegal_header_value(value: bytes) -> bool:
    """Whether ``value`` is not allowed as an HTTP/2 field value."""
    return bool(RE_IS_ILLEGAL_HEADER_VALUE.search(value))


class _LockedObject(typing.Generic[T]):
    """Holds an object that must not be used from two threads at once; ``with locked
    as obj:`` hands it out under the lock."""

    __slots__ = (
        "lock",
        "_obj",
    )

    def __init__(self, obj: T):
        self.lock = threading.RLock()
        self._obj = obj

    def __enter__(self) -> T:
        self.lock.acquire()
        return self._obj

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: types.TracebackType | None,
    ) -> None:
        self.lock.release()


class HTTP2Connection:
    """Placeholder for the HTTP/2 connection class (not implemented yet)."""

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        raise NotImplementedError("HTTP/2 connections are not available in this build yet")
