"""The two urllib3 exceptions that are also http.client's ``IncompleteRead``.

They live apart from ``urllib3.exceptions`` (which hands them out, under its own name, on first
use) so that importing urllib3 does not import http.client, and email with it.
"""

from __future__ import annotations

import typing
from http.client import IncompleteRead as httplib_IncompleteRead

from .exceptions import HTTPError

if typing.TYPE_CHECKING:
    from .response import HTTPResponse


class IncompleteRead(HTTPError, httplib_IncompleteRead):
    """The body ended before Content-Length was reached.

    Unlike http.client's, ``partial`` is a byte count, not the bytes themselves, so that
    streamed reads do not keep large buffers alive.
    """

    __module__ = "urllib3.exceptions"

    partial: int  # type: ignore[assignment]
    expected: int

    def __init__(self, partial: int, expected: int) -> None:
        self.partial = partial
        self.expected = expected

    def __repr__(self) -> str:
        return "IncompleteRead(%i bytes read, %i more expected)" % (
            self.partial,
            self.expected,
        )


class InvalidChunkLength(HTTPError, httplib_IncompleteRead):
    """A chunk-size line of a chunked body could not be parsed."""

    __module__ = "urllib3.exceptions"

    def __init__(self, response: HTTPResponse, length: bytes) -> None:
        self.partial: int = response.tell()  # type: ignore[assignment]
        self.expected: int | None = response.length_remaining
        self.response = response
        self.length = length

    def __repr__(self) -> str:
        return "InvalidChunkLength(got length %r, %i bytes read)" % (
            self.length,
            self.partial,
        )
