"""Response helpers."""

from __future__ import annotations

import http.client as httplib
from email.errors import MultipartInvariantViolationDefect, StartBoundaryNotFoundDefect

from ..exceptions import HeaderParsingError

# Defects http.client reports for every multipart response, since it parses the headers
# as though the body followed them: they say nothing about the headers themselves.
_IGNORED_DEFECTS = (StartBoundaryNotFoundDefect, MultipartInvariantViolationDefect)


def is_fp_closed(obj: object) -> bool:
    """Whether a file-like object is closed.

    Tries ``isclosed()`` (http.client responses), then ``closed``, then ``fp is None``
    (wrappers that drop their file once exhausted); ValueError if none applies.
    """
    try:
        return obj.isclosed()  # type: ignore[no-any-return, attr-defined]
    except AttributeError:
        pass

    try:
        return obj.closed  # type: ignore[no-any-return, attr-defined]
    except AttributeError:
        pass

    try:
        return obj.fp is None  # type: ignore[attr-defined]
    except AttributeError:
        pass

    raise ValueError("Unable to determine whether fp is closed.")


def assert_header_parsing(headers: httplib.HTTPMessage) -> None:
    """Raises HeaderParsingError if http.client found defects in ``headers`` or left
    data it could not parse as headers."""
    # Checked explicitly: anything else would pass silently below.
    if not isinstance(headers, httplib.HTTPMessage):
        raise TypeError(f"expected httplib.Message, got {type(headers)}.")

    unparsed_data = None
    # For a non-multipart message, the "payload" is whatever followed the headers.
    if not headers.is_multipart():
        payload = headers.get_payload()
        if isinstance(payload, (bytes, str)):
            unparsed_data = payload

    defects = [d for d in headers.defects if not isinstance(d, _IGNORED_DEFECTS)]

    if defects or unparsed_data:
        raise HeaderParsingError(defects=defects, unparsed_data=unparsed_data)


def is_response_to_head(response: httplib.HTTPResponse) -> bool:
    """Whether ``response`` answers a HEAD request (read from http.client's private
    ``_method``)."""
    method: str = response._method  # type: ignore[attr-defined]
    return method.upper() == "HEAD"
