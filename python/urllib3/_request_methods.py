"""``RequestMethods``: the ``request()`` family shared by pools and pool managers, which
encodes fields/JSON and hands the result to the subclass's ``urlopen()``."""

from __future__ import annotations

import typing

from . import _lane
from ._base_connection import _TYPE_BODY
from ._collections import HTTPHeaderDict
from .filepost import _TYPE_FIELDS, encode_multipart_formdata

if typing.TYPE_CHECKING:
    # Only for annotations: importing response here would tie this module's import to it.
    from .response import BaseHTTPResponse

__all__ = ["RequestMethods"]

_TYPE_ENCODE_URL_FIELDS = typing.Union[
    typing.Sequence[tuple[str, typing.Union[str, bytes]]],
    typing.Mapping[str, typing.Union[str, bytes]],
]


def _encode_json(value: typing.Any) -> bytes:
    """Compact UTF-8 JSON (no spaces after separators, non-ASCII kept as is)."""
    import json  # for json= bodies only: not imported with urllib3

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _encode_form(
    fields: _TYPE_FIELDS, multipart: bool, boundary: str | None
) -> tuple[bytes | str, str]:
    """``(body, content_type)`` for fields sent in a request body."""
    if multipart:
        return encode_multipart_formdata(fields, boundary=boundary)
    from urllib.parse import urlencode  # with fields only: not imported with urllib3

    return urlencode(fields), "application/x-www-form-urlencoded"  # type: ignore[arg-type]


class RequestMethods:
    """Mixin for classes that implement ``urlopen()`` (HTTPConnectionPool, PoolManager).

    ``request()`` picks the field encoding by method: in the query string for the
    methods in ``_encode_url_methods`` (:meth:`request_encode_url`), in the body for the
    rest (:meth:`request_encode_body`, multipart or urlencoded).

    :param headers: headers sent with every request that does not give its own.
    """

    _encode_url_methods = {"DELETE", "GET", "HEAD", "OPTIONS"}

    def __init__(self, headers: typing.Mapping[str, str] | None = None) -> None:
        self.headers = headers or {}

    def urlopen(
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        headers: typing.Mapping[str, str] | None = None,
        encode_multipart: bool = True,
        multipart_boundary: str | None = None,
        **kw: typing.Any,
    ) -> BaseHTTPResponse:  # Abstract
        raise NotImplementedError(
            "Classes extending RequestMethods must implement "
            "their own ``urlopen`` method."
        )

    def request(
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        fields: _TYPE_FIELDS | None = None,
        headers: typing.Mapping[str, str] | None = None,
        json: typing.Any | None = None,
        **urlopen_kw: typing.Any,
    ) -> BaseHTTPResponse:
        """Sends a request, encoding ``fields`` in the URL or the body depending on
        ``method``.

        :param body: str, bytes, an iterable of them, or a file-like object.
        :param fields: data to encode in the query string or the body.
        :param headers: replace (not extend) the instance's default headers.
        :param json: serialised as compact UTF-8 JSON into the body; Content-Type
            becomes ``application/json`` unless the headers already set one.
            Cannot be combined with ``body``.
        """
        # A stock manager's request to a pool it has takes the lane's route: the core does it
        # all in one call (see urllib3._lane).
        route = _lane.ROUTE
        if route is not None and _lane.ENABLED and not fields and json is None:
            done = route.request(self, method, url, body, headers, urlopen_kw)
            if isinstance(done, tuple):
                return _lane.resume(self, url, body, urlopen_kw, done)  # type: ignore[arg-type]
            if done is not None:
                return done
        if json is not None:
            if body is not None:
                raise TypeError(
                    "request got values for both 'body' and 'json' parameters which are mutually exclusive"
                )
            headers = self._headers_for_json(headers)
            body = _encode_json(json)
        if body is not None:
            urlopen_kw["body"] = body

        # Query string or body, by method; the two senders take the same arguments.
        verb = method.upper()
        send = (
            self.request_encode_url
            if verb in self._encode_url_methods
            else self.request_encode_body
        )
        return send(verb, url, fields=fields, headers=headers, **urlopen_kw)  # type: ignore[arg-type]

    def _headers_for_json(
        self, headers: typing.Mapping[str, str] | None
    ) -> typing.Mapping[str, str]:
        """``headers`` (the instance's when None) with Content-Type: application/json
        added, unless they already name a Content-Type."""
        chosen = self.headers if headers is None else headers
        if "content-type" in {name.lower() for name in chosen.keys()}:
            return chosen
        # A copy, so the caller's (or the instance's) mapping is left alone.
        with_type = HTTPHeaderDict(chosen)
        with_type["Content-Type"] = "application/json"
        return with_type

    def request_encode_url(
        self,
        method: str,
        url: str,
        fields: _TYPE_ENCODE_URL_FIELDS | None = None,
        headers: typing.Mapping[str, str] | None = None,
        **urlopen_kw: str,
    ) -> BaseHTTPResponse:
        """Sends a request with ``fields`` urlencoded into the query string (GET, HEAD,
        DELETE, ...).  ``headers`` replace the instance's default headers."""
        # Appended as is, even to a URL that already has a query, as urllib3 does.
        if fields:
            from urllib.parse import urlencode  # with fields only: not imported with urllib3

            url = f"{url}?{urlencode(fields)}"
        target = url
        chosen = self.headers if headers is None else headers
        # urllib3 declares ``**urlopen_kw: str``; the values are urlopen's keywords, any type.
        passed_on: dict[str, typing.Any] = urlopen_kw
        return self.urlopen(method, target, headers=chosen, **passed_on)

    def request_encode_body(
        self,
        method: str,
        url: str,
        fields: _TYPE_FIELDS | None = None,
        headers: typing.Mapping[str, str] | None = None,
        encode_multipart: bool = True,
        multipart_boundary: str | None = None,
        **urlopen_kw: str,
    ) -> BaseHTTPResponse:
        """Sends a request with ``fields`` encoded into the body (POST, PUT, PATCH, ...).

        ``fields`` maps names to values or to ``(filename, data[, mime type])`` tuples
        (see :meth:`urllib3.fields.RequestField.from_tuples`).  They are encoded as
        multipart/form-data (``encode_multipart=True``, the default; the boundary is
        ``multipart_boundary`` or a random one) or as
        application/x-www-form-urlencoded.  The matching Content-Type is set unless the
        headers already have one.  ``headers`` replace the instance's default headers.
        """
        # Always a copy: a Content-Type may be added below.
        send_headers = HTTPHeaderDict(self.headers if headers is None else headers)
        # As in request_encode_url: urlopen's keywords, whatever urllib3 declares.
        passed_on: dict[str, typing.Any] = urlopen_kw
        if not fields:
            return self.urlopen(method, url, headers=send_headers, **passed_on)
        if "body" in urlopen_kw:
            raise TypeError(
                "request got values for both 'fields' and 'body', can only specify one."
            )
        body, content_type = _encode_form(fields, encode_multipart, multipart_boundary)
        send_headers.setdefault("Content-Type", content_type)
        return self.urlopen(method, url, body=body, headers=send_headers, **passed_on)
