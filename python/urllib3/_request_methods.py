"""``RequestMethods``: the ``request()`` family shared by pools and pool managers, which
encodes fields/JSON and hands the result to the subclass's ``urlopen()``."""

from __future__ import annotations

import json as _json
import typing
from urllib.parse import urlencode

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
        method = method.upper()

        if json is not None and body is not None:
            raise TypeError(
                "request got values for both 'body' and 'json' parameters which are mutually exclusive"
            )

        if json is not None:
            if headers is None:
                headers = self.headers
            if not any(name.lower() == "content-type" for name in headers.keys()):
                # A copy, so the caller's (or the instance's) mapping is left alone.
                headers = HTTPHeaderDict(headers)
                headers["Content-Type"] = "application/json"
            body = _json.dumps(json, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

        if body is not None:
            urlopen_kw["body"] = body

        if method in self._encode_url_methods:
            return self.request_encode_url(
                method, url, fields=fields, headers=headers, **urlopen_kw  # type: ignore[arg-type]
            )
        return self.request_encode_body(method, url, fields=fields, headers=headers, **urlopen_kw)

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
        if headers is None:
            headers = self.headers

        extra_kw: dict[str, typing.Any] = {"headers": headers}
        extra_kw.update(urlopen_kw)

        if fields:
            url += "?" + urlencode(fields)

        return self.urlopen(method, url, **extra_kw)

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
        if headers is None:
            headers = self.headers

        extra_kw: dict[str, typing.Any] = {"headers": HTTPHeaderDict(headers)}
        body: bytes | str

        if fields:
            if "body" in urlopen_kw:
                raise TypeError(
                    "request got values for both 'fields' and 'body', can only specify one."
                )

            if encode_multipart:
                body, content_type = encode_multipart_formdata(fields, boundary=multipart_boundary)
            else:
                body = urlencode(fields)  # type: ignore[arg-type]
                content_type = "application/x-www-form-urlencoded"

            extra_kw["body"] = body
            extra_kw["headers"].setdefault("Content-Type", content_type)

        extra_kw.update(urlopen_kw)

        return self.urlopen(method, url, **extra_kw)
