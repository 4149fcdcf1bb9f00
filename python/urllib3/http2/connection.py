"""HTTP/2 connections: ``HTTP2Connection`` and RFC 9113's field rules.

HTTP/2 itself (framing, HPACK, flow control) is the core's, on the h2 crate; this module
needs no Python HTTP/2 package."""

from __future__ import annotations

import re
import threading
import types
import typing

from .._base_connection import _TYPE_BODY, _ResponseOptions
from .._collections import HTTPHeaderDict
from .. import _lane
from ..connection import HTTPSConnection, _get_default_user_agent, _stock_classes, _str
from ..exceptions import ConnectionError
from ..response import HTTPResponse
from ..util.request import body_to_chunks

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


class HTTP2Connection(HTTPSConnection):
    """An HTTPS connection that offers HTTP/2 through ALPN and speaks it when the server picks
    it (the core does the framing; a server that picks HTTP/1.1 gets HTTP/1.1).

    ``request()`` goes straight to the core. Driven by hand, ``putrequest``, ``putheader``,
    ``endheaders`` and ``send`` collect the request, checked against RFC 9113's rules as it
    comes, and ``getresponse()`` sends it whole: HTTP/2 sends a header block at once, and
    knowing the body's end before the headers go lets a body-less request end with them."""

    def __init__(self, host: str, port: int | None = None, **kwargs: typing.Any) -> None:
        super().__init__(host, port, **kwargs)
        self._headers: list[tuple[bytes, bytes]] = []
        self._h2_request: tuple[str, str] | None = None
        self._h2_body: list[bytes] = []

    def _tls_arguments(self) -> dict[str, typing.Any]:
        # Offered even when not injected (ALPN_PROTOCOLS left as it was): this class is asked
        # for by name.
        args = super()._tls_arguments()
        if "h2" not in args["alpn_protocols"]:
            args["alpn_protocols"] = ["h2", *args["alpn_protocols"]]
        return args

    def set_tunnel(
        self,
        host: str,
        port: int | None = None,
        headers: typing.Mapping[str, str] | None = None,
        scheme: str = "http",
    ) -> None:
        raise NotImplementedError("HTTP/2 does not support setting up a tunnel through a proxy")

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        headers: typing.Mapping[str, str] | None = None,
        **kwargs: typing.Any,
    ) -> None:
        self._refuse_illegal_fields(headers)
        super().request(method, url, body, headers, **kwargs)

    def _refuse_illegal_fields(self, headers: typing.Mapping[str, str] | None) -> None:
        _checked_fields(headers)

    def _request_step_by_step(
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None,
        headers: typing.Mapping[str, str],
        chunked: bool,
    ) -> None:
        # For a subclass that overrides a seam: the seams get the headers and the body's bytes
        # as they are, since HTTP/2 frames the body itself (no chunk framing, no lengths).
        self.putrequest(method, url)
        if not any(_str(name).lower() == "user-agent" for name in headers):
            self.putheader("User-Agent", _get_default_user_agent())
        for name, value in headers.items():
            self.putheader(name, value)
        self.endheaders()
        chunks, _ = body_to_chunks(body, method=method, blocksize=self.blocksize)
        for chunk in chunks or ():
            self.send(chunk)

    def putrequest(
        self,
        method: str,
        url: str,
        skip_host: bool = False,
        skip_accept_encoding: bool = False,
    ) -> None:
        self._h2_request = (method, url)
        self._headers = []
        self._h2_body = []

    def putheader(self, header: str | bytes, *values: str | bytes | int) -> None:  # type: ignore[override]
        for value in values:
            self._headers.append(_checked_field(header, value))

    def endheaders(self, message_body: typing.Any = None, *, encode_chunked: bool = False) -> None:
        self._require_request()
        if message_body is not None:
            self.send(message_body)

    def send(self, data: typing.Any) -> None:
        self._require_request()
        if isinstance(data, str):
            self._h2_body.append(data.encode("utf-8"))
        elif isinstance(data, (bytes, bytearray, memoryview)):
            self._h2_body.append(bytes(data))
        elif hasattr(data, "read"):
            while block := data.read(self.blocksize):
                self._h2_body.append(block.encode("utf-8") if isinstance(block, str) else bytes(block))
        else:
            try:
                chunks = iter(data)
            except TypeError:
                raise TypeError(f"`data` should be str, bytes, iterable, or file. got {type(data)!r}") from None
            for chunk in chunks:
                self.send(chunk)

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        if self._h2_request is not None:
            (method, url), self._h2_request = self._h2_request, None
            headers = HTTPHeaderDict()
            for name, value in self._headers:
                headers.add(name.decode("latin-1"), value.decode("latin-1"))
            body = b"".join(self._h2_body) if self._h2_body else None
            self._headers, self._h2_body = [], []
            if self._response_options is None:  # driven by hand, not through request()
                self._response_options = _ResponseOptions(
                    request_method=method,
                    request_url=url,
                    preload_content=True,
                    decode_content=True,
                    enforce_content_length=True,
                )
            self._request_on_core(method, url, body, headers, chunked=False)
        return super().getresponse()

    def close(self) -> None:
        self._h2_request, self._headers, self._h2_body = None, [], []
        super().close()

    def _require_request(self) -> None:
        if self._h2_request is None:
            raise ConnectionError("Must call `putrequest` first.")


def _checked_fields(headers: typing.Mapping[str, str] | None) -> None:
    """Raises ValueError for the first header RFC 9113 forbids."""
    for name, value in (headers or {}).items():
        _checked_field(name, value)


def _checked_field(name: str | bytes, value: str | bytes | int) -> tuple[bytes, bytes]:
    """A header as HTTP/2 sends it (lower-case name, bytes), or ValueError when RFC 9113
    forbids it."""
    raw_name = (name.encode("latin-1") if isinstance(name, str) else bytes(name)).lower()
    if isinstance(value, int):
        value = str(value)
    raw_value = value.encode("latin-1") if isinstance(value, str) else bytes(value)
    if not _is_legal_header_name(raw_name):
        raise ValueError(f"Illegal header name {raw_name!r}")
    if _is_illegal_header_value(raw_value):
        raise ValueError(f"Illegal header value {raw_value!r}")
    return raw_name, raw_value


# Its request-writing methods feed the core rather than http.client, so its request() may take
# the core's path; a subclass that overrides them is checked as any other.
_stock_classes[HTTP2Connection] = True
# The fast lane sends for it: its request() is the field check and the core's path.
_lane.register_connection(HTTP2Connection)
