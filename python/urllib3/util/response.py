"""Response helpers."""

from __future__ import annotations

import http.client as httplib
import typing
from email.errors import MultipartInvariantViolationDefect, StartBoundaryNotFoundDefect

from ..exceptions import HeaderParsingError

# Defects http.client reports for every multipart response, since it parses the headers
# as though the body followed them: they say nothing about the headers themselves.
_IGNORED_DEFECTS = (StartBoundaryNotFoundDefect, MultipartInvariantViolationDefect)


# Ways of asking a file-like object whether it is closed, most specific first:
# http.client responses answer isclosed() (and may not keep ``closed`` current),
# ordinary files ``closed``, and wrappers that release their file once it is
# exhausted (urllib3's own responses) drop ``fp``.
_CLOSED_PROBES: tuple[typing.Callable[[typing.Any], bool], ...] = (
    lambda f: f.isclosed(),
    lambda f: f.closed,
    lambda f: f.fp is None,
)


def is_fp_closed(obj: object) -> bool:
    """Whether a file-like object is closed; ValueError if it cannot tell."""
    for probe in _CLOSED_PROBES:
        try:
            return probe(obj)
        except AttributeError:
            continue
    raise ValueError("Unable to determine whether fp is closed.")


def _unparsed_remainder(headers: httplib.HTTPMessage) -> bytes | str | None:
    """What http.client left after the headers, seen as the message's payload (only
    meaningful for a non-multipart message)."""
    if headers.is_multipart():
        return None
    payload = headers.get_payload()
    return payload if isinstance(payload, (bytes, str)) else None


def assert_header_parsing(headers: httplib.HTTPMessage) -> None:
    """Raises HeaderParsingError if http.client found defects in ``headers`` or left
    data it could not parse as headers."""
    # A wrong argument type would otherwise go through without complaint.
    if not isinstance(headers, httplib.HTTPMessage):
        raise TypeError(f"expected httplib.Message, got {type(headers)}.")

    leftover = _unparsed_remainder(headers)
    defects = [d for d in headers.defects if not isinstance(d, _IGNORED_DEFECTS)]
    if leftover or defects:
        raise HeaderParsingError(defects=defects, unparsed_data=leftover)


def is_response_to_head(response: httplib.HTTPResponse) -> bool:
    """Whether ``response`` answers a HEAD request (read from http.client's private
    ``_method``)."""
    method: str = response._method  # type: ignore[attr-defined]
    return method.upper() == "HEAD"
