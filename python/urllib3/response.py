"""Responses: urllib3's ``HTTPResponse`` over a response of the Rust core.

The body is framed (Content-Length, chunked, close-delimited) in Rust, and decoded (gzip,
deflate, br, zstd) by the core's decoder that ``response._decoder`` holds: a stock read is one
call into the core, which pulls body bytes through that decoder with the GIL released. A
response built by hand from a file-like object (as tests and adapters do) is read through the
same core. A decoder that is not one of ours (assigned, or its ``decompress`` patched) is
driven from Python, one raw piece at a time, as urllib3 drives its own.
"""

from __future__ import annotations

import collections
import http.client
import io
import json as _json
import logging
import socket
import typing
import zlib
from http.client import HTTPMessage as _HttplibHTTPMessage

from . import _rs
from ._collections import HTTPHeaderDict
from ._errors import CoreError, translate
from .exceptions import (
    BodyNotHttplibCompatible,
    DecodeError,
    HTTPError,
    IncompleteRead,
    InvalidHeader,
    ProtocolError,
    ReadTimeoutError,
    ResponseNotChunked,
    SSLError,
)
from .util.response import is_fp_closed

if typing.TYPE_CHECKING:
    from ._base_connection import _ResponseOptions
    from .connection import HTTPConnection
    from .connectionpool import HTTPConnectionPool
    from .util.retry import Retry

log = logging.getLogger(__name__)

_READ_CHUNK_SIZE = 2**16

# Longest chunk-size or trailer line accepted, its line end included (the core's bound).
_MAX_CHUNK_LINE_LENGTH = 2**16

try:
    from ssl import SSLError as _BaseSSLError
except ImportError:  # a Python built without ssl: no TLS failure can come

    class _BaseSSLError(Exception):  # type: ignore[no-redef]
        pass


try:
    import brotli  # type: ignore[import-untyped, import-not-found, unused-ignore]  # untyped, or absent
except ImportError:
    brotli = None  # decoding is done by the core, which always has brotli

_MIXED_DECODE = (
    "Calling {0}(decode_content=False) is not supported after "
    "{0}(decode_content=True) was called."
)


class ContentDecoder:
    """What a content decoder offers a response: ``decompress`` with an output limit, the
    output still held (``has_unconsumed_tail``), and ``flush`` at the end of the input."""

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        raise NotImplementedError()

    @property
    def has_unconsumed_tail(self) -> bool:
        raise NotImplementedError()

    def flush(self) -> bytes:
        raise NotImplementedError()


class _CoreDecoder(ContentDecoder):
    """A decoder of the Rust core (``urllib3._rs.Decoder``) for the coding ``_coding``.

    ``decompress(data, max_length)`` returns at most ``max_length`` bytes (everything with a
    negative value) and keeps the rest of its input for the next call; with 0 it only stores
    ``data``. Failures are DecodeError. A stream cut short is not an error for gzip, deflate or
    br (what could be inflated is all there is); ``flush()`` raises for a zstd frame cut short.
    """

    _coding = "identity"

    def __init__(self) -> None:
        try:
            self._core = _rs.Decoder(self._coding)
        except CoreError as e:
            raise translate(e)

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        try:
            return self._core.decompress(data, max_length)
        except CoreError as e:
            raise translate(e)

    @property
    def has_unconsumed_tail(self) -> bool:
        return self._core.has_unconsumed_tail

    def flush(self) -> bytes:
        try:
            return self._core.flush()
        except CoreError as e:
            raise translate(e)


class DeflateDecoder(_CoreDecoder):
    """``deflate``, zlib-wrapped (RFC 9110) or raw (as some servers send it)."""

    _coding = "deflate"


class GzipDecoder(_CoreDecoder):
    """``gzip``: members one after another; junk after the first member is dropped."""

    _coding = "gzip"


class BrotliDecoder(_CoreDecoder):
    """``br``: always available, the core has its own brotli decoder."""

    _coding = "br"


class ZstdDecoder(_CoreDecoder):
    """``zstd``: every frame of the body; a frame cut short is an error at ``flush()``."""

    _coding = "zstd"


class MultiDecoder(_CoreDecoder):
    """A chain such as ``gzip, br``: the codings in the order the server applied them
    (RFC 9110 8.4), undone last first, in one core decoder."""

    # Each link multiplies what a small body can cost to decode.
    max_decode_links = 5

    def __init__(self, modes: str) -> None:
        links = modes.count(",") + 1
        if links > self.max_decode_links:
            raise DecodeError(
                f"Too many content encodings in the chain: {links} > {self.max_decode_links}"
            )
        self._coding = modes
        super().__init__()


# A single coding we do not know is decoded as deflate, as urllib3 does.
_DECODER_FOR_CODING: dict[str, type[_CoreDecoder]] = {
    "gzip": GzipDecoder,
    "x-gzip": GzipDecoder,
    "br": BrotliDecoder,
    "zstd": ZstdDecoder,
}


def _get_decoder(mode: str) -> ContentDecoder:
    """The decoder for a (lowercase) ``Content-Encoding`` value."""
    if "," in mode:
        return MultiDecoder(mode)
    return _DECODER_FOR_CODING.get(mode, DeflateDecoder)()


class BytesQueueBuffer:
    """A FIFO of byte strings that hands out exactly the number of bytes asked for."""

    def __init__(self) -> None:
        self.buffer: typing.Deque[bytes | memoryview] = collections.deque()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def put(self, data: bytes) -> None:
        self.buffer.append(data)
        self._size += len(data)

    def get(self, n: int) -> bytes:
        if n == 0:
            return b""
        if not self.buffer:
            raise RuntimeError("buffer is empty")
        if n < 0:
            raise ValueError("n should be > 0")
        first = self.buffer[0]
        if len(first) == n and isinstance(first, bytes):
            self._size -= n
            self.buffer.popleft()
            return first
        out = io.BytesIO()
        taken = 0
        while taken < n and self.buffer:
            chunk = self.buffer.popleft()
            need = n - taken
            if len(chunk) > need:
                view = memoryview(chunk)
                out.write(view[:need])
                self.buffer.appendleft(view[need:])
                taken += need
            else:
                out.write(chunk)
                taken += len(chunk)
        self._size -= taken
        return out.getvalue()

    def get_all(self) -> bytes:
        if not self.buffer:
            return b""
        if len(self.buffer) == 1:
            only = self.buffer.pop()
            self._size = 0
            return bytes(only)
        out = b"".join(self.buffer)
        self.buffer.clear()
        self._size = 0
        return out


# What the constructor sets the same way for every response around a core response.
_NEW_CORE_RESPONSE = {
    "_has_decoded_content": False,
    "_retries": None,
    "_decoder": None,
    "_decoder_initialized": False,
    "auto_close": True,
    "_body": None,
    "_uncached_read_occurred": False,
    "_original": None,
    "_fp_bytes_read": 0,
    "msg": None,
    "_pool": None,
    "_connection": None,
    "_sock_shutdown": None,
    "chunk_left": None,
    "_reads_python_file": False,
    "_expected_length": None,
    # Set for each response by the core (present here so that setting them replaces rather
    # than grows the response's dict).
    "status": None,
    "version": None,
    "version_string": None,
    "reason": None,
    "decode_content": None,
    "_request_url": None,
    "chunked": None,
    "enforce_content_length": None,
    "_fp": None,
    "_core": None,
    "length_remaining": None,
    "_decoded_buffer": None,
}


def _names_chunked(headers: HTTPHeaderDict) -> bool:
    """Whether Transfer-Encoding lists ``chunked``."""
    coding = headers.get("transfer-encoding")
    return coding is not None and "chunked" in [t.strip() for t in coding.lower().split(",")]


class _HeadersOnFirstTouch:
    """``headers`` of a response the core made: many programs read a body and never look at
    the headers, so its HTTPHeaderDict is made when first asked for (the core keeps the
    head). It then sits in the response's ``__dict__``, which an attribute lookup tries
    before this class attribute, as it does for any response the constructor made."""

    def __get__(self, response: BaseHTTPResponse | None, owner: type | None = None) -> typing.Any:
        if response is None:
            return self
        core = response._core
        if core is None:
            raise AttributeError(f"{type(response).__name__!r} object has no attribute 'headers'")
        return core.headers_for(response, HTTPHeaderDict)


class BaseHTTPResponse(io.IOBase):
    CONTENT_DECODERS = ["gzip", "x-gzip", "deflate", "br", "zstd"]
    REDIRECT_STATUSES = [301, 302, 303, 307, 308]
    # What a decoder may raise for data it cannot decode (ours raise DecodeError).
    DECODER_ERROR_CLASSES: tuple[type[Exception], ...] = (IOError, zlib.error)
    if brotli is not None:
        DECODER_ERROR_CLASSES += (brotli.error,)
    # Set by HTTPResponse, and by the pool on any response it hands out (``_took_response``).
    _pool: HTTPConnectionPool | None
    _connection: HTTPConnection | None
    _core: _rs.Response | None = None
    headers: HTTPHeaderDict
    if not typing.TYPE_CHECKING:
        headers = _HeadersOnFirstTouch()

    def __init__(
        self,
        *,
        headers: typing.Mapping[str, str] | typing.Mapping[bytes, bytes] | None = None,
        status: int,
        version: int,
        version_string: str,
        reason: str | None,
        decode_content: bool,
        request_url: str | None,
        retries: Retry | None = None,
    ) -> None:
        self.headers = headers if isinstance(headers, HTTPHeaderDict) else HTTPHeaderDict(headers)  # type: ignore[arg-type]
        self.status = status
        self.version = version
        self.version_string = version_string
        self.reason = reason
        self.decode_content = decode_content
        self._has_decoded_content = False
        self._request_url = request_url
        self.retries = retries
        self.chunked = _names_chunked(self.headers)
        self._decoder: ContentDecoder | None = None
        # Set once Content-Encoding was looked at (which may have chosen no decoder at all).
        self._decoder_initialized = False
        self.length_remaining: int | None

    def get_redirect_location(self) -> str | None | typing.Literal[False]:
        """The Location of a redirect, None for a redirect without one, False otherwise."""
        if self.status in self.REDIRECT_STATUSES:
            return self.headers.get("location")
        return False

    @property
    def data(self) -> bytes:
        raise NotImplementedError()

    def json(self) -> typing.Any:
        """The body parsed as JSON (UTF-8)."""
        return _json.loads(self.data.decode("utf-8"))

    @property
    def url(self) -> str | None:
        raise NotImplementedError()

    @url.setter
    def url(self, url: str | None) -> None:
        raise NotImplementedError()

    @property
    def connection(self) -> HTTPConnection | None:
        raise NotImplementedError()

    @property
    def retries(self) -> Retry | None:
        return self._retries

    @retries.setter
    def retries(self, retries: Retry | None) -> None:
        # The URL after redirects is the last redirect location in the history.
        if retries is not None and retries.history:
            self.url = retries.history[-1].redirect_location
        self._retries = retries

    def stream(self, amt: int | None = 2**16, decode_content: bool | None = None) -> typing.Iterator[bytes]:
        raise NotImplementedError()

    def read(self, amt: int | None = None, decode_content: bool | None = None, cache_content: bool = False) -> bytes:
        raise NotImplementedError()

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        raise NotImplementedError()

    def read_chunked(self, amt: int | None = None, decode_content: bool | None = None) -> typing.Iterator[bytes]:
        raise NotImplementedError()

    def release_conn(self) -> None:
        raise NotImplementedError()

    def drain_conn(self) -> None:
        raise NotImplementedError()

    def shutdown(self) -> None:
        raise NotImplementedError()

    def close(self) -> None:
        raise NotImplementedError()

    def _init_decoder(self) -> None:
        """Chooses the decoder from Content-Encoding, once (at the first read, so that a
        caller may still fix the header before)."""
        if self._decoder_initialized:
            return
        if self._decoder is None:
            coding = self.headers.get("content-encoding", "").lower()
            known = self.CONTENT_DECODERS
            # A chain is decoded when any of its codings is one we know.
            if any(t.strip() in known for t in coding.split(",")):
                self._decoder = _get_decoder(coding)
        self._decoder_initialized = True

    def _decode(
        self,
        data: bytes,
        decode_content: bool | None,
        flush_decoder: bool,
        max_length: int | None = None,
    ) -> bytes:
        """``data`` through the decoder (at most ``max_length`` bytes of output unless
        flushing), or as it is when not decoding; flushing adds what the decoder still held."""
        if not decode_content:
            if self._has_decoded_content:
                raise RuntimeError(_MIXED_DECODE.format("read"))
            return data
        decoder = self._decoder
        if not decoder:
            return data
        limit = -1 if flush_decoder or max_length is None else max_length
        try:
            out = decoder.decompress(data, max_length=limit)
        except typing.cast("tuple[type[Exception], ...]", (DecodeError, *self.DECODER_ERROR_CLASSES)) as e:
            coding = self.headers.get("content-encoding", "").lower()
            raise DecodeError(
                f"Received response with content-encoding: {coding}, but failed to decode it.",
                e,
            ) from e
        # Only a decompress that succeeded locks decoding on: after a Content-Encoding
        # that lies, the raw body can still be read (requests drains redirects that way).
        self._has_decoded_content = True
        return out + self._flush_decoder() if flush_decoder else out

    def _flush_decoder(self) -> bytes:
        """What the decoder still holds at the end of the body."""
        decoder = self._decoder
        if not decoder:
            return b""
        return decoder.decompress(b"") + decoder.flush()

    def readinto(self, b: bytearray | memoryview) -> int:
        temp = self.read(len(b))
        if len(temp) == 0:
            return 0
        b[: len(temp)] = temp
        return len(temp)

    def getheaders(self) -> HTTPHeaderDict:
        """The headers (the 1.x name, kept by urllib3 2.x)."""
        return self.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        """One header's value (the 1.x name, kept by urllib3 2.x)."""
        return self.headers.get(name, default)

    def info(self) -> HTTPHeaderDict:
        return self.headers

    def geturl(self) -> str | None:
        return self.url


class _OriginalResponse:
    """What ``response._original_response`` offers callers that reach for http.client's
    response: ``requests`` reads cookies from ``.msg``. Built only when asked for."""

    def __init__(self, response: HTTPResponse) -> None:
        self._response = response
        self.status = response.status
        self.reason = response.reason
        self.version = response.version
        self.fp = None
        msg = _HttplibHTTPMessage()
        for name, value in response.headers.iteritems():
            msg[name] = value
        self.msg = msg
        self.headers = msg

    def isclosed(self) -> bool:
        return self._response.isclosed()

    def getheaders(self) -> list[tuple[str, str]]:
        return list(self.msg.items())

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.msg.get(name, default)

    def close(self) -> None:
        self._response.close()


class HTTPResponse(BaseHTTPResponse):
    """A response whose body is read on demand, as urllib3's ``HTTPResponse``."""

    def __init__(
        self,
        body: typing.Any = "",
        headers: typing.Mapping[str, str] | typing.Mapping[bytes, bytes] | None = None,
        status: int = 0,
        version: int = 0,
        version_string: str = "HTTP/?",
        reason: str | None = None,
        preload_content: bool = True,
        decode_content: bool = True,
        original_response: typing.Any = None,
        pool: HTTPConnectionPool | None = None,
        connection: HTTPConnection | None = None,
        msg: _HttplibHTTPMessage | None = None,
        retries: Retry | None = None,
        enforce_content_length: bool = True,
        request_method: str | None = None,
        request_url: str | None = None,
        auto_close: bool = True,
        sock_shutdown: typing.Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(
            headers=headers,
            status=status,
            version=version,
            version_string=version_string,
            reason=reason,
            decode_content=decode_content,
            request_url=request_url,
            retries=retries,
        )
        self.enforce_content_length = enforce_content_length
        self.auto_close = auto_close
        self._body: bytes | None = None
        self._uncached_read_occurred = False
        self._fp: typing.Any = None
        self._core: _rs.Response | None = None
        self._original = original_response
        self._fp_bytes_read = 0
        self.msg = msg
        self._pool = pool
        self._connection = connection
        self._sock_shutdown = sock_shutdown
        self.chunk_left: int | None = None
        # Whether the body comes from a Python file object rather than a core connection:
        # then that object's own state says whether the response is closed, as in urllib3.
        self._reads_python_file = False
        # For a body of the caller's file: the length its headers and status give, which the
        # file is held to when it ends (None: none known).
        self._expected_length: int | None = None
        if body and isinstance(body, (str, bytes)):
            self._body = body  # type: ignore[assignment]
        if isinstance(body, _rs.Response):
            self._core = body
            self._fp = body
        elif hasattr(body, "read"):
            # A file-like body is framed and decoded by the core too.
            self._fp = body
            # An http.client response of a chunked body: its socket file holds the chunk
            # framing, which the core reads (urllib3 reads it there too).
            wire = self.chunked and isinstance(body, http.client.HTTPResponse) and body.fp is not None
            pairs = list(self.headers.iteritems())
            self._expected_length = self._declared_length(request_method)
            if self._expected_length == 0:
                # A status or method that allows no body: the file is read to its end all the
                # same, so that a body that came anyway is found (and refused, as urllib3 does).
                pairs = [(k, v) for k, v in pairs if k.lower() != "content-length"]
            try:
                self._core = _rs.Response.from_reader(
                    body.fp if wire else body,
                    status if isinstance(status, int) else 0,
                    reason if isinstance(reason, str) else "",
                    version if isinstance(version, int) else 11,
                    pairs,
                    decode_content,
                    enforce_content_length,
                    wire,
                    request_method or "GET",
                )
            except CoreError as e:
                raise translate(e)
            self._reads_python_file = True
        self.length_remaining = self._init_length(request_method)
        # Decoded bytes read from the decoder but not returned yet (a read returns exactly
        # what it was asked for).
        self._decoded_buffer = BytesQueueBuffer()
        if preload_content and not self._body:
            self._body = self.read(decode_content=decode_content)

    @classmethod
    def _from_core(cls, core: _rs.Response, options: _ResponseOptions) -> HTTPResponse:
        """``cls(body=core, ...)`` for a core response whose head was read, in one step: what
        the constructor would set, set at once by the core (every response of the fast lane is
        made so; tests/test_response_edges.py holds the two to the same result)."""
        return core.to_urllib3(cls, _MADE_OF, options)

    def __getstate__(self) -> dict[str, typing.Any]:
        # What is live (the core's response and decoder, the connection, its pool) stays
        # behind: a copy (an exception that carries the response, say) keeps the head and what
        # was read, and reads no further.
        state = self.__dict__.copy()
        state["headers"] = self.headers  # made now, while the core that holds them is here
        if state.get("_fp") is self._core:
            state["_fp"] = None
        for live in ("_core", "_decoder", "_connection", "_pool"):
            state[live] = None
        return state

    @property
    def _original_response(self) -> typing.Any:
        if self._original is None and self._core is not None:
            self._original = _OriginalResponse(self)
        return self._original

    @_original_response.setter
    def _original_response(self, value: typing.Any) -> None:
        self._original = value

    def _init_length(self, request_method: str | None) -> int | None:
        if self._reads_python_file:
            return None if self.chunked else self._expected_length
        if self._core is not None:
            # A chunked body has no length, whatever a Content-Length beside it says.
            return None if self.chunked else self._core.length_remaining
        return self._declared_length(request_method)

    def _declared_length(self, request_method: str | None) -> int | None:
        """The body length the headers, the status and the request method give."""
        declared = self.headers.get("content-length")
        if declared is not None and self.chunked:
            log.warning(
                "Received response with both Content-Length and "
                "Transfer-Encoding set. This is expressly forbidden "
                "by RFC 7230 sec 3.3.2. Ignoring Content-Length and "
                "attempting to process response as Transfer-Encoding: "
                "chunked."
            )
            return None
        # The header is vetted even when the status or method means no body: conflicting
        # values are an error either way.
        candidates: set[int] = set()
        if declared is not None:
            try:
                # "42, 42" (a repeated header, folded) is one length (RFC 9110 8.6).
                candidates.update(map(int, declared.split(",")))
            except ValueError:
                candidates.clear()  # not all numbers: no usable length
            if len(candidates) > 1:
                raise InvalidHeader(
                    "Content-Length contained multiple "
                    "unmatching values (%s)" % declared
                )
        try:
            code = int(self.status)
        except ValueError:  # http.client may report "_UNKNOWN"
            code = 0
        if request_method == "HEAD" or code in (204, 304) or 100 <= code < 200:
            return 0
        return next((n for n in candidates if n >= 0), None)

    def release_conn(self) -> None:
        if not self._pool or not self._connection:
            return None
        self._pool._put_conn(self._connection)
        self._connection = None

    def drain_conn(self) -> None:
        """Reads and discards the rest of the body, undecoded, so the connection can be reused."""
        try:
            if self._core is not None and not self._python_file_closed():
                try:
                    self._core.drain()
                except Exception as e:
                    self._failed(e)
        except (HTTPError, OSError):
            pass
        if self._has_decoded_content:
            # Nothing will be decoded any more: what the decoder held can go.
            self._decoded_buffer = BytesQueueBuffer()
            self._decoder = None
        self._after_read()

    @property
    def data(self) -> bytes:
        if self._body:
            return self._body
        if self._fp:
            return self.read(cache_content=True)
        return None  # type: ignore[return-value]

    @property
    def connection(self) -> HTTPConnection | None:
        return self._connection

    def isclosed(self) -> bool:
        if self._core is not None and not self._reads_python_file:
            return self._core.is_complete or self._core.closed
        return is_fp_closed(self._fp)

    def tell(self) -> int:
        """Body bytes received so far, before decoding."""
        if self._core is not None:
            return self._core.tell()
        return self._fp_bytes_read

    def _raise(self, e: CoreError) -> typing.NoReturn:
        # A body read that times out says so without the limit, as urllib3's does.
        if e.kind == "ReadTimeoutError":
            # urllib3 declares ``pool: ConnectionPool`` and passes a response's pool, None or not.
            raise ReadTimeoutError(self._pool, None, "Read timed out.") from None  # type: ignore[arg-type]
        raise translate(e, pool=self._pool, response=self)

    def _python_file_closed(self) -> bool:
        """Whether the body is a file of the caller's that is closed already: then there is
        nothing more to read, as urllib3 checks before each read (the ``responses`` mock closes
        its body file once it is exhausted)."""
        return self._reads_python_file and bool(getattr(self._fp, "closed", False))

    def _core_decoder(self) -> _rs.Decoder | typing.Literal[False] | None:
        """The core decoder that a read can hand to the core along with the body (None when
        nothing is to be decoded), or False when decoding has to go through Python: a decoder
        that is not one of ours, or a patched ``decompress`` or ``_decode``."""
        decoder = self._decoder
        if decoder is None:
            return None
        if (
            isinstance(decoder, _CoreDecoder)
            and type(decoder).decompress is _CoreDecoder.decompress
            and type(self)._decode is BaseHTTPResponse._decode
        ):
            return decoder._core
        return False

    def _raw_read(self, amt: int | None = None, *, read1: bool = False) -> bytes:
        """Body bytes as received: ``amt`` of them (the rest with None), or with ``read1`` what
        one read gives."""
        if self._fp is None:
            return None  # type: ignore[return-value]
        data = b""
        if self._core is not None and not self._python_file_closed():
            try:
                data = self._core.read1(amt) if read1 else self._core.read(amt)
            except Exception as e:
                self._failed(e)
        if not data and amt != 0:
            self._at_end_of_file(amt)
        self.length_remaining = self._remaining()
        return data

    def _at_end_of_file(self, amt: int | None) -> None:
        """A sized read of a caller's file found nothing: the file is closed, and held to the
        length announced (a file closed early, or a body where none may be)."""
        if not self._reads_python_file or amt is None:
            return
        if hasattr(self._fp, "close"):
            self._fp.close()
        expected, got = self._expected_length, self.tell()
        if self.enforce_content_length and expected is not None and got != expected:
            wrong = IncompleteRead(got, expected - got)
            why = "Response may not contain content." if expected == 0 else f"Connection broken: {wrong!r}"
            raise ProtocolError(why, wrong) from wrong

    def _failed(self, e: BaseException) -> typing.NoReturn:
        """Raises urllib3's exception for a body read that failed: the core's error, or what
        the caller's file raised, mapped as urllib3 maps it (others go through as they are)."""
        self._after_read()
        if isinstance(e, CoreError):
            self._raise(e)
        if isinstance(e, socket.timeout):
            raise ReadTimeoutError(self._pool, None, "Read timed out.") from e  # type: ignore[arg-type]  # as above
        if isinstance(e, _BaseSSLError):
            raise SSLError(e) from e
        if isinstance(e, (http.client.HTTPException, OSError)):
            raise ProtocolError(f"Connection broken: {e!r}", e) from e
        raise e

    def read(
        self,
        amt: int | None = None,
        decode_content: bool | None = None,
        cache_content: bool = False,
    ) -> bytes:
        """Reads ``amt`` bytes (all with None), decoded unless ``decode_content`` is false.

        Returns exactly ``amt`` bytes unless the body ends first.
        """
        core = self._core
        if (
            type(amt) is int
            and amt > 0
            and core is not None
            and self._fp is not None
            and self._decoder is None
            and self._decoder_initialized
            and not self._has_decoded_content
            and not self._reads_python_file
            and not self._decoded_buffer._size
        ):
            return self._raw_piece(core, amt)
        self._init_decoder()
        if decode_content is None:
            decode_content = self.decode_content
        if amt is not None and amt < 0:
            amt = None
        if self._fp is None:
            return b""
        held = self._decoded_buffer
        if amt is not None:
            cache_content = False  # a part of the body is no cache of it
            decoder = self._decoder
            if len(held) < amt and decoder and decoder.has_unconsumed_tail:
                held.put(self._decode(b"", decode_content, False, amt - len(held)))
            if len(held) >= amt:
                return held.get(amt)
        if not decode_content and self._has_decoded_content:
            raise RuntimeError(_MIXED_DECODE.format("read"))
        via = self._core_decoder() if decode_content else None
        if via is False or self._core is None or self._python_file_closed():
            data = self._read_in_python(amt, decode_content)
        else:
            data = self._read_in_core(amt, via)
        if not cache_content:
            self._uncached_read_occurred = True
        elif amt is None and not self._uncached_read_occurred:
            self._body = data
        self._after_read()
        return data

    def _raw_piece(self, core: _rs.Response, amt: int) -> bytes:
        """``read(amt)`` of a body read from the connection with nothing to decode and nothing
        held: the core's read and what ``read`` does after it, without its other cases (a
        streamed body runs this once a piece)."""
        try:
            data = core.read(amt)
        except Exception as e:
            self._failed(e)
        self.length_remaining = self._remaining()
        self._uncached_read_occurred = True
        self._after_read()
        return data

    def _read_in_core(self, amt: int | None, via: _rs.Decoder | None) -> bytes:
        """One call into the core: the body through the core decoder ``via`` (or raw when
        None), after the decoded bytes already held."""
        held = self._decoded_buffer
        assert self._core is not None  # read() comes here only for a core response
        try:
            data = self._core.read(None if amt is None else amt - len(held), via)
        except Exception as e:
            self._failed(e)
        if via is not None and via.total_in:
            self._has_decoded_content = True
        if not data and amt != 0:
            self._at_end_of_file(amt)
        self.length_remaining = self._remaining()
        if len(held):
            held.put(data)
            return held.get_all()
        return data

    def _read_in_python(self, amt: int | None, decode_content: bool) -> bytes:
        """Raw pieces from the core, decoded here through ``_decode`` (urllib3's own steps, for
        a decoder or a ``_decode`` that is not ours)."""
        held = self._decoded_buffer
        data = self._raw_read(amt)
        decoder = self._decoder if decode_content else None
        if not data and not len(held) and not (decoder and decoder.has_unconsumed_tail):
            return data
        if amt is None:
            out = self._decode(data, decode_content, True)
            if decode_content and len(held):
                held.put(out)
                out = held.get_all()
            return out
        if not decode_content:
            return data
        # Raw pieces until `amt` decoded bytes are in; an empty piece is the end, which
        # flushes the decoder.
        held.put(self._decode(data, True, not data, amt - len(held)))
        while data and len(held) < amt:
            data = self._raw_read(amt)
            held.put(self._decode(data, True, not data, amt - len(held)))
        return held.get(amt)

    def _remaining(self) -> int | None:
        if self.chunked:
            return None
        if self._reads_python_file:
            # Negative once a file gives more than was announced, as urllib3 counts it.
            expected = self._expected_length
            return None if expected is None else expected - self.tell()
        if self._core is not None:
            return self._core.length_remaining
        return self.length_remaining

    def _after_read(self) -> None:
        """Once the body is complete, the connection goes back to its pool."""
        if self._core is not None and (self._core.is_complete or self._core.closed):
            self.release_conn()

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        """What one read of the body gives (at most ``amt`` bytes), decoded unless
        ``decode_content`` is false; decoded bytes already held come first."""
        if decode_content is None:
            decode_content = self.decode_content
        if amt is not None and amt < 0:
            amt = None
        held = self._decoded_buffer
        if self._has_decoded_content:
            if not decode_content:
                raise RuntimeError(_MIXED_DECODE.format("read1"))
            decoder = self._decoder
            if decoder and decoder.has_unconsumed_tail and (amt is None or len(held) < amt):
                room = None if amt is None else amt - len(held)
                held.put(self._decode(b"", True, False, room))
            if len(held):
                return held.get_all() if amt is None else held.get(amt)
        if amt == 0:
            return b""
        data = self._raw_read(amt, read1=True)
        self._uncached_read_occurred = True
        if decode_content and data is not None:
            self._init_decoder()
            # Raw pieces until one decodes to something, or the body ends.
            while True:
                out = self._decode(data, True, not data, amt)
                held.put(out)
                if out or not data:
                    break
                data = self._raw_read(8192, read1=True)
            data = held.get_all() if amt is None else held.get(amt)
        self._after_read()
        return data

    def stream(self, amt: int | None = 2**16, decode_content: bool | None = None) -> typing.Iterator[bytes]:
        """Yields the body in pieces of ``amt`` bytes; never an empty piece."""
        if amt != 0:
            by_wire_chunk = self.chunked and self.supports_chunked_reads()
            yield from (
                self.read_chunked(amt, decode_content=decode_content)
                if by_wire_chunk
                else self._pieces(amt, decode_content)
            )

    def _pieces(self, amt: int | None, decode_content: bool | None) -> typing.Iterator[bytes]:
        # An empty read is the end: the body or the file under it is done.
        while not is_fp_closed(self._fp) or self._body_pending():
            piece = self.read(amt=amt, decode_content=decode_content)
            if not piece:
                return
            yield piece

    def _body_pending(self) -> bool:
        decoder = self._decoder
        return (
            (self._core is not None and not self._core.is_complete)
            or len(self._decoded_buffer) > 0
            or bool(decoder and decoder.has_unconsumed_tail)
        )

    def readable(self) -> bool:
        return True

    def shutdown(self) -> None:
        """Ends reading from the socket, so that a read blocked in another thread returns."""
        if self._sock_shutdown is None and (self._core is None or self._reads_python_file):
            raise ValueError("Cannot shutdown socket as self._sock_shutdown is not set")
        if self._connection is None:
            # The connection may be carrying someone else's request by now.
            raise RuntimeError("Cannot shutdown as connection has already been released to the pool")
        if self._sock_shutdown is not None:
            self._sock_shutdown(socket.SHUT_RD)

    def close(self) -> None:
        self._sock_shutdown = None
        if not self.closed and self._fp:
            self._fp.close()
        if self._connection:
            self._connection.close()
        if not self.auto_close:
            io.IOBase.close(self)

    @property
    def closed(self) -> bool:
        if not self.auto_close:
            return io.IOBase.closed.__get__(self)  # type: ignore[no-any-return]
        if self._fp is None:
            return True
        if self._core is not None and not self._reads_python_file:
            return self._core.closed or self._core.is_complete
        if hasattr(self._fp, "isclosed"):
            return self._fp.isclosed()  # type: ignore[no-any-return]
        if hasattr(self._fp, "closed"):
            return self._fp.closed  # type: ignore[no-any-return]
        return True

    def fileno(self) -> int:
        # Asked of whatever holds the body (None has no fileno either); an in-memory
        # body such as BytesIO has the method but raises io.UnsupportedOperation itself.
        descriptor_of = getattr(self._fp, "fileno", None)
        if descriptor_of is None:
            raise OSError(
                "HTTPResponse has no file to get a fileno from"
                if self._fp is None
                else "The file-like object this HTTPResponse is wrapped "
                "around has no file descriptor"
            )
        return descriptor_of()  # type: ignore[no-any-return]

    def flush(self) -> None:
        if self._fp is not None and hasattr(self._fp, "flush") and not getattr(self._fp, "closed", False):
            self._fp.flush()

    def supports_chunked_reads(self) -> bool:
        """Whether the body can be read wire chunk by wire chunk."""
        return hasattr(self._fp, "fp") or (self._core is not None and not self._reads_python_file)

    def read_chunked(self, amt: int | None = None, decode_content: bool | None = None) -> typing.Iterator[bytes]:
        """Yields the body chunk by chunk as the server framed it (decoded: as the decoder gives
        it out, at most ``amt`` bytes a piece)."""
        self._init_decoder()
        if not self.chunked:
            raise ResponseNotChunked(
                "Response is not chunked. "
                "Header 'transfer-encoding: chunked' is missing."
            )
        if not self.supports_chunked_reads():
            raise BodyNotHttplibCompatible(
                "Body should be http.client.HTTPResponse like. "
                "It should have have an fp attribute which returns raw chunks."
            )
        if decode_content is None:
            decode_content = self.decode_content
        original = self._original
        if isinstance(original, http.client.HTTPResponse) and original._method == "HEAD":  # type: ignore[attr-defined]
            # No body follows a HEAD, whatever the headers announce.
            original.close()
            self.release_conn()
            return
        if self._core is None or amt == 0:
            return
        if amt is not None and amt < 0:
            amt = None
        if not decode_content and self._has_decoded_content:
            raise RuntimeError(_MIXED_DECODE.format("read"))
        try:
            yield from self._chunks(amt, decode_content)
        except BaseException:
            self._close_callers_original()
            raise
        self._close_callers_original()
        self._after_read()

    def _chunks(self, amt: int | None, decode_content: bool) -> typing.Iterator[bytes]:
        decoder = self._decoder if decode_content else None
        via = self._core_decoder() if decode_content else None
        piece: bytes | None
        while True:
            if decoder and decoder.has_unconsumed_tail:
                # Output the decoder holds comes before more of the wire.
                piece = self._decode(b"", True, False, amt)
            elif self.chunk_left == 0:
                break  # urllib3's mark that the last chunk was read
            else:
                self._uncached_read_occurred = True
                piece = self._next_chunk(amt, via)
                if piece is None:
                    break
            if piece:
                yield piece
        if decoder:
            rest = self._flush_decoder()
            if rest:
                yield rest

    def _close_callers_original(self) -> None:
        """An ``http.client`` response given as the original is closed once its chunks are
        read (or failed), as urllib3 closes it: its file is the caller's."""
        if isinstance(self._original, http.client.HTTPResponse):
            self._original.close()

    def _next_chunk(self, amt: int | None, via: _rs.Decoder | typing.Literal[False] | None) -> bytes | None:
        """The next piece of the chunked body (None at its end): decoded through ``via``
        in the core, or a raw wire piece, decoded here when ``via`` is False."""
        assert self._core is not None  # read_chunked() reads chunks of a core response only
        try:
            piece = self._core.read_chunk(amt, via or None)
        except Exception as e:
            self._failed(e)
        if not piece:
            return None
        if via is False:
            return self._decode(piece, True, False, amt)
        if via is not None:
            self._has_decoded_content = True
        return piece

    @property
    def url(self) -> str | None:
        return self._request_url

    @url.setter
    def url(self, url: str | None) -> None:
        self._request_url = url

    def __iter__(self) -> typing.Iterator[bytes]:
        # Lines end at b"\n" alone (a "\r" is content) and keep it; a line may span
        # chunks, so its earlier pieces wait in `pending` until its end arrives.
        pending: list[bytes] = []
        for chunk in self.stream(decode_content=True):
            start = 0
            end = chunk.find(b"\n")
            while end != -1:
                pending.append(chunk[start : end + 1])
                yield b"".join(pending)
                pending.clear()
                start = end + 1
                end = chunk.find(b"\n", start)
            if start < len(chunk):
                pending.append(chunk[start:])
        if pending:
            # The last line, without a newline at the end of the body.
            yield b"".join(pending)


# What ``_from_core`` makes a response of, and from: ``HTTPResponse.read`` as shipped, since a
# patched read() is called to preload, even when the body is already in.
_MADE_OF = (BytesQueueBuffer, _NEW_CORE_RESPONSE, HTTPResponse.read)
